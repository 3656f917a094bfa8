"""``handsetguard registry …`` on SQLite and PostgreSQL: export a batch file, re-export the
same bytes, import a receipt with one rejection, status exit codes (0 shippable, 3 not),
a refused receipt in one line with nothing applied, --partial, the blocklist."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.cli_runner import run
from tests.server.conftest import Env, imei
from tests.server.registers.helpers import activate, licensed_partner, receipt_csv


def test_export_import_status(env: Env, tmp_path: Path) -> None:
    url = env.settings.database_url
    who = licensed_partner(env)
    units = activate(env, who, "NP", 3)
    missing = run(
        "registry",
        "export",
        "--database-url",
        url,
        "--agreement",
        who.agreement,
        "--territory",
        "NP",
        "-o",
        str(tmp_path / "np.csv"),
    )
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[0] == (
        "error: the agreement records no NTA importer approval number for NP"
    )
    recorded = run(
        "registry",
        "licence",
        "--database-url",
        url,
        "--agreement",
        who.agreement,
        "--territory",
        "NP",
        "--number",
        "NTA-IMP-2026-07",
    )
    assert recorded.exit_code == 0, recorded.output
    made = run(
        "registry",
        "export",
        "--database-url",
        url,
        "--agreement",
        who.agreement,
        "--territory",
        "NP",
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "np.xlsx"),
    )
    assert made.exit_code == 0, made.output
    batch_id = made.stdout.split()[1]
    assert "(NP-MDMS, 3 units" in made.stdout
    again = run(
        "registry",
        "export",
        "--database-url",
        url,
        "--batch",
        batch_id,
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "again.xlsx"),
    )
    assert again.exit_code == 0, again.output
    assert (tmp_path / "np.xlsx").read_bytes() == (tmp_path / "again.xlsx").read_bytes()

    header = ["IMEI1", "Status", "Remarks", "Reference"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        receipt_csv(
            header, [[units[0]["imei1"], "Approved", "", "MDMS-1"], [imei(77), "Approved", "", "x"]]
        )
    )
    refused = run("registry", "import", "--database-url", url, "--batch", batch_id, str(bad))
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[0] == (
        f"error: bad.csv: row 3, column IMEI1: not in batch {batch_id}; nothing applied"
    )
    assert run("registry", "status", "--database-url", url, units[0]["imei1"]).exit_code == 3
    partial = run(
        "registry", "import", "--database-url", url, "--batch", batch_id, str(bad), "--partial"
    )
    assert partial.exit_code == 0, partial.output
    assert f"skipped: bad.csv: row 3, column IMEI1: not in batch {batch_id}" in partial.stderr
    assert "1 registered, 0 rejected" in partial.stdout

    good = tmp_path / "result.csv"
    good.write_bytes(
        "\ufeff".encode()
        + receipt_csv(
            header,
            [
                [units[1]["imei1"], "Approved", "", "MDMS-2"],
                [units[2]["imei1"], "Rejected", "Importer approval expired", ""],
            ],
        )
    )
    applied = run("registry", "import", "--database-url", url, "--batch", batch_id, str(good))
    assert applied.exit_code == 0, applied.output
    assert "1 registered, 1 rejected, 0 unchanged, 0 still awaiting" in applied.stdout
    assert "read as utf-8-sig" in applied.stdout

    ok = run("registry", "status", "--database-url", url, units[1]["serial"])
    assert ok.exit_code == 0
    assert ok.stdout.startswith(f"SHIPPABLE: {units[1]['serial']}")
    assert "registered with NP-MDMS (MDMS-2)" in ok.stdout
    no = run("registry", "status", "--database-url", url, units[2]["imei2"])
    assert no.exit_code == 3
    assert "NOT SHIPPABLE" in no.stdout and "Importer approval expired" in no.stdout
    unknown = run("registry", "status", "--database-url", url, imei(12345))
    assert unknown.exit_code == 2 and "no unit with serial or IMEI" in unknown.stderr

    listed = tmp_path / "ceir.csv"
    listed.write_text(f"IMEI\n{units[2]['imei1']}\n{imei(4242)}\n")
    blocked = run("registry", "blocklist", "--database-url", url, str(listed), "--source", "CEIR")
    assert blocked.exit_code == 0 and "2 added, 0 already listed" in blocked.stdout
    shown = run("registry", "status", "--database-url", url, units[2]["serial"])
    assert f"blocklisted IMEI {units[2]['imei1']}" in shown.stdout

    summary = run("registry", "summary", "--database-url", url, "--agreement", who.agreement)
    assert '"registered": 2' in summary.stdout and '"rejected": 1' in summary.stdout
    rows = list(csv.reader(io.StringIO(good.read_text(encoding="utf-8-sig"))))
    assert rows[0] == header
