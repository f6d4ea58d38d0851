"""Redaction tests: secrets never survive into logs, records or errors."""

import pytest

from tatacliq.redact import (
    MASK,
    is_secret_name,
    redact_data,
    redact_headers,
    redact_text,
    redact_url,
    truncate,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "api_secret",
        "apiSecret",
        "jwtToken",
        "Authorization",
        "key",
        "X-Api-Key",
    ],
)
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["tokenExpiryDate", "keyboard", "SKU", "orderNo"])
def test_plain_names(name):
    assert not is_secret_name(name)


def test_json_body():
    text = '{"username": "demo.slave", "password": "demo-password", "jwtToken": "abc"}'

    redacted = redact_text(text)

    assert "demo-password" not in redacted
    assert '"jwtToken": "***"' in redacted
    assert "demo.slave" in redacted


def test_cut_json_body():
    redacted = redact_text('{"jwtToken": "abcdefgh')

    assert "abcdefgh" not in redacted


def test_xml_body():
    redacted = redact_text("<r><password>pw-1</password><apiKey a='1'>k-1</apiKey></r>")

    assert "pw-1" not in redacted
    assert "k-1" not in redacted
    assert "<password>***</password>" in redacted


def test_credentials_in_text():
    text = f"Authorization: Bearer {JWT}; basic: Basic ZGVtbzpzZWNyZXQ= token {JWT}"

    redacted = redact_text(text)

    assert JWT not in redacted
    assert "ZGVtbzpzZWNyZXQ=" not in redacted
    assert "Bearer ***" in redacted


def test_literal_secrets():
    secrets = ["demo-secret", "abc", None]

    redacted = redact_text("failed for demo-secret and abc", secrets)

    assert redacted == f"failed for {MASK} and abc"


def test_query_string_in_text():
    assert redact_text("GET /x?page=2&password=pw") == f"GET /x?page=2&password={MASK}"


def test_data():
    data = {
        "password": "pw",
        "nested": [{"api_secret": "s"}, {"note": "has pw-secret"}],
    }

    redacted = redact_data(data, ["pw-secret"])

    assert redacted == {
        "password": MASK,
        "nested": [{"api_secret": MASK}, {"note": f"has {MASK}"}],
    }
    assert data["password"] == "pw"


def test_headers():
    headers = {
        "Authorization": f"Bearer {JWT}",
        "Content-Type": "application/json",
        "Cookie": "session=1",
    }

    redacted = redact_headers(headers)

    assert redacted["Authorization"] == f"Bearer {MASK}"
    assert redacted["Content-Type"] == "application/json"
    assert redacted["Cookie"] == MASK


def test_url():
    url = "https://user:pw@host.example/path?page=1&token=abc&apiKey=k"

    redacted = redact_url(url)

    assert "pw" not in redacted
    assert "abc" not in redacted
    assert "page=1" in redacted
    assert redacted.startswith("https://***@host.example/path?")


def test_truncate():
    assert truncate("abc", 5) == "abc"
    assert truncate("abcdef", 3) == "abc... [truncated, 6 characters in total]"
    assert truncate(None, 3) is None
