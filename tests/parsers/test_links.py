# ruff: noqa: E501 (dump lines are as long as dumpsys prints them)
"""Links from text meant to carry them: intents' data as dumpsys prints it, SMS bodies, logs."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.errors import ParseError
from handsetguard.parsers import links
from handsetguard.parsers.links import (
    normalise_host,
    normalise_url,
    parse_intent_links,
    parse_log_links,
    parse_sms_json,
)

# Lines as dumpsys activity and shortcut print them (Meizu MX6 Android 7.1, Pixel 1 8.1).
ACTIVITY = """\
  Recent #0: TaskRecord{1a2b #12 A=com.tencent.android.qqdownloader U=0 StackId=1 sz=1}
    intent={act=android.intent.action.VIEW dat=tmast://webview?url=http://qzs.qq.com/open/index.html#curType=1 flg=0x10000000 cmp=com.tencent.android.qqdownloader/.Link}
    realActivity=com.tencent.android.qqdownloader/.Link
  Recent #1: TaskRecord{3c4d #13 A=com.android.contacts U=0 StackId=1 sz=1}
    intent={act=android.intent.action.VIEW dat=content://com.android.contacts/contacts cmp=com.android.contacts/.Main}
      requestIntent=act=GoToSmartLink dat=https://www.Amazon.com/... flg=0x10
"""


def test_intent_data_links_with_their_hosts_and_lines() -> None:
    found = parse_intent_links(ACTIVITY)
    got = [(link.url, link.host, link.line, link.context) for link in found.links]
    assert got == [
        (
            "tmast://webview?url=http://qzs.qq.com/open/index.html#curType=1",
            None,  # an app's own scheme names no internet host
            1,
            "intent data",
        ),
        ("http://qzs.qq.com/open/index.html#curType=1", "qzs.qq.com", 1, "intent data"),
        ("content://com.android.contacts/contacts", None, 4, "intent data"),
        # The platform's "..." for a hidden path goes with the trailing punctuation.
        ("https://www.Amazon.com/", "www.amazon.com", 5, "intent data"),
    ]
    assert found.dropped == 0


def test_a_provider_authority_is_never_a_host() -> None:
    found = parse_intent_links("dat=content://evil.example.com/x dat=file:///sdcard/a.b.c\n")
    assert [link.host for link in found.links] == [None, None]


def test_urls_end_at_control_characters_and_quotes() -> None:
    text = 'see "https://a.example.org/p\x1b[2J" and https://b.example.org/q).\n'
    found = parse_log_links(text)
    assert [link.url for link in found.links] == [
        "https://a.example.org/p",
        "https://b.example.org/q",
    ]


def test_normalised_url_spelling() -> None:
    assert normalise_url("HTTPS://GitHub.com:443/jeanboydev#top") == "https://github.com/jeanboydev"
    assert normalise_url("http://Example.COM/") == "http://example.com"
    assert normalise_url("http://example.com:8080/A?B=C") == "http://example.com:8080/A?B=C"
    assert normalise_url("https://user@Host.example./x") == "https://user@host.example/x"
    assert normalise_url("not a url") == "not a url"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("Example.ORG.", "example.org"),
        ("198.51.100.1", "198.51.100.1"),
        ("999.1.1.1", None),
        ("[2001:db8::1]", None),
        ("exa mple.org", None),
        ("localhost", None),  # no dot: no domain indicator names it
        ("a" * 300 + ".com", None),
    ],
)
def test_hosts(raw: str, host: str | None) -> None:
    assert normalise_host(raw) == host


def _sms(*bodies: str) -> str:
    return "\n".join(json.dumps({"address": "+9100000", "body": b}) for b in bodies)


def test_sms_links_and_bare_hosts() -> None:
    found = parse_sms_json(
        _sms("Your parcel: bit.ly/3xYz now", "Hi https://Accounts.example.net/a")
    )
    got = [(link.url, link.host, link.line, link.context) for link in found.links]
    assert got == [
        ("bit.ly/3xYz", "bit.ly", 0, "SMS from +9100000"),
        ("https://Accounts.example.net/a", "accounts.example.net", 1, "SMS from +9100000"),
    ]


def test_sms_section_that_is_not_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="line 2 is not JSON"):
        parse_sms_json(_sms("ok") + "\n{not json")
    with pytest.raises(ParseError, match="line 1 is not a JSON object"):
        parse_sms_json("[1, 2]")


def test_links_are_capped_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(links, "MAX_LINKS", 3)
    found = parse_log_links("".join(f"https://h{n}.example.com/\n" for n in range(10)))
    assert (len(found.links), found.dropped) == (3, 7)


def test_long_url_is_cut() -> None:
    found = parse_log_links("https://example.com/" + "a" * 10_000)
    assert len(found.links[0].url) == links.MAX_URL_CHARS


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["\n", "://", ":/", "/", "dat=", "http", " ", "\r", "ä"]), max_size=30)
)
def test_link_lines_are_the_lines_holding_a_scheme_separator(parts: list[str]) -> None:
    """The lines found by searching for ``://`` are those a split of the text holds it in."""
    text = "".join(parts)
    assert links._lines(text) == [
        (n, line) for n, line in enumerate(text.split("\n")) if "://" in line
    ]
