"""The KeyDescription ASN.1 schema and its decoding into plain typed values, on the project's
DER reader (:mod:`handsetguard.attest.der`).

Schema: https://source.android.com/docs/security/features/keystore/attestation#schema (KeyMint
v400, plus attestationIdSecondImei [723], moduleHash [724] and the ML-DSA variant [11]).
An AuthorizationList is decoded entry by entry: each ``[tag] EXPLICIT`` entry is matched to its
schema (:data:`KNOWN_TAGS`) by tag number, so entries out of DER order, duplicated or unknown
(kept as raw DER) are tolerated, while a *known* entry whose value does not match its schema is
an error. BOOLEANs must be DER (00 or ff; a deviceLocked of 01 is malformed); non-minimal
lengths and INTEGERs are read as BER readers (Android's, Google's verifier) read them.
The reference decoder this replaced (pyasn1, 15x slower) is kept in the tests as an oracle.
"""

from __future__ import annotations

import enum
from typing import TypeAlias

from handsetguard.attest import der
from handsetguard.attest.der import DerError
from handsetguard.attest.errors import KeyDescriptionError
from handsetguard.records import record

__all__ = [
    "MAX_ENTRIES",
    "EntryKind",
    "EntryValue",
    "RawApplicationId",
    "RawKeyDescription",
    "RawRootOfTrust",
    "TagInfo",
    "UnknownEntry",
    "KNOWN_TAGS",
    "decode_entry",
    "decode_key_description",
    "split_authorization_list",
]

MAX_ENTRIES = 512
"""An AuthorizationList with more entries than this is refused (KeyMint defines about 60 tags)."""


class EntryKind(enum.Enum):
    INTEGER = "integer"
    INTEGER_SET = "integer-set"
    NULL = "null"
    OCTETS = "octets"
    ROOT_OF_TRUST = "root-of-trust"
    APPLICATION_ID = "application-id"


@record
class TagInfo:
    number: int
    name: str
    kind: EntryKind


# Tag numbers and names follow Tag.aidl and the attestation schema; names are the camelCase
# field names of the schema (and of Google's golden JSON).
KNOWN_TAGS: dict[int, TagInfo] = {
    info.number: info
    for info in (
        TagInfo(1, "purposes", EntryKind.INTEGER_SET),
        TagInfo(2, "algorithms", EntryKind.INTEGER),
        TagInfo(3, "keySize", EntryKind.INTEGER),
        TagInfo(4, "blockModes", EntryKind.INTEGER_SET),
        TagInfo(5, "digests", EntryKind.INTEGER_SET),
        TagInfo(6, "paddings", EntryKind.INTEGER_SET),
        TagInfo(7, "callerNonce", EntryKind.NULL),
        TagInfo(8, "minMacLength", EntryKind.INTEGER),
        TagInfo(10, "ecCurve", EntryKind.INTEGER),
        TagInfo(11, "mlDsaVariant", EntryKind.INTEGER),
        TagInfo(200, "rsaPublicExponent", EntryKind.INTEGER),
        TagInfo(203, "rsaOaepMgfDigests", EntryKind.INTEGER_SET),
        TagInfo(303, "rollbackResistance", EntryKind.NULL),
        TagInfo(305, "earlyBootOnly", EntryKind.NULL),
        TagInfo(400, "activeDateTime", EntryKind.INTEGER),
        TagInfo(401, "originationExpireDateTime", EntryKind.INTEGER),
        TagInfo(402, "usageExpireDateTime", EntryKind.INTEGER),
        TagInfo(405, "usageCountLimit", EntryKind.INTEGER),
        TagInfo(503, "noAuthRequired", EntryKind.NULL),
        TagInfo(504, "userAuthType", EntryKind.INTEGER),
        TagInfo(505, "authTimeout", EntryKind.INTEGER),
        TagInfo(506, "allowWhileOnBody", EntryKind.NULL),
        TagInfo(507, "trustedUserPresenceRequired", EntryKind.NULL),
        TagInfo(508, "trustedConfirmationRequired", EntryKind.NULL),
        TagInfo(509, "unlockedDeviceRequired", EntryKind.NULL),
        TagInfo(600, "allApplications", EntryKind.NULL),
        TagInfo(601, "applicationId", EntryKind.OCTETS),
        TagInfo(701, "creationDateTime", EntryKind.INTEGER),
        TagInfo(702, "origin", EntryKind.INTEGER),
        TagInfo(703, "rollbackResistant", EntryKind.NULL),
        TagInfo(704, "rootOfTrust", EntryKind.ROOT_OF_TRUST),
        TagInfo(705, "osVersion", EntryKind.INTEGER),
        TagInfo(706, "osPatchLevel", EntryKind.INTEGER),
        TagInfo(709, "attestationApplicationId", EntryKind.APPLICATION_ID),
        TagInfo(710, "attestationIdBrand", EntryKind.OCTETS),
        TagInfo(711, "attestationIdDevice", EntryKind.OCTETS),
        TagInfo(712, "attestationIdProduct", EntryKind.OCTETS),
        TagInfo(713, "attestationIdSerial", EntryKind.OCTETS),
        TagInfo(714, "attestationIdImei", EntryKind.OCTETS),
        TagInfo(715, "attestationIdMeid", EntryKind.OCTETS),
        TagInfo(716, "attestationIdManufacturer", EntryKind.OCTETS),
        TagInfo(717, "attestationIdModel", EntryKind.OCTETS),
        TagInfo(718, "vendorPatchLevel", EntryKind.INTEGER),
        TagInfo(719, "bootPatchLevel", EntryKind.INTEGER),
        TagInfo(720, "deviceUniqueAttestation", EntryKind.NULL),
        TagInfo(723, "attestationIdSecondImei", EntryKind.OCTETS),
        TagInfo(724, "moduleHash", EntryKind.OCTETS),
    )
}


