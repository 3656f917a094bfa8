"""Verdicts and KeyDescriptions as plain JSON-ready data (schema ``handsetguard.attest/1``).

The ``key_description`` object uses the field names and encodings of Google's reference
library (android/keyattestation's golden JSON): camelCase names, integers as decimal strings,
bytes as standard base64, enums by name, flags as ``true``; absent fields are left out. So a
decoded KeyDescription can be compared with Google's output field for field.
"""

from __future__ import annotations

import base64
import enum
import json
from datetime import datetime
from typing import Any

from handsetguard.attest import asn1
from handsetguard.attest.keydescription import (
    FIELD_BY_TAG,
    AttestationApplicationId,
    AuthorizationList,
    KeyDescription,
    PatchLevel,
    RootOfTrust,
)
from handsetguard.attest.provisioning import ProvisioningInfo
from handsetguard.attest.reasons import Failure, Notice
from handsetguard.attest.verify import Verdict

__all__ = [
    "SCHEMA_VERSION",
    "authorization_list_to_dict",
    "key_description_to_dict",
    "render_verdict_json",
    "verdict_to_dict",
]

SCHEMA_VERSION = "handsetguard.attest/1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _root_of_trust(root: RootOfTrust) -> dict[str, Any]:
    result: dict[str, Any] = {
        "verifiedBootKey": _b64(root.verified_boot_key),
        "deviceLocked": root.device_locked,
        "verifiedBootState": root.verified_boot_state.name,
    }
    if root.verified_boot_hash is not None:
        result["verifiedBootHash"] = _b64(root.verified_boot_hash)
    return result


def _application_id(app: AttestationApplicationId) -> dict[str, Any]:
    return {
        "packages": [{"name": p.name, "version": str(p.version)} for p in app.packages],
        "signatures": [_b64(d) for d in app.signature_digests],
    }


def _value(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, RootOfTrust):
        return _root_of_trust(value)
    if isinstance(value, AttestationApplicationId):
        return _application_id(value)
    if isinstance(value, PatchLevel):
        return str(value)
    if isinstance(value, enum.Enum):  # KeyOrigin
        return value.name
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple):
        return [str(item) for item in value]
    if isinstance(value, bytes):
        return _b64(value)
    return value


def authorization_list_to_dict(auths: AuthorizationList) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for tag, info in asn1.KNOWN_TAGS.items():
        value = getattr(auths, FIELD_BY_TAG[tag])
        if value is None or value is False:
            continue
        result[info.name] = _value(value)
    if auths.unknown:
        result["unknownTags"] = [{"tag": u.tag, "der": _b64(u.der)} for u in auths.unknown]
    return result


def key_description_to_dict(kd: KeyDescription) -> dict[str, Any]:
    return {
        "attestationVersion": str(kd.attestation_version),
        "attestationSecurityLevel": kd.attestation_security_level.name,
        "keyMintVersion": str(kd.keymint_version),
        "keyMintSecurityLevel": kd.keymint_security_level.name,
        "attestationChallenge": _b64(kd.attestation_challenge),
        "uniqueId": _b64(kd.unique_id),
        "softwareEnforced": authorization_list_to_dict(kd.software_enforced),
        "hardwareEnforced": authorization_list_to_dict(kd.hardware_enforced),
    }


def _failure(failure: Failure) -> dict[str, Any]:
    result: dict[str, Any] = {
        "code": failure.code.value,
        "message": failure.message,
        "certificate": failure.certificate,
    }
    if failure.causes:
        result["causes"] = [_failure(cause) for cause in failure.causes]
    return result


def _notice(notice: Notice) -> dict[str, Any]:
    return {"code": notice.code.value, "message": notice.message, "certificate": notice.certificate}


def _provisioning(info: ProvisioningInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "certificates_issued": info.certificates_issued,
        "manufacturer": info.manufacturer,
        "other": {str(key): repr(value) for key, value in info.other},
    }


def _chain(verdict: Verdict) -> dict[str, Any]:
    chain = verdict.chain
    root = chain.root
    return {
        "trusted": chain.trusted,
        "root": None
        if root is None
        else {"name": root.name, "kind": root.kind.value, "spki_sha256": root.spki_sha256},
        "root_presented": chain.root_presented,
        "provisioning": chain.provisioning.value,
        "certificates": [
            {
                "index": index,
                "subject": cert.subject_text,
                "issuer": cert.issuer_text,
                "serial": format(cert.serial, "x"),
                "not_before": _time(cert.not_before),
                "not_after": _time(cert.not_after),
            }
            for index, cert in enumerate(chain.certificates)
        ],
    }


def verdict_to_dict(verdict: Verdict) -> dict[str, Any]:
    revocation = verdict.revocation
    kd = verdict.key_description
    return {
        "schema": SCHEMA_VERSION,
        "ok": verdict.ok,
        "source": verdict.source,
        "verified_at": _time(verdict.at),
        "failures": [_failure(f) for f in verdict.failures],
        "notices": [_notice(n) for n in verdict.notices],
        "policy": verdict.policy,
        "chain": _chain(verdict),
        "revocation": {
            "checked": revocation.checked,
            "source": revocation.source,
            "fetched_at": _time(revocation.fetched_at),
            "age_seconds": None if revocation.age is None else revocation.age.total_seconds(),
            "hits": [
                {
                    "certificate": index,
                    "serial": entry.serial,
                    "status": entry.status,
                    "reason": entry.reason,
                    "comment": entry.comment,
                }
                for index, entry in revocation.hits
            ],
        },
        "provisioning_info": _provisioning(verdict.provisioning_info),
        "key_description": None if kd is None else key_description_to_dict(kd),
    }


def render_verdict_json(verdict: Verdict) -> str:
    return json.dumps(verdict_to_dict(verdict), indent=2, ensure_ascii=False) + "\n"
