"""The attestation verdict for people: outcome, reasons, chain, revocation, then the decoded
KeyDescription fields, printed on a rich console the caller gives (``attest`` text format)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from handsetguard.attest.revocation import RevocationResult
from handsetguard.attest.serialize import authorization_list_to_dict, verdict_to_dict
from handsetguard.attest.verify import Verdict
from handsetguard.textsafe import visible

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["render_text"]


def _age(revocation: RevocationResult) -> str:
    if revocation.fetched_at is None or revocation.age is None:
        return "unknown age (not fetched by attest-status-refresh)"
    days = revocation.age.total_seconds() / 86400
    when = f"fetched {revocation.fetched_at:%Y-%m-%d %H:%M} UTC"
    if days >= 0:
        return f"{when}, {days:.1f} days before the verification time"
    return f"{when}, {-days:.1f} days after the verification time"


def escape(text: str) -> str:
    """Data from a certificate or file for a rich markup line: controls shown, markup inert."""
    from rich.markup import escape as markup_escape

    return markup_escape(visible(text))


def render_text(verdict: Verdict, console: Console) -> None:
    """The verdict for people: outcome, reasons, chain, revocation, then the decoded fields."""

    data = verdict_to_dict(verdict)
    head = "[bold green]VALID[/]" if verdict.ok else "[bold red]INVALID[/]"
    console.print(f"{head} attestation: {escape(verdict.source)}")
    console.print(f"verified at {verdict.at.isoformat()}; policy: {escape(verdict.policy)}")
    for failure in data["failures"]:
        _reason(console, "[red]✘[/]", failure)
    for notice in data["notices"]:
        _reason(console, "[yellow]•[/]", notice)
    chain = data["chain"]
    root = chain["root"]
    anchor = f"root {escape(root['name'])} ({escape(root['kind'])})" if root else "no trusted root"
    console.print(
        f"chain: {len(chain['certificates'])} certificates, {anchor}, "
        f"provisioning {chain['provisioning']}"
    )
    revocation = verdict.revocation
    if revocation.source is None:
        console.print("status list: none")
    else:
        used = "" if revocation.checked else " (not used)"
        console.print(f"status list: {escape(revocation.source)}, {_age(revocation)}{used}")
    if verdict.provisioning_info is not None:
        info = verdict.provisioning_info
        maker = f", manufacturer {escape(info.manufacturer)}" if info.manufacturer else ""
        console.print(
            f"RKP provisioning info: {info.certificates_issued} certificates issued{maker}"
        )
    _key_description(verdict, console)


def _reason(console: Console, mark: str, reason: dict[str, Any], depth: int = 0) -> None:
    where = "" if reason["certificate"] is None else f" (certificate {reason['certificate']})"
    code = escape(str(reason["code"]))
    console.print(f"{'  ' * depth}{mark} {code}: {escape(reason['message'])}{where}")
    for cause in reason.get("causes", []):
        _reason(console, mark, cause, depth + 1)


_BYTES_FIELDS = frozenset({"verifiedBootKey", "verifiedBootHash", "moduleHash", "applicationId"})

# KeyMint enum names (hardware/interfaces/security/keymint/aidl/.../KeyPurpose.aidl,
# Algorithm.aidl, BlockMode.aidl, Digest.aidl, PaddingMode.aidl, EcCurve.aidl), for people;
# the JSON keeps the numbers, as Google's golden files do.
_DIGEST = {0: "NONE", 1: "MD5", 2: "SHA1", 3: "SHA_2_224", 4: "SHA_2_256", 5: "SHA_2_384"}
_DIGEST[6] = "SHA_2_512"
_ENUMS: dict[str, dict[int, str]] = {
    "purposes": {
        0: "ENCRYPT",
        1: "DECRYPT",
        2: "SIGN",
        3: "VERIFY",
        5: "WRAP_KEY",
        6: "AGREE_KEY",
        7: "ATTEST_KEY",
    },
    "algorithms": {1: "RSA", 3: "EC", 32: "AES", 33: "TRIPLE_DES", 128: "HMAC"},
    "blockModes": {1: "ECB", 2: "CBC", 3: "CTR", 32: "GCM"},
    "digests": _DIGEST,
    "rsaOaepMgfDigests": _DIGEST,
    "paddings": {
        1: "NONE",
        2: "RSA_OAEP",
        3: "RSA_PSS",
        4: "RSA_PKCS1_1_5_ENCRYPT",
        5: "RSA_PKCS1_1_5_SIGN",
        64: "PKCS7",
    },
    "ecCurve": {0: "P_224", 1: "P_256", 2: "P_384", 3: "P_521", 4: "CURVE_25519"},
}
_AUTHENTICATORS = {1: "PASSWORD", 2: "FINGERPRINT"}  # HardwareAuthenticatorType bits


def _named(field: str, value: str) -> str:
    """``SIGN (2)`` for a known KeyMint enum value; the number alone otherwise."""
    try:
        number = int(value)
    except ValueError:
        return value
    if field == "userAuthType":
        bits = [name for bit, name in _AUTHENTICATORS.items() if number & bit]
        return f"{'|'.join(bits) or 'NONE'} ({number})"
    name = _ENUMS.get(field, {}).get(number)
    return f"{name} ({number})" if name is not None else value


def _hex(value: str) -> str:
    return base64.b64decode(value).hex() or "(empty)"


def _rows(fields: dict[str, Any]) -> dict[str, str]:
    """Flatten rootOfTrust and attestationApplicationId into one row per sub-field."""
    rows: dict[str, str] = {}
    for name, value in fields.items():
        if name == "attestationApplicationId":
            for index, package in enumerate(value["packages"]):
                rows[f"{name}.package[{index}]"] = (
                    f"{package['name']} (version {package['version']})"
                )
            for index, digest in enumerate(value["signatures"]):
                rows[f"{name}.signature[{index}]"] = _hex(digest)
        elif isinstance(value, dict):
            for sub, item in value.items():
                if isinstance(item, bool):
                    rows[f"{name}.{sub}"] = str(item).lower()
                else:
                    rows[f"{name}.{sub}"] = _hex(item) if sub in _BYTES_FIELDS else str(item)
        elif name in _BYTES_FIELDS:
            rows[name] = _hex(value)
        elif isinstance(value, list):
            rows[name] = ", ".join(_named(name, str(item)) for item in value)
        else:
            rows[name] = "true" if value is True else _named(name, str(value))
    return rows


def _key_description(verdict: Verdict, console: Console) -> None:
    kd = verdict.key_description
    if kd is None:
        console.print("KeyDescription: not available")
        return
    from rich.table import Table
    from rich.text import Text

    console.print(
        f"KeyDescription{'' if verdict.ok else ' (UNVERIFIED)'}: attestation "
        f"v{kd.attestation_version} {kd.attestation_security_level.name}, KeyMint "
        f"v{kd.keymint_version} {kd.keymint_security_level.name}, challenge "
        f"{kd.attestation_challenge.hex()}"
        + (f", uniqueId {kd.unique_id.hex()}" if kd.unique_id else "")
    )
    table = Table()
    table.add_column("field")
    table.add_column("hardware-enforced", overflow="fold")
    table.add_column("software-enforced", overflow="fold")
    hw = _rows(authorization_list_to_dict(kd.hardware_enforced))
    sw = _rows(authorization_list_to_dict(kd.software_enforced))
    for name in [*hw, *(k for k in sw if k not in hw)]:
        # Text cells: an attested package or brand name is never read as markup.
        table.add_row(
            Text(visible(name)), Text(visible(hw.get(name, ""))), Text(visible(sw.get(name, "")))
        )
    console.print(table)
