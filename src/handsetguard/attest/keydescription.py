"""The decoded KeyDescription as typed, frozen values, built from :mod:`handsetguard.attest.asn1`.

Decoding is cached by exact DER bytes at two levels, for data many devices share: whole
AuthorizationLists (the hardware-enforced list of a model/build is the same for every key it
makes) and single entries (root of trust, application id, patch levels…). Entries that are unique
to one key or one unit (creation time, serial, IMEI, MEID) are never cached and lists holding
them are not either, so a cache hit never depends on who asked before.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeAlias, cast

from handsetguard.attest import asn1
from handsetguard.attest._cache import BoundedCache
from handsetguard.attest.errors import KeyDescriptionError
from handsetguard.records import record

__all__ = [
    "FIELD_BY_TAG",
    "UNIQUE_PER_KEY_TAGS",
    "AttestationApplicationId",
    "AttestedIds",
    "AuthorizationList",
    "KeyDescription",
    "KeyOrigin",
    "PackageInfo",
    "PatchLevel",
    "RootOfTrust",
    "SecurityLevel",
    "VerifiedBootState",
    "clear_caches",
    "parse_key_description",
]


class SecurityLevel(enum.IntEnum):
    SOFTWARE = 0
    TRUSTED_ENVIRONMENT = 1
    STRONG_BOX = 2


class VerifiedBootState(enum.IntEnum):
    VERIFIED = 0
    SELF_SIGNED = 1
    UNVERIFIED = 2
    FAILED = 3


class KeyOrigin(enum.IntEnum):
    GENERATED = 0
    DERIVED = 1
    IMPORTED = 2
    RESERVED = 3
    SECURELY_IMPORTED = 4


@dataclass(frozen=True, slots=True, order=True)
class PatchLevel:
    """A patch level as attested: ``YYYYMM`` (OS) or ``YYYYMMDD`` (vendor, boot; some devices
    report ``YYYYMM`` there too). ``raw`` is the integer as encoded."""

    raw: int

    @property
    def is_valid(self) -> bool:
        text = str(self.raw)
        if len(text) not in (6, 8):
            return False
        month = int(text[4:6])
        day = int(text[6:]) if len(text) == 8 else 1
        return 1 <= month <= 12 and 0 <= day <= 31

    def key(self) -> tuple[int, int, int]:
        """(year, month, day) with day 0 when only the month is attested: a month-only level
        sorts before every day of that month, so it never passes a day-precise minimum."""
        text = str(self.raw)
        day = int(text[6:8]) if len(text) == 8 else 0
        return int(text[:4]), int(text[4:6]), day

    def __str__(self) -> str:
        return str(self.raw)


@record
class RootOfTrust:
    verified_boot_key: bytes
    device_locked: bool
    verified_boot_state: VerifiedBootState
    verified_boot_hash: bytes | None


@record
class PackageInfo:
    name: str
    version: int


@record
class AttestationApplicationId:
    packages: tuple[PackageInfo, ...]
    signature_digests: tuple[bytes, ...]
    """SHA-256 digests of the app's signing certificates."""


@record
class AttestedIds:
    """Device identifiers attested by the secure hardware (hardware-enforced list only)."""

    brand: str | None
    device: str | None
    product: str | None
    serial: str | None
    imei: str | None
    second_imei: str | None
    meid: str | None
    manufacturer: str | None
    model: str | None


