"""Signing primitives: the canonical form, Ed25519, key ids, and keys encrypted at rest."""

from __future__ import annotations

import pytest

from lms.certificates import crypto


def test_canonical_form_is_sorted_compact_utf8() -> None:
    value = {"b": 1, "a": {"z": "Nguyễn", "y": [1.0, 2.5]}}
    assert crypto.canonical(value) == '{"a":{"y":[1.0,2.5],"z":"Nguyễn"},"b":1}'.encode()


def test_whole_numbers_are_written_as_integers() -> None:
    assert crypto.number(4.0) == 4
    assert isinstance(crypto.number(4.0), int)
    assert crypto.number(0.85) == 0.85
    assert crypto.number(None) is None


def test_signature_verifies_and_fails_on_a_one_byte_change() -> None:
    private, public = crypto.generate_key()
    message = crypto.canonical({"serial": "HP-2026-000001", "holder": "Nguyễn Thị Hoa"})
    signature = crypto.sign(private, message)
    assert crypto.verify(public, message, signature)
    for i in (0, len(message) // 2, len(message) - 1):
        changed = bytearray(message)
        changed[i] ^= 0x01
        assert not crypto.verify(public, bytes(changed), signature)
    broken = bytearray(crypto.b64url_decode(signature))
    broken[0] ^= 0x01
    assert not crypto.verify(public, message, crypto.b64url(bytes(broken)))
    assert not crypto.verify(public, message, "not base64!")


def test_key_id_is_the_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    public = crypto.b64url_decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    assert crypto.thumbprint(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_private_key_encryption_round_trip_and_wrong_secret() -> None:
    private, _public = crypto.generate_key()
    blob = crypto.encrypt_private_key(private, "secret one")
    assert private not in blob
    assert crypto.decrypt_private_key(blob, "secret one") == private
    with pytest.raises(crypto.KeyDecryptionError):
        crypto.decrypt_private_key(blob, "secret two")
