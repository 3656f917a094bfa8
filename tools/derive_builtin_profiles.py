"""Regenerate src/handsetguard/profiles/builtin.json from the built-in profiles' TOML files.

    python tools/derive_builtin_profiles.py

The TOML files are the source (people read and copy them); the JSON is what ``check`` loads,
because the standard library's TOML reader costs ~20 ms of start-up to import (it compiles its
regular expressions at import) where the JSON reader is already loaded. tests/profiles checks
that the JSON equals the TOML files, so an edited profile without a regenerated JSON fails CI.
The output is deterministic.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

PROFILES = Path(__file__).resolve().parents[1] / "src" / "handsetguard" / "profiles"


def derive() -> str:
    documents = {
        path.stem: tomllib.loads(path.read_text(encoding="utf-8"))
        for path in sorted(PROFILES.glob("*.toml"))
    }
    return json.dumps(documents, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    out = PROFILES / "builtin.json"
    out.write_text(derive(), encoding="utf-8")
    sys.stdout.write(f"wrote {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
