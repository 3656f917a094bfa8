"""Test oracle: the pyasn1 KeyDescription decoder that handsetguard.attest.asn1 replaced (it was
67% of a cold verification). tests/attest/test_asn1_oracle.py holds the two to the same output.

Schema: https://source.android.com/docs/security/features/keystore/attestation#schema (KeyMint
v400, plus attestationIdSecondImei [723], moduleHash [724] and the ML-DSA variant [11]).
An AuthorizationList is decoded entry by entry: each ``[tag] EXPLICIT`` entry is matched to its
schema by tag number, so entries out of DER order, duplicated or unknown (kept as raw DER) are
tolerated, while a *known* entry whose value does not match its schema is an error. pyasn1 has no
type information: every ``Any`` stays inside this module.
"""

from __future__ import annotations

from typing import Any

from pyasn1.codec.cer import decoder as cer_decoder
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import namedtype, tag, univ

from handsetguard.attest.asn1 import (
    KNOWN_TAGS,
    MAX_ENTRIES,
    EntryKind,
    EntryValue,
    RawApplicationId,
    RawKeyDescription,
    RawRootOfTrust,
    TagInfo,
    UnknownEntry,
)
from handsetguard.attest.errors import KeyDescriptionError

# --- schema ---------------------------------------------------------------------------------


class _AuthorizationList(univ.SequenceOf):  # type: ignore[misc]
    # Entries stay raw here; decode_entry() applies each tag's own schema.
    componentType = univ.Any()


class _KeyDescription(univ.Sequence):  # type: ignore[misc]
    # The two AuthorizationLists are kept whole (Any) and split by split_authorization_list():
    # the caller caches decoded lists that are shared by many devices.
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("attestationVersion", univ.Integer()),
        namedtype.NamedType("attestationSecurityLevel", univ.Enumerated()),
        namedtype.NamedType("keyMintVersion", univ.Integer()),
        namedtype.NamedType("keyMintSecurityLevel", univ.Enumerated()),
        namedtype.NamedType("attestationChallenge", univ.OctetString()),
        namedtype.NamedType("uniqueId", univ.OctetString()),
        namedtype.NamedType("softwareEnforced", univ.Any()),
        namedtype.NamedType("hardwareEnforced", univ.Any()),
    )


class _RootOfTrust(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("verifiedBootKey", univ.OctetString()),
        namedtype.NamedType("deviceLocked", univ.Boolean()),
        namedtype.NamedType("verifiedBootState", univ.Enumerated()),
        namedtype.OptionalNamedType("verifiedBootHash", univ.OctetString()),
    )


class _PackageInfo(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("packageName", univ.OctetString()),
        namedtype.NamedType("version", univ.Integer()),
    )


class _ApplicationId(univ.Sequence):  # type: ignore[misc]
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("packageInfos", univ.SetOf(componentType=_PackageInfo())),
        namedtype.NamedType("signatureDigests", univ.SetOf(componentType=univ.OctetString())),
    )


def _base_spec(kind: EntryKind) -> Any:
    if kind is EntryKind.INTEGER:
        return univ.Integer()
    if kind is EntryKind.INTEGER_SET:
        return univ.SetOf(componentType=univ.Integer())
    if kind is EntryKind.NULL:
        return univ.Null()
    if kind is EntryKind.ROOT_OF_TRUST:
        return _RootOfTrust()
    return univ.OctetString()  # OCTETS and APPLICATION_ID (an OCTET STRING holding DER)


def _tagged(number: int, kind: EntryKind) -> Any:
    explicit = tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, number)
    return _base_spec(kind).subtype(explicitTag=explicit)


_SPECS: dict[int, Any] = {n: _tagged(n, info.kind) for n, info in KNOWN_TAGS.items()}


# pyasn1's DER decoder looks BOOLEAN up in a type map inherited from BER, which accepts any
# non-zero octet as TRUE; DER (X.690 §11.1) allows only 0xFF. Use the strict CER/DER decoder.
_TYPE_MAP = dict(der_decoder.TYPE_MAP)
_TYPE_MAP[univ.Boolean.typeId] = cer_decoder.BooleanPayloadDecoder()


class _SingleItemDecoder(der_decoder.SingleItemDecoder):  # type: ignore[misc]
    TYPE_MAP = _TYPE_MAP


class _StreamingDecoder(der_decoder.StreamingDecoder):  # type: ignore[misc]
    SINGLE_ITEM_DECODER = _SingleItemDecoder


class _Decoder(der_decoder.Decoder):  # type: ignore[misc]
    STREAMING_DECODER = _StreamingDecoder


_der_decode = _Decoder()
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 64) - 1