# --- plain values ---------------------------------------------------------------------------


@record
class RawRootOfTrust:
    verified_boot_key: bytes
    device_locked: bool
    verified_boot_state: int
    verified_boot_hash: bytes | None


@record
class RawApplicationId:
    packages: tuple[tuple[bytes, int], ...]
    signature_digests: tuple[bytes, ...]


@record
class UnknownEntry:
    """An entry whose tag this schema does not know: kept as its whole DER encoding."""

    tag: int
    der: bytes


EntryValue: TypeAlias = (
    int | bool | bytes | tuple[int, ...] | RawRootOfTrust | RawApplicationId | UnknownEntry
)


@record
class RawKeyDescription:
    attestation_version: int
    attestation_security_level: int
    keymint_version: int
    keymint_security_level: int
    attestation_challenge: bytes
    unique_id: bytes
    software_enforced: bytes
    """The whole softwareEnforced AuthorizationList, DER (see split_authorization_list)."""
    hardware_enforced: bytes


_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1
_CONTEXT_CONSTRUCTED = 0xA0
_KEY_DESCRIPTION_FIELDS = (
    ("attestationVersion", der.INTEGER),
    ("attestationSecurityLevel", der.ENUMERATED),
    ("keyMintVersion", der.INTEGER),
    ("keyMintSecurityLevel", der.ENUMERATED),
    ("attestationChallenge", der.OCTET_STRING),
    ("uniqueId", der.OCTET_STRING),
    ("softwareEnforced", None),
    ("hardwareEnforced", None),
)


def _bad(what: str, exc: DerError | str) -> KeyDescriptionError:
    return KeyDescriptionError(f"{what}: not valid DER for its schema ({exc})")


def _int(data: bytes, start: int, end: int, what: str) -> int:
    number = der.read_integer(data, start, end, what, [])
    if not _INT_MIN <= number <= _INT_MAX:
        raise KeyDescriptionError(f"{what}: integer out of the 64-bit range KeyMint uses")
    return number


def _fields(
    data: bytes, start: int, end: int, spec: tuple[tuple[str, int | None], ...], what: str
) -> list[tuple[int, int, int, int, int]]:
    """The children of a SEQUENCE, checked against (name, identifier or None = any) pairs;
    trailing optional fields are the caller's business (``len(result) <= len(spec)``)."""
    items = der.children(data, start, end, [])
    if len(items) > len(spec):
        raise _bad(what, f"{len(items)} fields, the schema has {len(spec)}")
    for item, (name, identifier) in zip(items, spec, strict=False):
        if identifier is not None and item[0] != identifier:
            raise _bad(what, f"{name} has identifier 0x{item[0]:02x}")
    return items


