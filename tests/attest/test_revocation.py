"""The attestation status list: real snapshots, SUSPENDED/REVOKED handling, the fail-closed
default, list age, and refreshing the cached copy from a (local, fake) HTTP endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from handsetguard.attest import (
    MissingListPolicy,
    RevocationPolicy,
    StatusListError,
    StatusListFetchError,
    SuspendedPolicy,
    UnsafeNoOp,
    Verifier,
    default_cache_path,
    load_status_list,
    parse_status_list,
    read_chain,
    refresh_status_list,
)
from handsetguard.attest.chain import parse_certificates
from handsetguard.attest.revocation import meta_path
from tests.attest.helpers import (
    ASSETS,
    SNAPSHOT,
    SNAPSHOT_TIME,
    TODAY,
    chain_path,
    created_at,
    snapshot,
)
from tests.conftest import corpus_path

SUSPENDED_SERIAL = "cc66e9a93713b6e643b26c15879786f7"


def test_real_snapshot_has_467_revoked_entries_and_none_of_the_corpus_chains() -> None:
    status = snapshot()
    assert len(status.entries) == 467
    assert {e.status for e in status.entries.values()} == {"REVOKED"}
    reasons = sorted({e.reason or "" for e in status.entries.values()})
    assert reasons == ["KEY_COMPROMISE", "SOFTWARE_FLAW"]
    assert status.age(SNAPSHOT_TIME + timedelta(days=2)) == timedelta(days=2)


def test_nl_wallet_suspended_intermediate_is_listed_in_googles_test_list() -> None:
    status = load_status_list(corpus_path("attestation/google-android-key-attestation/status.json"))
    cert = parse_certificates(
        read_chain(corpus_path("attestation/nl-wallet/suspended-cert.pem")).certificates, "x"
    )[0]
    entry = status.lookup(cert.serial)
    assert entry is not None
    assert (entry.serial, entry.status, entry.comment) == (
        SUSPENDED_SERIAL,
        "SUSPENDED",
        "Entry for testing only",
    )


@pytest.mark.parametrize(
    ("policy", "code", "is_failure"),
    [
        (RevocationPolicy(), "revocation.suspended", False),
        (RevocationPolicy(suspended=SuspendedPolicy.FAIL), "revocation.suspended", True),
    ],
)
def test_suspended_is_reported_by_default_and_fails_when_asked(
    policy: RevocationPolicy, code: str, is_failure: bool
) -> None:
    status = load_status_list(corpus_path("attestation/google-android-key-attestation/status.json"))
    verdict = Verifier(status_list=status, revocation=policy).verify(
        read_chain(corpus_path("attestation/nl-wallet/suspended-cert.pem")), UnsafeNoOp(), at=TODAY
    )
    assert (code in verdict.codes) is is_failure
    assert (code in {n.code.value for n in verdict.notices}) is not is_failure
    assert verdict.revocation.hits[0][1].serial == SUSPENDED_SERIAL


def test_status_list_format_edge_cases_from_nl_wallet() -> None:
    status = load_status_list(corpus_path("attestation/nl-wallet/status-tests.json"))
    assert status.entries["2c8cdddfd5e03bfc"].expires == "2020-11-13"
    assert status.entries["c8966fcb2fbb0d7a"].status == "SUSPENDED"
    bare = status.entries["1"]
    assert (bare.status, bare.reason, bare.comment) == ("REVOKED", None, None)


def test_a_revoked_serial_fails_a_real_chain() -> None:
    """Pixel 3 factory chain whose attestation intermediate we list as REVOKED."""
    name = "blueline/sdk28/TEE_EC_NONE"
    chain = read_chain(chain_path(name))
    serial = parse_certificates(chain.certificates, name)[1].serial
    document = {"entries": {format(serial, "x"): {"status": "REVOKED", "reason": "KEY_COMPROMISE"}}}
    status = parse_status_list(json.dumps(document).encode(), "test", SNAPSHOT_TIME)
    verdict = Verifier(status_list=status).verify(chain, UnsafeNoOp(), at=created_at(name))
    assert verdict.codes == ("revocation.revoked",)
    assert verdict.failures[0].certificate == 1


def test_no_status_list_fails_closed_by_default() -> None:
    name = "caiman/sdk36/TEE_EC_RKP"
    verdict = Verifier().verify(read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name))
    assert verdict.codes == ("revocation.unavailable",)
    assert not verdict.revocation.checked


def test_unsafe_fail_open_accepts_and_says_so() -> None:
    name = "caiman/sdk36/TEE_EC_RKP"
    policy = RevocationPolicy(when_missing=MissingListPolicy.UNSAFE_FAIL_OPEN)
    verdict = Verifier(revocation=policy).verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name)
    )
    assert verdict.ok
    assert "revocation.unsafe_fail_open" in {n.code.value for n in verdict.notices}


def test_a_list_older_than_max_age_counts_as_missing() -> None:
    name = "caiman/sdk36/TEE_EC_RKP"
    policy = RevocationPolicy(max_age=timedelta(days=30))
    verdict = Verifier(status_list=snapshot(), revocation=policy).verify(
        read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name)
    )
    assert verdict.codes == ("revocation.stale",)
    assert verdict.revocation.age is not None and verdict.revocation.age.days == 261


@pytest.mark.parametrize(
    "document",
    [b"[]", b"{}", b'{"entries": []}', b'{"entries": {"1": "REVOKED"}}', b"not json", b"{" * 5000],
)
def test_malformed_status_lists_are_errors(document: bytes) -> None:
    with pytest.raises(StatusListError):
        parse_status_list(document, "bad.json", None)


def test_missing_status_list_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StatusListError, match="missing.json"):
        load_status_list(tmp_path / "missing.json")


def test_default_cache_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDSETGUARD_CACHE_DIR", "/x/cache")
    assert default_cache_path() == Path("/x/cache/attestation-status.json")
    monkeypatch.delenv("HANDSETGUARD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/y")
    assert default_cache_path() == Path("/y/handsetguard/attestation-status.json")


# --- refresh, against a local HTTP server ---------------------------------------------------


class _Endpoint(BaseHTTPRequestHandler):
    body = b""
    status = 200

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002, ARG002
        return


@pytest.fixture
def endpoint() -> Iterator[tuple[str, type[_Endpoint]]]:
    handler = type("Handler", (_Endpoint,), {})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/attestation/status", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_refresh_downloads_validates_and_replaces_atomically(
    endpoint: tuple[str, type[_Endpoint]], tmp_path: Path
) -> None:
    url, handler = endpoint
    handler.body = (ASSETS / "status.json").read_bytes()
    target = tmp_path / "cache" / "attestation-status.json"
    status = refresh_status_list(target, url=url, timeout=5)
    assert set(status.entries) == {"dead0001", "5005e001"}
    assert status.fetched_at is not None and status.fetched_at <= datetime.now(UTC)
    assert target.read_bytes() == handler.body
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name, meta_path(target).name]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [(404, b"{}", StatusListFetchError), (200, b"<html>", StatusListError)],
)
def test_refresh_failure_keeps_the_old_copy(
    endpoint: tuple[str, type[_Endpoint]],
    tmp_path: Path,
    status: int,
    body: bytes,
    error: type[Exception],
) -> None:
    url, handler = endpoint
    handler.status, handler.body = status, body
    target = tmp_path / "attestation-status.json"
    target.write_text('{"entries": {}}')
    with pytest.raises(error):
        refresh_status_list(target, url=url, timeout=5)
    assert target.read_text() == '{"entries": {}}'


def test_refresh_without_network_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StatusListFetchError, match="cannot download") as info:
        refresh_status_list(tmp_path / "s.json", url="http://127.0.0.1:9/status", timeout=2)
    assert info.value.remediation is not None


def test_a_list_of_unknown_age_is_stale_when_a_maximum_age_is_set() -> None:
    name = "caiman/sdk36/TEE_EC_RKP"
    status = parse_status_list(b'{"entries": {}}', "no-date", None)
    verdict = Verifier(
        status_list=status, revocation=RevocationPolicy(max_age=timedelta(days=1))
    ).verify(read_chain(chain_path(name)), UnsafeNoOp(), at=created_at(name))
    assert verdict.codes == ("revocation.stale",)


# --- issue 12: statuses normalised, duplicates, the list's age ------------------------------


def _listed(status_text: str) -> tuple[str, ...]:
    """Verdict codes of a real chain whose attestation certificate is listed with a status."""
    name = "blueline/sdk28/TEE_EC_NONE"
    chain = read_chain(chain_path(name))
    serial = format(parse_certificates(chain.certificates, name)[1].serial, "x")
    document = {"entries": {serial: {"status": status_text}}}
    status = parse_status_list(json.dumps(document).encode(), "t", SNAPSHOT_TIME)
    return Verifier(status_list=status).verify(chain, UnsafeNoOp(), at=created_at(name)).codes


@pytest.mark.parametrize("spelling", ["REVOKED", "revoked", "REVOKED ", " Revoked\t"])
def test_revoked_in_any_case_or_whitespace_fails_a_real_chain(spelling: str) -> None:
    """Finding: "revoked" or "REVOKED " was a notice and the chain VALID."""
    assert _listed(spelling) == ("revocation.revoked",)


@pytest.mark.parametrize("spelling", ["suspended", " SUSPENDED"])
def test_suspended_in_any_spelling_is_reported(spelling: str) -> None:
    assert _listed(spelling) == ()


@pytest.mark.parametrize("unknown", ["DISABLED", "", "REVOKE D"])
def test_an_unknown_status_fails_closed(unknown: str) -> None:
    assert _listed(unknown) == ("revocation.unknown_status",)


@pytest.mark.parametrize(
    "document",
    [
        b'{"entries": {"00ABC": {"status": "REVOKED"}, "abc": {"status": "SUSPENDED"}}}',
        b'{"entries": {"abc": {"status": "SUSPENDED"}, "00ABC": {"status": "REVOKED"}}}',
        b'{"entries": {"abc": {"status": "REVOKED"}, "abc": {"status": "SUSPENDED"}}}',
        b'{"entries": {"abc": {"status": "SUSPENDED"}, "abc": {"status": "revoked"}}}',
    ],
)
def test_one_serial_listed_twice_the_most_severe_status_wins_in_any_order(document: bytes) -> None:
    """Finding: with two spellings of one serial, the last one won."""
    status = parse_status_list(document, "t", None)
    entry = status.lookup(0xABC)
    assert entry is not None and entry.status == "REVOKED"


def test_a_hand_given_file_has_unknown_age_not_its_modification_time(tmp_path: Path) -> None:
    """Finding: the age was the file's mtime, so a 2023 snapshot read "fetched 0.0 days ago"."""
    copy = tmp_path / "snapshot.json"
    copy.write_bytes(corpus_path(SNAPSHOT).read_bytes())
    status = load_status_list(copy)
    assert status.fetched_at is None and status.age(TODAY) is None


def test_the_age_comes_from_the_http_date_recorded_by_refresh(
    endpoint: tuple[str, type[_Endpoint]], tmp_path: Path
) -> None:
    url, handler = endpoint
    handler.body = (ASSETS / "status.json").read_bytes()
    target = tmp_path / "attestation-status.json"
    refresh_status_list(target, url=url, timeout=5)
    record = json.loads(meta_path(target).read_text())
    assert record["http_date"] is not None and record["fetched_at"] is not None
    served = datetime.fromisoformat(record["http_date"])
    assert load_status_list(target).fetched_at == served
    # A record for other bytes does not date this list.
    target.write_bytes(handler.body + b" ")
    assert load_status_list(target).fetched_at is None
