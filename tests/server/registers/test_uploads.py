"""Register files over HTTP, on SQLite and PostgreSQL: a receipt or blocklist bigger than the
64 KiB every other body is held to goes through (up to the 32 MiB the files are read to
anyway), a bigger one is refused before it is read (413 ``body_too_large``), and every batch
download is audited (``registry.export``: format, size, SHA-256 of the bytes handed out)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from handsetguard.registers.tabular import MAX_FILE_BYTES
from handsetguard.server.models import AuditEntry
from tests.server.conftest import Env
from tests.server.registers.helpers import activate, batch, licensed_partner, post_receipt

HEADER = "IMEI,Status,Remarks,Certificate No\r\n"
PADDING = "\r\n" * 60_000  # the blank rows a spreadsheet export leaves: 120 KB, read as nothing


def test_a_receipt_over_the_general_body_limit_goes_over_http(env: Env) -> None:
    who = licensed_partner(env)
    units = activate(env, who, "IN", 3)
    made = batch(env, who, "IN")
    rows = "".join(f"{u['imei1']},Accepted,,ICDR/{n}\r\n" for n, u in enumerate(units))
    data = (HEADER + rows + PADDING).encode()
    assert env.settings.max_body_bytes < len(data) < MAX_FILE_BYTES
    response = post_receipt(env, who, made["id"], data)
    assert response.status_code == 200, response.text
    assert response.json()["registered"] == 3
    blocklist = env.client.post(
        "/v1/registrations/blocklist",
        content=(f"{units[0]['imei2']}\n" + PADDING).encode(),
        params={"source": "CEIR export", "filename": "ceir.txt"},
        headers=who.admin,
    )
    assert blocklist.status_code == 200 and blocklist.json()["added"] == 1
    # Other bodies keep the general limit.
    other = env.client.post(
        "/v1/partners", content=b"{" + b" " * len(data) + b"}", headers=env.admin
    )
    assert (other.status_code, other.json()["error"]["code"]) == (413, "body_too_large")


def test_a_receipt_over_32_mib_is_refused_unread(env: Env) -> None:
    who = licensed_partner(env)
    activate(env, who, "IN", 1)
    made = batch(env, who, "IN")
    data = (HEADER + "\r\n" * (MAX_FILE_BYTES // 2 + 1)).encode()
    response = post_receipt(env, who, made["id"], data)
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (413, "body_too_large")
    assert error["message"] == f"request body over {MAX_FILE_BYTES} bytes"


def _exports(env: Env) -> list[AuditEntry]:
    with env.db.read() as session:
        query = select(AuditEntry).where(AuditEntry.action == "registry.export")
        return list(session.execute(query.order_by(AuditEntry.seq)).scalars())


def test_every_batch_download_is_audited(env: Env) -> None:
    who = licensed_partner(env)
    activate(env, who, "BD", 2)
    made = batch(env, who, "BD")
    url = f"/v1/registrations/batches/{made['id']}/file"
    auditor = env.credential("auditor")
    got = [
        env.client.get(url, headers=who.admin, params={"format": "csv"}),
        env.client.get(url, headers=who.admin, params={"format": "xlsx"}),
        env.client.get(url, headers=auditor, params={"format": "csv"}),
    ]
    assert [r.status_code for r in got] == [200, 200, 200]
    other = licensed_partner(env, "Other OEM Pvt Ltd")
    assert env.client.get(url, headers=other.admin).status_code == 404
    entries = _exports(env)
    assert [(e.target_id, e.actor_role, e.partner_id) for e in entries] == [
        (made["id"], "partner_admin", who.id),
        (made["id"], "partner_admin", who.id),
        (made["id"], "auditor", who.id),
    ]
    for entry, response, fmt in zip(entries, got, ("csv", "xlsx", "csv"), strict=True):
        assert entry.after == {
            "format": fmt,
            "bytes": len(response.content),
            "sha256": hashlib.sha256(response.content).hexdigest(),
            "unit_count": 2,
        }
    verified = env.ok("GET", "/v1/audit/verify", env.admin)
    assert verified["ok"] is True