def decode_key_description(data: bytes) -> RawKeyDescription:
    """Decode the KeyDescription SEQUENCE; the two AuthorizationLists are returned as DER."""
    try:
        start, end = der.expect(data, 0, len(data), der.SEQUENCE, "KeyDescription", [])
        if end != len(data):
            raise KeyDescriptionError(f"KeyDescription: {len(data) - end} bytes of trailing data")
        items = _fields(data, start, end, _KEY_DESCRIPTION_FIELDS, "KeyDescription")
        if len(items) != len(_KEY_DESCRIPTION_FIELDS):
            raise _bad("KeyDescription", f"{len(items)} fields, the schema has 8")
        ints = [
            _int(data, items[i][3], items[i][4], _KEY_DESCRIPTION_FIELDS[i][0]) for i in range(4)
        ]
    except DerError as exc:
        raise _bad("KeyDescription", exc) from None
    return RawKeyDescription(
        attestation_version=ints[0],
        attestation_security_level=ints[1],
        keymint_version=ints[2],
        keymint_security_level=ints[3],
        attestation_challenge=data[items[4][3] : items[4][4]],
        unique_id=data[items[5][3] : items[5][4]],
        software_enforced=data[items[6][2] : items[6][4]],
        hardware_enforced=data[items[7][2] : items[7][4]],
    )


def split_authorization_list(data: bytes, name: str) -> tuple[bytes, ...]:
    """The complete DER of each entry of an AuthorizationList SEQUENCE, in encoded order."""
    try:
        start, end = der.expect(data, 0, len(data), der.SEQUENCE, name, [])
        if end != len(data):
            raise KeyDescriptionError(f"{name}: {len(data) - end} bytes of trailing data")
        entries = der.children(data, start, end, [])
    except DerError as exc:
        raise _bad(name, exc) from None
    if len(entries) > MAX_ENTRIES:
        raise KeyDescriptionError(f"{name}: {len(entries)} entries (limit {MAX_ENTRIES})")
    return tuple(data[entry[2] : entry[4]] for entry in entries)


def decode_entry(data: bytes) -> tuple[int, EntryValue]:
    """Decode one ``[tag] EXPLICIT value`` entry with its tag's schema: (tag, plain value).

    NULL-typed entries (flags such as noAuthRequired) decode to ``True``.
    """
    if not data:
        raise KeyDescriptionError("AuthorizationList entry: empty")
    fast = _simple_entry(data)
    if fast is not None:
        return fast
    if data[0] & 0xE0 != _CONTEXT_CONSTRUCTED:
        raise KeyDescriptionError(
            f"AuthorizationList entry with identifier 0x{data[0]:02x}: "
            "expected a context-specific EXPLICIT tag"
        )
    try:
        _, number, start, end = der.read(data, 0, len(data), [])
    except DerError as exc:
        raise _bad("AuthorizationList entry", exc) from None
    info = KNOWN_TAGS.get(number)
    what = f"AuthorizationList [{number}]" if info is None else f"{info.name} [{number}]"
    if end != len(data):
        raise KeyDescriptionError(f"{what}: {len(data) - end} bytes of trailing data")
    if info is None:
        return number, UnknownEntry(number, data)
    try:
        return number, _value(info, data, start, end, what)
    except DerError as exc:
        raise _bad(what, exc) from None


def _simple_entry(data: bytes) -> tuple[int, EntryValue] | None:
    """The common shape, decoded inline: a context tag of up to two number bytes holding one
    short INTEGER, OCTET STRING or NULL, every length short-form and exact. Anything else
    (None) takes the general path, which gives the same values and every error."""
    size = len(data)
    first = data[0]
    if first & 0xE0 != _CONTEXT_CONSTRUCTED or size < 4:
        return None
    if first & 0x1F != 0x1F:
        number, pos = first & 0x1F, 1
    elif data[1] & 0x80:
        if data[1] == 0x80 or data[2] & 0x80:
            return None
        number, pos = ((data[1] & 0x7F) << 7) | data[2], 3
    else:
        number, pos = data[1], 2
    if size < pos + 3 or data[pos] != size - pos - 1 or data[pos + 2] != size - pos - 3:
        return None
    info = KNOWN_TAGS.get(number)
    if info is None:
        return None
    kind, identifier, content = info.kind, data[pos + 1], pos + 3
    if kind is EntryKind.INTEGER and identifier == der.INTEGER and content < size:
        return number, _int(data, content, size, info.name)
    if kind is EntryKind.OCTETS and identifier == der.OCTET_STRING:
        return number, data[content:size]
    if kind is EntryKind.NULL and identifier == der.NULL and content == size:
        return number, True
    return None


