"""Regenerate src/handsetguard/data/echap-stalkerware.json from a checkout of
AssoEchap/stalkerware-indicators (CC-BY-4.0): ioc.yaml and watchware.yaml's families, with the
APK hashes, packages and certificates of samples.csv added to the family each sample names.

    python tools/derive_bundled_iocs.py CHECKOUT COMMIT DATE [OUT]

CHECKOUT is the folder holding ioc.yaml (the corpus copy: /work/shared/corpus/iocs/
stalkerware-indicators), COMMIT the commit it was taken at, DATE (YYYY-MM-DD) that commit's
date. The output is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import yaml

SOURCE = "https://github.com/AssoEchap/stalkerware-indicators"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
KEEP = (
    "name",
    "names",
    "type",
    "packages",
    "certificates",
    "certificate_organizations",
    "certificate_cname_re",
    "websites",
    "distribution",
    "c2",
)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))


def _family(raw: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key in KEEP:
        value = raw.get(key)
        if isinstance(value, list):
            out[key] = _unique([str(v) for v in value])
        elif key == "c2" and isinstance(value, dict):
            c2 = {}
            for sub in ("domains", "ips", "ip"):
                if isinstance(value.get(sub), list):
                    c2["ips" if sub == "ip" else sub] = _unique(
                        [*c2.get("ips" if sub == "ip" else sub, []), *map(str, value[sub])]
                    )
            out[key] = c2
        elif isinstance(value, str):
            out[key] = value
    return out


def derive(checkout: Path, commit: str, date: str) -> dict[str, object]:
    families = []
    for name in ("ioc.yaml", "watchware.yaml"):
        data = yaml.safe_load((checkout / name).read_text(encoding="utf-8"))
        families.extend(_family(f) for f in data if isinstance(f, dict) and f.get("name"))
    alias = {}
    for family in families:
        for n in [family["name"], *family.get("names", [])]:  # type: ignore[misc]
            alias.setdefault(str(n).lower(), family)
    with (checkout / "samples.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            app = (row.get("App") or "").strip()
            family = alias.get(app.lower())
            if family is None:
                family = {"name": app, "type": "stalkerware"}
                families.append(family)
                alias[app.lower()] = family
            for key, column in (
                ("samples", "SHA256"),
                ("packages", "Package Name"),
                ("certificates", "Certificate"),
            ):
                value = (row.get(column) or "").strip()
                if value:
                    family[key] = _unique([*family.get(key, []), value])  # type: ignore[misc]
    return {
        "format": "handsetguard-indicators/1",
        "name": "echap-stalkerware",
        "licence": "CC-BY-4.0",
        "attribution": (
            f"Stalkerware indicators by Echap ({SOURCE}, commit {commit}, {date}), "
            f"licensed CC-BY-4.0 ({LICENCE_URL}); derived by HandsetGuard "
            "(tools/derive_bundled_iocs.py: ioc.yaml, watchware.yaml and samples.csv merged)"
        ),
        "source_repository": SOURCE,
        "source_commit": commit,
        "source_files": "ioc.yaml, watchware.yaml, samples.csv",
        "updated": date,
        "families": families,
    }


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__ or "")
        return 2
    default = Path(__file__).resolve().parents[1] / "src/handsetguard/data/echap-stalkerware.json"
    out = Path(argv[3]) if len(argv) == 4 else default
    doc = derive(Path(argv[0]), argv[1], argv[2])
    out.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