def _int(value: Any, what: str) -> int:
    number = int(value)
    if not _INT_MIN <= number <= _INT_MAX:
        raise KeyDescriptionError(f"{what}: integer out of the 64-bit range KeyMint uses")
    return number


def _decode(der: bytes, spec: Any, what: str) -> Any:
    try:
        value, rest = _der_decode(der, asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError, IndexError, OverflowError, RecursionError) as exc:
        raise KeyDescriptionError(
            f"{what}: not valid DER for its schema ({_first_line(exc)})"
        ) from None
    if rest:
        raise KeyDescriptionError(f"{what}: {len(rest)} bytes of trailing data")
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def decode_key_description(der: bytes) -> RawKeyDescription:
    """Decode the KeyDescription SEQUENCE; the two AuthorizationLists are returned as DER."""
    value = _decode(der, _KeyDescription(), "KeyDescription")
    return RawKeyDescription(
        attestation_version=_int(value["attestationVersion"], "attestationVersion"),
        attestation_security_level=_int(value["attestationSecurityLevel"], "securityLevel"),
        keymint_version=_int(value["keyMintVersion"], "keyMintVersion"),
        keymint_security_level=_int(value["keyMintSecurityLevel"], "keyMintSecurityLevel"),
        attestation_challenge=value["attestationChallenge"].asOctets(),
        unique_id=value["uniqueId"].asOctets(),
        software_enforced=value["softwareEnforced"].asOctets(),
        hardware_enforced=value["hardwareEnforced"].asOctets(),
    )


def split_authorization_list(der: bytes, name: str) -> tuple[bytes, ...]:
    """The complete DER of each entry of an AuthorizationList SEQUENCE, in encoded order."""
    entries = _decode(der, _AuthorizationList(), name)
    if len(entries) > MAX_ENTRIES:
        raise KeyDescriptionError(f"{name}: {len(entries)} entries (limit {MAX_ENTRIES})")
    return tuple(entry.asOctets() for entry in entries)


def _identifier(der: bytes) -> tuple[int, int]:
    """(class and form bits, tag number) of a DER identifier; only used to pick the schema."""
    if not der:
        raise KeyDescriptionError("AuthorizationList entry: empty")
    number = der[0] & 0x1F
    if number != 0x1F:
        return der[0] & 0xE0, number
    number = 0
    for position in range(1, min(len(der), 5)):
        number = (number << 7) | (der[position] & 0x7F)
        if not der[position] & 0x80:
            return der[0] & 0xE0, number
    raise KeyDescriptionError("AuthorizationList entry: tag number too long")


_CONTEXT_CONSTRUCTED = 0xA0


def decode_entry(der: bytes) -> tuple[int, EntryValue]:
    """Decode one ``[tag] EXPLICIT value`` entry with its tag's schema: (tag, plain value).

    NULL-typed entries (flags such as noAuthRequired) decode to ``True``.
    """
    form, number = _identifier(der)
    if form != _CONTEXT_CONSTRUCTED:
        raise KeyDescriptionError(
            f"AuthorizationList entry with identifier 0x{der[0]:02x}: "
            "expected a context-specific EXPLICIT tag"
        )
    info = KNOWN_TAGS.get(number)
    if info is None:
        # Validate the framing (so trailing garbage is not kept as an "unknown tag").
        _decode(der, univ.Any(), f"AuthorizationList [{number}]")
        return number, UnknownEntry(number, der)
    value = _decode(der, _SPECS[number], f"{info.name} [{number}]")
    return number, _plain(info, value)


def _plain(info: TagInfo, value: Any) -> EntryValue:
    kind = info.kind
    if kind is EntryKind.INTEGER:
        return _int(value, info.name)
    if kind is EntryKind.INTEGER_SET:
        return tuple(_int(item, info.name) for item in value)
    if kind is EntryKind.NULL:
        return True
    if kind is EntryKind.ROOT_OF_TRUST:
        boot_hash = value["verifiedBootHash"]
        return RawRootOfTrust(
            verified_boot_key=value["verifiedBootKey"].asOctets(),
            device_locked=bool(value["deviceLocked"]),
            verified_boot_state=_int(value["verifiedBootState"], "verifiedBootState"),
            verified_boot_hash=boot_hash.asOctets() if boot_hash.isValue else None,
        )
    octets: bytes = value.asOctets()
    if kind is EntryKind.APPLICATION_ID:
        return _application_id(octets)
    return octets


def _application_id(der: bytes) -> RawApplicationId:
    value = _decode(der, _ApplicationId(), "attestationApplicationId [709]")
    return RawApplicationId(
        packages=tuple(
            (info["packageName"].asOctets(), _int(info["version"], "package version"))
            for info in value["packageInfos"]
        ),
        signature_digests=tuple(digest.asOctets() for digest in value["signatureDigests"]),
    )
