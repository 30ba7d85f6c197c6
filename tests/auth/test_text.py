import pytest

from lms.auth.text import is_valid_email, is_valid_phone, normalise_phone, search_text


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(0225) 3842.123", "02253842123"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_phone_writes_one_form(raw: str | None, normal: str | None) -> None:
    assert normalise_phone(raw) == normal


def test_validators() -> None:
    assert is_valid_email("a.b@so.gov.vn")
    assert not is_valid_email("a.b@")
    assert not is_valid_email("a b@x.vn")
    assert is_valid_phone("0912345678")
    assert not is_valid_phone("0912-abc")
    assert not is_valid_phone("123")


def test_search_text_joins_name_email_phone() -> None:
    assert search_text("Lê Văn Đức", "Duc@X.vn", "0912345678") == "le van duc duc@x.vn 0912345678"
