import pytest

from lms.auth.text import (
    is_valid_email,
    is_valid_phone,
    normalise_phone,
    phone_e164,
    search_text,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("0912 345 678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("912345678", "0912345678"),  # a spreadsheet dropped the leading zero
        ("'0912345678", "0912345678"),  # a spreadsheet's text prefix
        ("0084 912 345 678", "0912345678"),
        ("01682345678", "0382345678"),  # 11-digit mobiles moved to 10 digits in 2018
        ("+84 168 234 5678", "0382345678"),
        ("+1 415 555 2671", "+14155552671"),  # foreign numbers keep their +
        ("(0225) 3842.123", "02253842123"),  # a landline: one form, but no account contact
        ("0912 345 6", "09123456"),  # no number: only stripped, so validation refuses it
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
    assert is_valid_phone("912345678")
    assert is_valid_phone("+84 912 345 678")
    assert not is_valid_phone("0912 345 6")  # too short: was imported before the rule
    assert not is_valid_phone("09123456789")  # 11 digits with a current prefix
    assert not is_valid_phone("0212345678")  # no mobile prefix
    assert not is_valid_phone("(0225) 3842.123")  # a landline takes no SMS
    assert not is_valid_phone("1-800-FLOWERS")


def test_phone_e164_is_what_a_gateway_gets() -> None:
    assert phone_e164("0912345678") == "+84912345678"


def test_search_text_joins_name_email_phone() -> None:
    assert search_text("Lê Văn Đức", "Duc@X.vn", "0912345678") == "le van duc duc@x.vn 0912345678"
