"""Send a JSON report to a HandsetGuard service (``POST /v1/reports``), authenticated with a
credential token read from the environment — never from the command line, where it would
show in process lists and shell history, and never echoed in a message."""

from __future__ import annotations

import gzip
import json
import os
import urllib.error
import urllib.request
from urllib.parse import urlsplit, urlunsplit

from handsetguard.errors import HandsetGuardError, UsageError
from handsetguard.records import record

__all__ = ["TOKEN_ENV", "UploadError", "Uploaded", "reports_url", "token_from_env", "upload"]

TOKEN_ENV = "HANDSETGUARD_TOKEN"
TIMEOUT_SECONDS = 30.0
_ENDPOINT = "/v1/reports"
GZIP_LEVEL = 6
"""The uploader's CPU is its own: zlib's default level (5.6 KB for the example's 24 KB)."""


class UploadError(HandsetGuardError):
    """The service refused the report or could not be reached."""


@record
class Uploaded:
    report_id: str
    device_id: str
    baseline: bool
    alerts: int


def reports_url(url: str) -> str:
    """``URL`` may be the service's base (``http://host:8000``) or the endpoint itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--upload needs an http:// or https:// URL, not {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith(_ENDPOINT):
        path += _ENDPOINT
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def token_from_env() -> str:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UsageError(
            f"--upload needs a credential token in ${TOKEN_ENV}",
            remediation=f"export {TOKEN_ENV}=<factory or support credential token>",
        )
    return token


def _refusal(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read(64 * 1024))["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError, OSError):
        return f"HTTP {exc.code}"


def upload(url: str, report_json: str, token: str) -> Uploaded:
    """POST the report gzipped (a quarter of the bytes; the service stores the stream as
    sent instead of compressing the report itself)."""
    target = reports_url(url)
    request = urllib.request.Request(
        target,
        data=gzip.compress(report_json.encode(), GZIP_LEVEL),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Authorization": f"Bearer {token}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = json.loads(response.read(1024 * 1024))
    except urllib.error.HTTPError as exc:
        raise UploadError(f"the service at {target} refused the report: {_refusal(exc)}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UploadError(f"could not upload the report to {target}: {reason}") from exc
    try:
        return Uploaded(
            str(body["report_id"]),
            str(body["device_id"]),
            bool(body["baseline"]),
            len(body.get("alerts") or []),
        )
    except (KeyError, TypeError) as exc:
        raise UploadError(f"the service at {target} answered without a report id") from exc