@record
class AuthorizationList:
    """One AuthorizationList. Absent entries are ``None`` (flags: ``False``).

    ``tags`` lists the tag numbers in encoded order; ``unknown`` keeps entries with tags this
    schema does not know, as raw DER.
    """

    purposes: tuple[int, ...] | None = None
    algorithm: int | None = None
    key_size: int | None = None
    block_modes: tuple[int, ...] | None = None
    digests: tuple[int, ...] | None = None
    paddings: tuple[int, ...] | None = None
    caller_nonce: bool = False
    min_mac_length: int | None = None
    ec_curve: int | None = None
    ml_dsa_variant: int | None = None
    rsa_public_exponent: int | None = None
    rsa_oaep_mgf_digests: tuple[int, ...] | None = None
    rollback_resistance: bool = False
    early_boot_only: bool = False
    active_date_time: int | None = None
    origination_expire_date_time: int | None = None
    usage_expire_date_time: int | None = None
    usage_count_limit: int | None = None
    no_auth_required: bool = False
    user_auth_type: int | None = None
    auth_timeout: int | None = None
    allow_while_on_body: bool = False
    trusted_user_presence_required: bool = False
    trusted_confirmation_required: bool = False
    unlocked_device_required: bool = False
    all_applications: bool = False
    application_id: bytes | None = None
    creation_date_time: int | None = None
    origin: KeyOrigin | None = None
    rollback_resistant: bool = False
    root_of_trust: RootOfTrust | None = None
    os_version: int | None = None
    os_patch_level: PatchLevel | None = None
    attestation_application_id: AttestationApplicationId | None = None
    attestation_id_brand: str | None = None
    attestation_id_device: str | None = None
    attestation_id_product: str | None = None
    attestation_id_serial: str | None = None
    attestation_id_imei: str | None = None
    attestation_id_meid: str | None = None
    attestation_id_manufacturer: str | None = None
    attestation_id_model: str | None = None
    vendor_patch_level: PatchLevel | None = None
    boot_patch_level: PatchLevel | None = None
    device_unique_attestation: bool = False
    attestation_id_second_imei: str | None = None
    module_hash: bytes | None = None
    unknown: tuple[asn1.UnknownEntry, ...] = ()
    tags: tuple[int, ...] = ()

    @property
    def tags_in_order(self) -> bool:
        """Whether the tags are strictly ascending, as DER (X.680 §8.6) requires."""
        return all(a < b for a, b in zip(self.tags, self.tags[1:], strict=False))

    @property
    def duplicate_tags(self) -> tuple[int, ...]:
        return tuple(sorted({tag for tag in self.tags if self.tags.count(tag) > 1}))

    @property
    def creation_time(self) -> datetime | None:
        if self.creation_date_time is None:
            return None
        try:
            return datetime.fromtimestamp(self.creation_date_time / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None


@record
class KeyDescription:
    attestation_version: int
    attestation_security_level: SecurityLevel
    keymint_version: int
    keymint_security_level: SecurityLevel
    attestation_challenge: bytes
    unique_id: bytes
    software_enforced: AuthorizationList
    hardware_enforced: AuthorizationList

    @property
    def attested_ids(self) -> AttestedIds:
        """The attested device IDs, taken from the hardware-enforced list only."""
        hw = self.hardware_enforced
        return AttestedIds(
            brand=hw.attestation_id_brand,
            device=hw.attestation_id_device,
            product=hw.attestation_id_product,
            serial=hw.attestation_id_serial,
            imei=hw.attestation_id_imei,
            second_imei=hw.attestation_id_second_imei,
            meid=hw.attestation_id_meid,
            manufacturer=hw.attestation_id_manufacturer,
            model=hw.attestation_id_model,
        )


FieldValue: TypeAlias = (
    int
    | bool
    | bytes
    | str
    | tuple[int, ...]
    | PatchLevel
    | KeyOrigin
    | RootOfTrust
    | AttestationApplicationId
    | asn1.UnknownEntry
)

UNIQUE_PER_KEY_TAGS = frozenset({400, 401, 402, 701, 713, 714, 715, 723})
"""Entries unique to one key or one unit: decoded every time, never cached."""

_STRING_TAGS = frozenset({710, 711, 712, 713, 714, 715, 716, 717, 723})
_PATCH_TAGS = frozenset({706, 718, 719})
# Tag number -> AuthorizationList attribute.
FIELD_BY_TAG: dict[int, str] = {
    1: "purposes",
    2: "algorithm",
    3: "key_size",
    4: "block_modes",
    5: "digests",
    6: "paddings",
    7: "caller_nonce",
    8: "min_mac_length",
    10: "ec_curve",
    11: "ml_dsa_variant",
    200: "rsa_public_exponent",
    203: "rsa_oaep_mgf_digests",
    303: "rollback_resistance",
    305: "early_boot_only",
    400: "active_date_time",
    401: "origination_expire_date_time",
    402: "usage_expire_date_time",
    405: "usage_count_limit",
    503: "no_auth_required",
    504: "user_auth_type",
    505: "auth_timeout",
    506: "allow_while_on_body",
    507: "trusted_user_presence_required",
    508: "trusted_confirmation_required",
    509: "unlocked_device_required",
    600: "all_applications",
    601: "application_id",
    701: "creation_date_time",
    702: "origin",
    703: "rollback_resistant",
    704: "root_of_trust",
    705: "os_version",
    706: "os_patch_level",
    709: "attestation_application_id",
    710: "attestation_id_brand",
    711: "attestation_id_device",
    712: "attestation_id_product",
    713: "attestation_id_serial",
    714: "attestation_id_imei",
    715: "attestation_id_meid",
    716: "attestation_id_manufacturer",
    717: "attestation_id_model",
    718: "vendor_patch_level",
    719: "boot_patch_level",
    720: "device_unique_attestation",
    723: "attestation_id_second_imei",
    724: "module_hash",
}

_ENTRY_CACHE: BoundedCache[bytes, tuple[int, FieldValue]] = BoundedCache(8192)
_LIST_CACHE: BoundedCache[bytes, AuthorizationList] = BoundedCache(2048)


def clear_caches() -> None:
    """Forget every cached decoding (benchmarks use this to time cold decoding)."""
    _ENTRY_CACHE.clear()
    _LIST_CACHE.clear()


def _enum(kind: type[enum.IntEnum], value: int, what: str) -> enum.IntEnum:
    try:
        return kind(value)
    except ValueError:
        raise KeyDescriptionError(f"{what}: unknown value {value}") from None


def _text(value: bytes, what: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyDescriptionError(f"{what}: not UTF-8") from None


def _name(tag: int) -> str:
    return asn1.KNOWN_TAGS[tag].name if tag in asn1.KNOWN_TAGS else f"[{tag}]"


def _convert(tag: int, value: asn1.EntryValue) -> FieldValue:
    kind = type(value)
    if kind is int:  # most entries: plain numbers (bool, the NULL flags, is not int here)
        number = cast(int, value)
        if tag in _PATCH_TAGS:
            return PatchLevel(number)
        if tag == 702:
            return KeyOrigin(_enum(KeyOrigin, number, _name(tag)))
        return number
    if kind is bytes:
        octets = cast(bytes, value)
        return _text(octets, _name(tag)) if tag in _STRING_TAGS else octets
    if isinstance(value, asn1.RawRootOfTrust):
        state = _enum(VerifiedBootState, value.verified_boot_state, "verifiedBootState")
        return RootOfTrust(
            verified_boot_key=value.verified_boot_key,
            device_locked=value.device_locked,
            verified_boot_state=VerifiedBootState(state),
            verified_boot_hash=value.verified_boot_hash,
        )
    if isinstance(value, asn1.RawApplicationId):
        return AttestationApplicationId(
            packages=tuple(
                PackageInfo(_text(pkg, "package name"), version) for pkg, version in value.packages
            ),
            signature_digests=value.signature_digests,
        )
    return value


def _entry(der: bytes) -> tuple[int, FieldValue]:
    cached = _ENTRY_CACHE.get(der)
    if cached is not None:
        return cached
    tag, raw = asn1.decode_entry(der)
    result = (tag, _convert(tag, raw))
    if tag not in UNIQUE_PER_KEY_TAGS:
        _ENTRY_CACHE.put(der, result)
    return result


def _authorization_list(der: bytes, name: str) -> AuthorizationList:
    cached = _LIST_CACHE.get(der)
    if cached is not None:
        return cached
    fields: dict[str, object] = {}
    tags: list[int] = []
    unknown: list[asn1.UnknownEntry] = []
    for entry in asn1.split_authorization_list(der, name):
        tag, value = _entry(entry)
        tags.append(tag)
        if isinstance(value, asn1.UnknownEntry):
            unknown.append(value)
        else:
            # A duplicated tag keeps its first value; the duplicate shows in duplicate_tags.
            fields.setdefault(FIELD_BY_TAG[tag], value)
    result = AuthorizationList(**fields, unknown=tuple(unknown), tags=tuple(tags))  # type: ignore[arg-type]
    if UNIQUE_PER_KEY_TAGS.isdisjoint(tags):
        _LIST_CACHE.put(der, result)
    return result


def parse_key_description(der: bytes) -> KeyDescription:
    """Decode a KeyDescription extension value (the DER inside the extension's OCTET STRING).

    Raises :class:`KeyDescriptionError` naming the field when the DER does not fit the schema.
    """
    raw = asn1.decode_key_description(der)
    return KeyDescription(
        attestation_version=raw.attestation_version,
        attestation_security_level=SecurityLevel(
            _enum(SecurityLevel, raw.attestation_security_level, "attestationSecurityLevel")
        ),
        keymint_version=raw.keymint_version,
        keymint_security_level=SecurityLevel(
            _enum(SecurityLevel, raw.keymint_security_level, "keyMintSecurityLevel")
        ),
        attestation_challenge=raw.attestation_challenge,
        unique_id=raw.unique_id,
        software_enforced=_authorization_list(raw.software_enforced, "softwareEnforced"),
        hardware_enforced=_authorization_list(raw.hardware_enforced, "hardwareEnforced"),
    )
