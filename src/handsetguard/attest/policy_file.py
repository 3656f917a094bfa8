"""Build a policy from a JSON or TOML file (or a mapping): a table is an all-of of its keys.

Keys (all optional, but a table must hold at least one)::

    challenge = "hex"                         # ExpectedChallenge
    min_security_level = "TRUSTED_ENVIRONMENT"  # or STRONG_BOX (also: tee, strongbox)
    require_device_locked = true
    verified_boot_states = ["VERIFIED"]
    min_os_patch_level = 202401               # YYYYMM
    min_vendor_patch_level = 20240101         # YYYYMMDD
    min_boot_patch_level = 20240101
    packages = ["com.example.app"]
    signing_digests = ["<sha-256, hex or base64>"]
    key_origins = ["GENERATED"]
    any_of = [ { …table… }, { …table… } ]     # AnyOf of all-of tables
    all_of = [ { …table… } ]
    [verified_boot_keys]                      # model (as attested) -> keys, "*" for any model
    "Pixel 8a" = ["<hex>"]
    [attested_ids]                            # "*" = must be attested, any value
    serial = "*"
    brand = "google"
"""

from __future__ import annotations

import base64
import binascii
import json
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from handsetguard.attest.challenges import ExpectedChallenge
from handsetguard.attest.errors import AttestPolicyError
from handsetguard.attest.keydescription import KeyOrigin, SecurityLevel, VerifiedBootState
from handsetguard.attest.policy import (
    AllOf,
    AnyOf,
    DeviceLocked,
    ExpectedPackage,
    ExpectedSigningDigests,
    ExpectedVerifiedBootKey,
    KeyOriginIn,
    MinimumBootPatchLevel,
    MinimumOsPatchLevel,
    MinimumSecurityLevel,
    MinimumVendorPatchLevel,
    Policy,
    RequiredAttestedIds,
    VerifiedBootStateIn,
)

__all__ = ["load_policy", "parse_hex", "policy_from_mapping"]

_MAX_DEPTH = 8
_LEVEL_ALIASES = {"tee": "TRUSTED_ENVIRONMENT", "strongbox": "STRONG_BOX"}


def parse_hex(value: str, what: str) -> bytes:
    """Bytes from hex (spaces and colons allowed)."""
    cleaned = value.replace(":", "").replace(" ", "")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise AttestPolicyError(f"{what}: {value!r} is not hex") from None


def _digest(value: str, what: str) -> bytes:
    if len(value.replace(":", "")) == 64:
        return parse_hex(value, what)
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AttestPolicyError(f"{what}: {value!r} is neither hex nor base64") from None
    if len(decoded) != 32:
        raise AttestPolicyError(f"{what}: {value!r} is not a SHA-256 digest")
    return decoded


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AttestPolicyError(f"{what}: expected a list of strings")
    return value


def _int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise AttestPolicyError(f"{what}: expected an integer")
    return value


def _enum_names(kind: Any, values: list[str], what: str) -> list[Any]:
    try:
        return [kind[_LEVEL_ALIASES.get(v.lower(), v.upper())] for v in values]
    except KeyError as exc:
        raise AttestPolicyError(
            f"{what}: unknown value {exc.args[0]!r}; use {', '.join(m.name for m in kind)}"
        ) from None


def _boot_keys(value: Any, what: str) -> Policy:
    if not isinstance(value, dict):
        raise AttestPolicyError(f"{what}: expected a table of model -> list of hex keys")
    return ExpectedVerifiedBootKey(
        {
            model: [parse_hex(k, f"{what}.{model}") for k in _strings(keys, f"{what}.{model}")]
            for model, keys in value.items()
        }
    )


def _attested_ids(value: Any, what: str) -> Policy:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise AttestPolicyError(f"{what}: expected a table of id name -> value or '*'")
    return RequiredAttestedIds({k: (None if v == "*" else v) for k, v in value.items()})


def _locked(value: Any, what: str) -> Policy | None:
    if not isinstance(value, bool):
        raise AttestPolicyError(f"{what}: expected true or false")
    return DeviceLocked() if value else None


_BUILDERS: dict[str, Callable[[Any, str], Policy | None]] = {
    "challenge": lambda v, w: ExpectedChallenge(parse_hex(str(v), w)),
    "min_security_level": lambda v, w: MinimumSecurityLevel(
        _enum_names(SecurityLevel, [str(v)], w)[0]
    ),
    "require_device_locked": _locked,
    "verified_boot_states": lambda v, w: VerifiedBootStateIn(
        _enum_names(VerifiedBootState, _strings(v, w), w)
    ),
    "verified_boot_keys": _boot_keys,
    "min_os_patch_level": lambda v, w: MinimumOsPatchLevel(_int(v, w)),
    "min_vendor_patch_level": lambda v, w: MinimumVendorPatchLevel(_int(v, w)),
    "min_boot_patch_level": lambda v, w: MinimumBootPatchLevel(_int(v, w)),
    "packages": lambda v, w: ExpectedPackage(_strings(v, w)),
    "signing_digests": lambda v, w: ExpectedSigningDigests([_digest(d, w) for d in _strings(v, w)]),
    "attested_ids": _attested_ids,
    "key_origins": lambda v, w: KeyOriginIn(_enum_names(KeyOrigin, _strings(v, w), w)),
}


def policy_from_mapping(table: Mapping[str, Any], where: str = "policy", depth: int = 0) -> Policy:
    """An :class:`AllOf` of the checks named in ``table``; an empty table is an error."""
    if depth > _MAX_DEPTH:
        raise AttestPolicyError(f"{where}: nested deeper than {_MAX_DEPTH}")
    if not isinstance(table, Mapping):
        raise AttestPolicyError(f"{where}: expected a table")
    children: list[Policy] = []
    for key, value in table.items():
        what = f"{where}.{key}"
        if key in ("any_of", "all_of"):
            if not isinstance(value, list):
                raise AttestPolicyError(f"{what}: expected a list of tables")
            parts = [policy_from_mapping(t, f"{what}[{i}]", depth + 1) for i, t in enumerate(value)]
            children.append(AnyOf(parts) if key == "any_of" else AllOf(parts))
            continue
        builder = _BUILDERS.get(key)
        if builder is None:
            known = ", ".join(sorted([*_BUILDERS, "all_of", "any_of"]))
            raise AttestPolicyError(f"{what}: unknown policy key; known: {known}")
        policy = builder(value, what)
        if policy is not None:
            children.append(policy)
    if not children:
        raise AttestPolicyError(
            f"{where}: the policy checks nothing (an empty all-of is refused)",
            remediation='add at least one check, e.g. min_security_level = "TRUSTED_ENVIRONMENT"',
        )
    return AllOf(children)


def load_policy(path: str | Path) -> Policy:
    """Read a ``.toml`` or ``.json`` policy file."""
    path = Path(path)
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise AttestPolicyError(f"{path}: cannot read policy ({exc.strerror or exc})") from None
    try:
        if path.suffix.lower() == ".json":
            document = json.loads(text)
        else:
            document = tomllib.loads(text.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise AttestPolicyError(f"{path}: not valid {path.suffix[1:] or 'TOML'} ({exc})") from None
    return policy_from_mapping(document, where=path.name)
