"""The register routes' rows of the permission matrix (tests/server/test_permissions.py):
which roles may call each, on their own tenant's objects and another's."""

from __future__ import annotations

from typing import Any

L, A, PA, F, S = "licensor_admin", "auditor", "partner_admin", "factory", "support"
EVERYONE = (L, A, PA, F, S)


def register_rows(row: Any, raw_row: Any) -> list[Any]:
    """``row``/``raw_row``: the matrix's constructors (JSON body / raw body)."""
    base = "/v1/registrations"
    return [
        row("GET", f"{base}/registers", EVERYONE),
        row(
            "PUT",
            f"{base}/licences/{{agreement_id}}/{{territory}}",
            (L, PA),
            lambda t: f"{base}/licences/{t.agreement}/BD",
            lambda _e, _t: {"licence_number": "BTRC-VE-1"},
        ),
        row(
            "POST",
            f"{base}/batches",
            (L, PA),
            body=lambda _e, t: {"agreement_id": t.agreement, "territory": "BD"},
        ),
        row(
            "GET", f"{base}/batches/{{batch_id}}", (L, A, PA), lambda t: f"{base}/batches/{t.batch}"
        ),
        row(
            "GET",
            f"{base}/batches/{{batch_id}}/file",
            (L, A, PA),
            lambda t: f"{base}/batches/{t.batch}/file",
        ),
        raw_row(
            "POST",
            f"{base}/batches/{{batch_id}}/receipt",
            (L, PA),
            lambda t: f"{base}/batches/{t.batch}/receipt",
            lambda t: f"IMEI,Status,Remarks,Certificate No\n{t.imei},Accepted,,C-1\n".encode(),
        ),
        row(
            "GET", f"{base}/status/{{ident}}", (L, A, PA, S), lambda t: f"{base}/status/{t.serial}"
        ),
        row(
            "GET",
            f"{base}/summary/{{agreement_id}}",
            (L, A, PA),
            lambda t: f"{base}/summary/{t.agreement}",
        ),
        raw_row(
            "POST",
            f"{base}/blocklist",
            (L, PA),
            lambda _t: f"{base}/blocklist?source=matrix",
            lambda _t: b"490154203237518\n",
            bound=False,
        ),
        raw_row(
            "GET", "/v1/units", (L, A, PA, S), lambda _t: "/v1/units?territory=IN", bound=False
        ),
    ]
