"""Reports sent with ``Content-Encoding: gzip`` (as ``check --upload`` sends them): stored as
sent when the stream compresses well, recompressed when it does not, and every bad stream
refused with its reason after the caller is known — corrupt, cut short, data after its
end, inflating past the report limit, another encoding — with nothing stored."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from sqlalchemy import func, select

from handsetguard.report import upload
from handsetguard.server.models import PostureReport
from handsetguard.server.services.reports import MAX_REPORT_BYTES
from tests.server.conftest import Env
from tests.server.fleet.helpers import activate, example_report, tenant


def _post(env: Env, who: dict[str, str], body: bytes, encoding: str | None = "gzip") -> Any:
    headers = {**who, "Content-Type": "application/json"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return env.client.post("/v1/reports", content=body, headers=headers)


def _documents(env: Env) -> list[bytes]:
    with env.db.read() as session:
        return [bytes(d) for d in session.execute(select(PostureReport.document)).scalars()]


def _count(env: Env) -> int:
    with env.db.read() as session:
        return int(session.execute(select(func.count()).select_from(PostureReport)).scalar_one())


def test_a_gzipped_report_is_stored_as_sent(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    raw = json.dumps(example_report("factory", serial=unit["serial"])).encode()
    sent = gzip.compress(raw, 9)
    response = _post(env, lava.factory, sent)
    assert (response.status_code, response.json()["baseline"]) == (201, True)
    assert _documents(env) == [sent]
    # Read back like any stored document: the unit's history shows the baseline.
    history = env.ok("GET", f"/v1/units/{unit['device_id']}/history", lava.support)
    assert [e["type"] for e in history] == ["baseline"]
    # The same report uncompressed gives the same answer, stored compressed by the service.
    plain = _post(env, lava.support, raw, encoding=None)
    assert plain.status_code == 201, plain.text
    documents = _documents(env)
    assert len(documents) == 2 and all(gzip.decompress(d) == raw for d in documents)


def test_a_stream_that_compresses_badly_is_stored_recompressed(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    raw = json.dumps(example_report("factory", serial=unit["serial"])).encode()
    stored_blocks = gzip.compress(raw, 0)  # "gzip" without compression: larger than raw
    assert len(stored_blocks) > len(raw)
    assert _post(env, lava.factory, stored_blocks).status_code == 201
    (document,) = _documents(env)
    assert gzip.decompress(document) == raw and len(document) * 2 < len(raw)


def test_bad_streams_are_refused_after_the_caller_is_known(env: Env) -> None:
    lava = tenant(env)
    unit = activate(env, lava)
    raw = json.dumps(example_report("factory", serial=unit["serial"])).encode()
    good = gzip.compress(raw)
    corrupt = good[:40] + bytes(b ^ 0xFF for b in good[40:80]) + good[80:]
    bomb = gzip.compress(b" " * (MAX_REPORT_BYTES + 1))
    deflate = zlib.compress(raw)
    cases = [
        (corrupt, "gzip", 400, "malformed_gzip"),
        (good[: len(good) // 2], "gzip", 400, "malformed_gzip"),
        (good + b"tail", "gzip", 400, "malformed_gzip"),
        (good + good, "gzip", 400, "malformed_gzip"),  # a second member
        (bomb, "gzip", 413, "body_too_large"),
        (deflate, "deflate", 415, "unsupported_encoding"),
        (raw, "br", 415, "unsupported_encoding"),
        (b"not gzip at all", "gzip", 400, "malformed_gzip"),
    ]
    for body, encoding, status, code in cases:
        response = _post(env, lava.factory, body, encoding)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), code
        assert len(response.json()["error"]["message"].splitlines()) == 1
        anonymous = env.client.post(
            "/v1/reports",
            content=body,
            headers={"Authorization": "Bearer hg_nosuch_x", "Content-Encoding": encoding},
        )
        assert anonymous.status_code == 401
    assert _count(env) == 0
    # "identity" is no encoding at all.
    assert _post(env, lava.factory, raw, "identity").status_code == 201


def test_the_uploader_sends_gzip(monkeypatch: Any) -> None:
    seen: list[Any] = []

    def urlopen(request: Any, **_options: Any) -> Any:
        seen.append(request)
        raise upload.urllib.error.URLError("stop here")

    monkeypatch.setattr(upload.urllib.request, "urlopen", urlopen)
    report = json.dumps({"schema": "handsetguard.report/1"})
    try:
        upload.upload("http://127.0.0.1:9", report, "hg_x_y")
    except upload.UploadError:
        pass
    (request,) = seen
    assert request.get_header("Content-encoding") == "gzip"
    assert gzip.decompress(request.data).decode() == report


def _as_zlib_decodes(body: bytes) -> Any:
    """What decode_body gave when it inflated with the standard library's zlib."""
    inflate = zlib.decompressobj(wbits=31)
    try:
        raw = inflate.decompress(body, MAX_REPORT_BYTES + 1)
    except zlib.error as exc:
        return ("malformed_gzip", f"the gzip body is corrupt: {exc}")
    if len(raw) > MAX_REPORT_BYTES:
        return ("body_too_large", f"the report inflates past {MAX_REPORT_BYTES} bytes")
    if not inflate.eof or inflate.unused_data:
        why = "ends early" if not inflate.eof else "has data after its end"
        return ("malformed_gzip", f"the gzip body {why}")
    return raw, body if len(body) * 2 <= len(raw) else None


def test_zlib_ngs_inflate_decodes_as_zlibs() -> None:
    """decode_body inflates with zlib-ng: the same bytes, and every bad stream refused with
    the same code and message as zlib's."""
    from handsetguard.server.services import reports

    raw = json.dumps(example_report()).encode()
    good = gzip.compress(raw)
    bodies = [
        good,
        gzip.compress(raw, 0),
        b"xx" + good[2:],  # header
        good[:3] + b"\xff" + good[4:],  # flags
        good[:40] + bytes(b ^ 0xFF for b in good[40:80]) + good[80:],
        good[:-8] + b"\0\0\0\0" + good[-4:],  # CRC
        good[:-4] + b"\0\0\0\0",  # length
        good[: len(good) // 2],
        good + b"tail",
        good + good,
        gzip.compress(b" " * (MAX_REPORT_BYTES + 1)),
        b"",
    ]
    for body in bodies:
        try:
            got: Any = reports.decode_body(body, "gzip")
        except reports.MalformedReport as exc:
            got = (exc.code, exc.message)
        assert got == _as_zlib_decodes(body)
    assert reports._zlib.__name__ == "zlib_ng.zlib_ng"