_IDENTIFIER = {
    EntryKind.INTEGER: der.INTEGER,
    EntryKind.INTEGER_SET: der.SET,
    EntryKind.NULL: der.NULL,
    EntryKind.OCTETS: der.OCTET_STRING,
    EntryKind.APPLICATION_ID: der.OCTET_STRING,
    EntryKind.ROOT_OF_TRUST: der.SEQUENCE,
}


def _value(info: TagInfo, data: bytes, start: int, end: int, what: str) -> EntryValue:
    kind = info.kind
    inner_start, inner_end = der.expect(data, start, end, _IDENTIFIER[kind], what, [])
    if inner_end != end:
        raise DerError("more than one value inside the tag", inner_end)
    if kind is EntryKind.INTEGER:
        return _int(data, inner_start, inner_end, info.name)
    if kind is EntryKind.INTEGER_SET:
        items = der.children(data, inner_start, inner_end, [])
        if any(item[0] != der.INTEGER for item in items):
            raise DerError("a SET OF INTEGER holds another type", inner_start)
        return tuple(_int(data, item[3], item[4], info.name) for item in items)
    if kind is EntryKind.NULL:
        if inner_start != inner_end:
            raise DerError("NULL with content", inner_start)
        return True
    if kind is EntryKind.ROOT_OF_TRUST:
        return _root_of_trust(data, inner_start, inner_end)
    octets = data[inner_start:inner_end]
    if kind is EntryKind.APPLICATION_ID:
        return _application_id(octets)
    return octets


_ROOT_OF_TRUST_FIELDS = (
    ("verifiedBootKey", der.OCTET_STRING),
    ("deviceLocked", der.BOOLEAN),
    ("verifiedBootState", der.ENUMERATED),
    ("verifiedBootHash", der.OCTET_STRING),
)


def _root_of_trust(data: bytes, start: int, end: int) -> RawRootOfTrust:
    items = _fields(data, start, end, _ROOT_OF_TRUST_FIELDS, "rootOfTrust [704]")
    if len(items) < 3:
        raise DerError("rootOfTrust needs verifiedBootKey, deviceLocked, verifiedBootState", start)
    key, locked, state = items[:3]
    return RawRootOfTrust(
        verified_boot_key=data[key[3] : key[4]],
        device_locked=der.read_boolean(data, locked[3], locked[4], "deviceLocked"),
        verified_boot_state=_int(data, state[3], state[4], "verifiedBootState"),
        verified_boot_hash=data[items[3][3] : items[3][4]] if len(items) == 4 else None,
    )


_PACKAGE_FIELDS = (("packageName", der.OCTET_STRING), ("version", der.INTEGER))
_APPLICATION_FIELDS = (("packageInfos", der.SET), ("signatureDigests", der.SET))


def _application_id(data: bytes) -> RawApplicationId:
    what = "attestationApplicationId [709]"
    try:
        start, end = der.expect(data, 0, len(data), der.SEQUENCE, what, [])
        if end != len(data):
            raise KeyDescriptionError(f"{what}: {len(data) - end} bytes of trailing data")
        items = _fields(data, start, end, _APPLICATION_FIELDS, what)
        if len(items) != 2:
            raise _bad(what, "packageInfos and signatureDigests are required")
        packages = []
        for package in der.children(data, items[0][3], items[0][4], []):
            if package[0] != der.SEQUENCE:
                raise _bad(what, "a packageInfo is not a SEQUENCE")
            fields = _fields(data, package[3], package[4], _PACKAGE_FIELDS, what)
            if len(fields) != 2:
                raise _bad(what, "a packageInfo needs packageName and version")
            name, version = fields
            packages.append(
                (data[name[3] : name[4]], _int(data, version[3], version[4], "version"))
            )
        digests = []
        for digest in der.children(data, items[1][3], items[1][4], []):
            if digest[0] != der.OCTET_STRING:
                raise _bad(what, "a signatureDigest is not an OCTET STRING")
            digests.append(data[digest[3] : digest[4]])
    except DerError as exc:
        raise _bad(what, exc) from None
    return RawApplicationId(packages=tuple(packages), signature_digests=tuple(digests))
