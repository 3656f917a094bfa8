"""Build the synthetic attestation chains used by tests/attest (negative cases and a few edge
cases that no real device provides), and write them next to this script.

Run: ``.venv/bin/python tests/attest/assets/build_testcases.py``. Keys come from fixed seeds and
all signatures are Ed25519 (deterministic), so the output is byte-for-byte reproducible.

Everything chains to ``test-root.pem`` ("HandsetGuard TEST Attestation Root"), which the
verifier trusts only through its explicitly unsafe option. ``cases.json`` lists each chain with
the verification time and the expected verdict (failure codes and notices).

The KeyDescription encoder here is written from the AOSP schema independently of
``handsetguard.attest.asn1`` (its own tag table), so tests can check the decoder against it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
KEY_DESCRIPTION_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")
PROVISIONING_INFO_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.30")
AT = "2026-11-25T12:00:00+00:00"
RKP_VALIDITY = ("2026-11-20", "2026-12-20")
RKP_EXPIRED = ("2026-09-01", "2026-10-01")

# --- a minimal DER encoder (X.690) -------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: bytes, content: bytes) -> bytes:
    return tag + _length(len(content)) + content


def der_int(value: int, tag: int = 0x02) -> bytes:
    body = value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)
    return tlv(bytes([tag]), body)


def der_octets(value: bytes) -> bytes:
    return tlv(b"\x04", value)


def der_bool(value: bool) -> bytes:
    return tlv(b"\x01", b"\xff" if value else b"\x00")


def der_null() -> bytes:
    return b"\x05\x00"


def der_seq(*items: bytes) -> bytes:
    return tlv(b"\x30", b"".join(items))


def der_set(*items: bytes) -> bytes:
    return tlv(b"\x31", b"".join(sorted(items)))  # DER orders SET OF by encoding


def explicit(number: int, inner: bytes) -> bytes:
    """``[number] EXPLICIT`` (context-specific, constructed), high-tag-number form from 31."""
    if number < 31:
        return tlv(bytes([0xA0 | number]), inner)
    digits = []
    while True:
        digits.append(number & 0x7F)
        number >>= 7
        if not number:
            break
    tag = bytes([0xBF]) + bytes(d | 0x80 for d in reversed(digits[1:])) + bytes([digits[0]])
    return tlv(tag, inner)


# --- KeyDescription from golden-style JSON (android/keyattestation's field names) -------------

# name: (tag, kind). Independent of handsetguard.attest.asn1 on purpose.
TAGS: dict[str, tuple[int, str]] = {
    "purposes": (1, "intset"),
    "algorithms": (2, "int"),
    "keySize": (3, "int"),
    "blockModes": (4, "intset"),
    "digests": (5, "intset"),
    "paddings": (6, "intset"),
    "ecCurve": (10, "int"),
    "mlDsaVariant": (11, "int"),
    "rsaPublicExponent": (200, "int"),
    "rsaOaepMgfDigests": (203, "intset"),
    "activeDateTime": (400, "int"),
    "originationExpireDateTime": (401, "int"),
    "usageExpireDateTime": (402, "int"),
    "usageCountLimit": (405, "int"),
    "noAuthRequired": (503, "null"),
    "userAuthType": (504, "int"),
    "authTimeout": (505, "int"),
    "allowWhileOnBody": (506, "null"),
    "trustedUserPresenceRequired": (507, "null"),
    "trustedConfirmationRequired": (508, "null"),
    "unlockedDeviceRequired": (509, "null"),
    "creationDateTime": (701, "int"),
    "origin": (702, "origin"),
    "rollbackResistant": (703, "null"),
    "rootOfTrust": (704, "rot"),
    "osVersion": (705, "int"),
    "osPatchLevel": (706, "int"),
    "attestationApplicationId": (709, "appid"),
    "attestationIdBrand": (710, "str"),
    "attestationIdDevice": (711, "str"),
    "attestationIdProduct": (712, "str"),
    "attestationIdSerial": (713, "str"),
    "attestationIdImei": (714, "str"),
    "attestationIdMeid": (715, "str"),
    "attestationIdManufacturer": (716, "str"),
    "attestationIdModel": (717, "str"),
    "vendorPatchLevel": (718, "int"),
    "bootPatchLevel": (719, "int"),
    "attestationIdSecondImei": (723, "str"),
    "moduleHash": (724, "b64"),
}
ORIGINS = {"GENERATED": 0, "DERIVED": 1, "IMPORTED": 2, "RESERVED": 3, "SECURELY_IMPORTED": 4}
LEVELS = {"SOFTWARE": 0, "TRUSTED_ENVIRONMENT": 1, "STRONG_BOX": 2}
BOOT_STATES = {"VERIFIED": 0, "SELF_SIGNED": 1, "UNVERIFIED": 2, "FAILED": 3}


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _value(kind: str, value: Any) -> bytes:
    if kind == "int":
        return der_int(int(value))
    if kind == "intset":
        return der_set(*(der_int(int(v)) for v in value))
    if kind == "null":
        return der_null()
    if kind == "origin":
        return der_int(ORIGINS[value])
    if kind == "str":
        return der_octets(value.encode())
    if kind == "b64":
        return der_octets(_b64(value))
    if kind == "rot":
        parts = [
            der_octets(_b64(value["verifiedBootKey"])),
            der_bool(value["deviceLocked"]),
            der_int(BOOT_STATES[value["verifiedBootState"]], tag=0x0A),
        ]
        if "verifiedBootHash" in value:
            parts.append(der_octets(_b64(value["verifiedBootHash"])))
        return der_seq(*parts)
    if kind == "appid":
        packages = (
            der_seq(der_octets(p["name"].encode()), der_int(int(p["version"])))
            for p in value["packages"]
        )
        digests = (der_octets(_b64(s)) for s in value["signatures"])
        return der_octets(der_seq(der_set(*packages), der_set(*digests)))
    raise ValueError(kind)


def encode_entry(name: str, value: Any) -> bytes:
    tag, kind = TAGS[name]
    return explicit(tag, _value(kind, value))


def encode_authorization_list(fields: dict[str, Any], extra: tuple[bytes, ...] = ()) -> bytes:
    """Entries in ascending tag order (as DER requires), then ``extra`` raw entries as given."""
    entries = sorted(fields.items(), key=lambda item: TAGS[item[0]][0])
    return der_seq(*(encode_entry(name, value) for name, value in entries), *extra)


def encode_key_description(
    golden: dict[str, Any], hw_extra: tuple[bytes, ...] = (), hw_raw: bytes | None = None
) -> bytes:
    return der_seq(
        der_int(int(golden["attestationVersion"])),
        der_int(LEVELS[golden["attestationSecurityLevel"]], tag=0x0A),
        der_int(int(golden["keyMintVersion"])),
        der_int(LEVELS[golden["keyMintSecurityLevel"]], tag=0x0A),
        der_octets(_b64(golden["attestationChallenge"])),
        der_octets(_b64(golden["uniqueId"])),
        encode_authorization_list(golden["softwareEnforced"]),
        hw_raw
        if hw_raw is not None
        else encode_authorization_list(golden["hardwareEnforced"], hw_extra),
    )


def cbor_map(items: dict[int, Any]) -> bytes:
    """Tiny CBOR encoder: a map of small unsigned ints to small ints / short text."""
    out = bytes([0xA0 | len(items)])
    for key, value in items.items():
        out += bytes([key])
        if isinstance(value, str):
            data = value.encode()
            out += bytes([0x60 | len(data)]) + data
        else:
            out += bytes([value])
    return out


# --- certificates ------------------------------------------------------------------------------


def key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(name.encode()).digest())


def name(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cert(
    subject: x509.Name,
    issuer: x509.Name,
    subject_key: Ed25519PrivateKey,
    issuer_key: Ed25519PrivateKey,
    serial: int,
    validity: tuple[str, str],
    *,
    ca: bool | None = True,
    path_length: int | None = None,
    extensions: tuple[x509.UnrecognizedExtension, ...] = (),
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(serial)
        .not_valid_before(when(validity[0]))
        .not_valid_after(when(validity[1]))
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca, path_length), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(issuer_key, None)


ROOT_NAME = name((NameOID.COMMON_NAME, "HandsetGuard TEST Attestation Root"))
ROOT_KEY = key("root")
ROOT = cert(ROOT_NAME, ROOT_NAME, ROOT_KEY, ROOT_KEY, 0x7E57, ("2020-01-01", "2050-01-01"))

LEAF_NAME = name((NameOID.COMMON_NAME, "Android Keystore Key"))
LEAF_VALIDITY = ("1970-01-01", "2048-01-01")


def factory_name(title: str, serial: str) -> x509.Name:
    return name((NameOID.TITLE, title), (NameOID.SERIAL_NUMBER, serial))


def golden(**changes: Any) -> dict[str, Any]:
    """A locked, verified-boot TEE key of a fictional device, in golden-JSON form."""
    import base64

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    document: dict[str, Any] = {
        "attestationVersion": "300",
        "attestationSecurityLevel": "TRUSTED_ENVIRONMENT",
        "keyMintVersion": "300",
        "keyMintSecurityLevel": "TRUSTED_ENVIRONMENT",
        "attestationChallenge": b64(b"hg-challenge"),
        "uniqueId": "",
        "softwareEnforced": {
            "creationDateTime": "1795608000000",
            "attestationApplicationId": {
                "packages": [{"name": "com.handsetguard.activation", "version": "7"}],
                "signatures": [b64(hashlib.sha256(b"handsetguard test signer").digest())],
            },
        },
        "hardwareEnforced": {
            "purposes": ["2"],
            "algorithms": "3",
            "keySize": "256",
            "digests": ["4"],
            "ecCurve": "1",
            "noAuthRequired": True,
            "origin": "GENERATED",
            "rootOfTrust": {
                "verifiedBootKey": b64(hashlib.sha256(b"hg boot key").digest()),
                "deviceLocked": True,
                "verifiedBootState": "VERIFIED",
                "verifiedBootHash": b64(hashlib.sha256(b"hg boot hash").digest()),
            },
            "osVersion": "150000",
            "osPatchLevel": "202510",
            "attestationIdBrand": "handsetguard",
            "attestationIdDevice": "hgdevice",
            "attestationIdProduct": "hgproduct",
            "attestationIdSerial": "HG0001",
            "attestationIdImei": "490154203237518",
            "attestationIdManufacturer": "HandsetGuard",
            "attestationIdModel": "HG Phone 1",
            "vendorPatchLevel": "20251005",
            "bootPatchLevel": "20251005",
            "attestationIdSecondImei": "490154203237526",
        },
    }
    document.update(changes)
    return document


def kd_extension(der: bytes) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(KEY_DESCRIPTION_OID, der)


def factory_chain(
    *,
    prefix: str,
    kd: bytes,
    attestation_validity: tuple[str, str] = ("2024-01-01", "2034-01-01"),
    attestation_extensions: tuple[x509.UnrecognizedExtension, ...] = (),
    attestation_ca: bool | None = True,
    leaf_issuer: x509.Name | None = None,
    leaf_extensions: tuple[x509.UnrecognizedExtension, ...] | None = None,
    attestation_serial: int = 0xFAC70001,
    serial_only_names: bool = False,
    validity: tuple[str, str] = ("2024-01-01", "2034-01-01"),
) -> tuple[list[x509.Certificate], Ed25519PrivateKey]:
    """root -> factory intermediate -> attestation cert -> leaf (a factory-provisioned shape).
    ``serial_only_names``: names are a bare serialNumber, as in older factory chains."""
    inter_key, att_key, leaf_key = key(f"{prefix}-i"), key(f"{prefix}-a"), key(f"{prefix}-leaf")
    if serial_only_names:
        inter_name = name((NameOID.SERIAL_NUMBER, f"{prefix}-intermediate"))
        att_name = name((NameOID.SERIAL_NUMBER, f"{prefix}-attestation"))
    else:
        inter_name = factory_name("TEE", f"{prefix}-intermediate")
        att_name = factory_name("TEE", f"{prefix}-attestation")
    inter = cert(inter_name, ROOT_NAME, inter_key, ROOT_KEY, 0xFAC70000, validity)
    att = cert(
        att_name,
        inter_name,
        att_key,
        inter_key,
        attestation_serial,
        attestation_validity,
        ca=attestation_ca,
        extensions=attestation_extensions,
    )
    leaf = cert(
        LEAF_NAME,
        leaf_issuer or att_name,
        leaf_key,
        att_key,
        1,
        LEAF_VALIDITY,
        ca=None,
        extensions=(kd_extension(kd),) if leaf_extensions is None else leaf_extensions,
    )
    return [leaf, att, inter, ROOT], leaf_key


def rkp_chain(
    *, prefix: str, kd: bytes, attestation_validity: tuple[str, str]
) -> list[x509.Certificate]:
    """root -> Droid CA2 -> Droid CA3 -> attestation (ProvisioningInfo) -> leaf (RKP shape)."""
    ca2_key, ca3_key, att_key = key(f"{prefix}-ca2"), key(f"{prefix}-ca3"), key(f"{prefix}-a")
    ca2_name = name((NameOID.COMMON_NAME, "Droid CA2"), (NameOID.ORGANIZATION_NAME, "HG Test"))
    ca3_name = name((NameOID.COMMON_NAME, "Droid CA3"), (NameOID.ORGANIZATION_NAME, "HG Test"))
    att_name = name((NameOID.ORGANIZATION_NAME, "TEE"), (NameOID.COMMON_NAME, f"{prefix}-att"))
    ca2_validity = ("2025-01-01", "2030-01-01")
    ca2 = cert(ca2_name, ROOT_NAME, ca2_key, ROOT_KEY, 0xCA2, ca2_validity, path_length=2)
    ca3 = cert(ca3_name, ca2_name, ca3_key, ca2_key, 0xCA3, ("2026-11-01", "2027-01-10"))
    provisioning = x509.UnrecognizedExtension(
        PROVISIONING_INFO_OID, cbor_map({1: 5, 3: "HandsetGuard Test"})
    )
    att = cert(
        att_name,
        ca3_name,
        att_key,
        ca3_key,
        0x5A5A0001,
        attestation_validity,
        extensions=(provisioning,),
    )
    leaf = cert(
        LEAF_NAME,
        att_name,
        key(f"{prefix}-leaf"),
        att_key,
        1,
        LEAF_VALIDITY,
        ca=None,
        extensions=(kd_extension(kd),),
    )
    return [leaf, att, ca3, ca2, ROOT]


def pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def corrupt_signature(certificate: x509.Certificate) -> bytes:
    der = bytearray(certificate.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # last byte of the signature BIT STRING
    return bytes(der)


def _pem_der(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def pem_raw(der: bytes) -> bytes:
    """PEM armour around DER that pyca/cryptography may refuse to load."""
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()


def split(der: bytes) -> list[bytes]:
    """The TLVs inside one DER TLV (short or long definite lengths: builder output)."""

    def header(data: bytes, pos: int) -> tuple[int, int]:
        first = data[pos + 1]
        if first < 0x80:
            return pos + 2, first
        count = first & 0x7F
        return pos + 2 + count, int.from_bytes(data[pos + 2 : pos + 2 + count], "big")

    start, length = header(der, 0)
    items, pos = [], start
    while pos < start + length:
        content, size = header(der, pos)
        items.append(der[pos : content + size])
        pos = content + size
    return items


def resign(
    certificate: x509.Certificate,
    issuer_key: Ed25519PrivateKey,
    edit_extension: Any,
    long_length: bool = False,
) -> bytes:
    """Re-encode ``certificate``'s TBS with each extension passed through ``edit_extension``
    (returning a list of extension TLVs), optionally with a 4-byte (non-minimal) length, and sign
    it again with ``issuer_key``: encodings no certificate builder would produce."""
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    tbs, algorithm, _ = split(cert_der)
    fields = split(tbs)
    extensions = split(split(fields[-1])[0])
    edited = [new for ext in extensions for new in edit_extension(ext)]
    body = b"".join([*fields[:-1], explicit(3, der_seq(*edited))])
    length = b"\x84" + len(body).to_bytes(4, "big") if long_length else _length(len(body))
    new_tbs = b"\x30" + length + body
    signature = issuer_key.sign(new_tbs)
    return der_seq(new_tbs, algorithm, tlv(b"\x03", b"\x00" + signature))


def build() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    outputs: dict[str, bytes] = {"test-root.pem": pem([ROOT])}

    def add(file: str, data: bytes, description: str, codes: list[str], **extra: Any) -> None:
        outputs[file] = data
        cases[file] = {"description": description, "at": AT, "failures": codes, **extra}

    valid_kd = encode_key_description(golden())
    chain, leaf_key = factory_chain(prefix="valid", kd=valid_kd)
    add("valid_factory.pem", pem(chain), "factory-provisioned chain, locked + VERIFIED", [])
    add(
        "valid_factory_no_root.pem",
        pem(chain[:-1]),
        "the same chain without its root certificate: anchored by name and key",
        [],
    )
    add(
        "valid_rkp.pem",
        pem(rkp_chain(prefix="rkp", kd=valid_kd, attestation_validity=RKP_VALIDITY)),
        "remotely provisioned chain within validity",
        [],
    )
    forged = kd_extension(encode_key_description(golden(attestationSecurityLevel="STRONG_BOX")))
    chain_i, _ = factory_chain(prefix="forged", kd=valid_kd, attestation_extensions=(forged,))
    add(
        "forged_extension_in_intermediate.pem",
        pem(chain_i),
        "the attestation CA certificate also carries a KeyDescription",
        ["chain.extension_outside_leaf"],
    )
    # A key attested on a device signs a certificate of its own with a forged KeyDescription
    # and puts it in front of the genuine chain (the chain extension attack).
    forged_leaf = cert(
        LEAF_NAME,
        LEAF_NAME,
        key("extension-leaf"),
        leaf_key,
        2,
        LEAF_VALIDITY,
        ca=None,
        extensions=(kd_extension(encode_key_description(golden(keyMintVersion="400"))),),
    )
    add(
        "extended_past_leaf.pem",
        pem([forged_leaf, *chain]),
        "a certificate signed by the attested key, in front of a genuine chain",
        ["chain.certificate_after_leaf"],
    )
    wrong_kd = encode_key_description(
        golden(attestationChallenge="bm90LXRoZS1zZXJ2ZXItY2hhbGxlbmdl")
    )
    chain_w, _ = factory_chain(prefix="wrong-challenge", kd=wrong_kd)
    add(
        "wrong_challenge.pem",
        pem(chain_w),
        "valid chain whose challenge is not the one the server sent (expects 'hg-challenge')",
        ["policy.challenge_mismatch"],
        challenge_hex=b"hg-challenge".hex(),
    )
    chain_r, _ = factory_chain(prefix="revoked", kd=valid_kd, attestation_serial=0xDEAD0001)
    add(
        "revoked_serial.pem",
        pem(chain_r),
        "attestation certificate serial dead0001 is REVOKED in status.json",
        ["revocation.revoked"],
        status_list="status.json",
    )
    chain_s, _ = factory_chain(prefix="suspended", kd=valid_kd, attestation_serial=0x5005E001)
    add(
        "suspended_serial.pem",
        pem(chain_s),
        "attestation certificate serial 5005e001 is SUSPENDED in status.json (reported)",
        [],
        status_list="status.json",
        notices=["revocation.suspended"],
    )
    add(
        "expired_rkp_intermediate.pem",
        pem(rkp_chain(prefix="rkp-old", kd=valid_kd, attestation_validity=RKP_EXPIRED)),
        "RKP attestation certificate expired before the verification time",
        ["chain.expired"],
    )
    chain_e, _ = factory_chain(
        prefix="factory-old", kd=valid_kd, attestation_validity=("2016-01-01", "2026-01-01")
    )
    add(
        "expired_factory_intermediate.pem",
        pem(chain_e),
        "factory attestation certificate expired: accepted, as Google's verifier does",
        [],
        notices=["chain.expired_factory_certificate_accepted"],
    )
    chain_n, _ = factory_chain(prefix="noext", kd=valid_kd, leaf_extensions=())
    add(
        "leaf_without_extension.pem",
        pem(chain_n),
        "the leaf has no KeyDescription",
        ["chain.leaf_without_extension"],
    )
    chain_c, _ = factory_chain(prefix="notca", kd=valid_kd, attestation_ca=None)
    add(
        "issuer_not_ca.pem",
        pem(chain_c),
        "the attestation certificate has no basicConstraints cA (the Sony Xperia 10 III shape):"
        " accepted by its place in the chain, as Google's verifier does",
        [],
        notices=["chain.issuer_not_ca_accepted"],
    )
    # The Sony Xperia 10 III (SDK 33) factory chain's shape: names are a bare serialNumber, the
    # attestation certificate says cA FALSE with keyUsage digitalSignature only, and both
    # intermediates (2016..2026-05-24) have expired when the key is made (2026-06-04).
    chain_sony, _ = factory_chain(
        prefix="sony-shape",
        kd=valid_kd,
        attestation_ca=False,
        serial_only_names=True,
        validity=("2016-05-26", "2026-05-24"),
        attestation_validity=("2016-05-26", "2026-05-24"),
    )
    add(
        "factory_attestation_cert_not_ca.pem",
        pem(chain_sony),
        "the Sony Xperia 10 III factory shape: accepted by Google's structural rules "
        "(not a CA, expired factory intermediates); --strict refuses the expired ones",
        [],
        notices=["chain.issuer_not_ca_accepted", "chain.expired_factory_certificate_accepted"],
        strict_failures=["chain.expired", "chain.expired"],
    )
    # The leaf names its issuer in UTF8String and another case where the attestation
    # certificate's subject is a PrintableString: the same name for Java's X500Principal.
    from cryptography.x509.name import _ASN1Type

    utf8_issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.TITLE, "tee", _type=_ASN1Type.UTF8String),
            x509.NameAttribute(
                NameOID.SERIAL_NUMBER, "reencoded-attestation", _type=_ASN1Type.UTF8String
            ),
        ]
    )
    chain_u, _ = factory_chain(prefix="reencoded", kd=valid_kd, leaf_issuer=utf8_issuer)
    add(
        "issuer_name_reencoded.pem",
        pem(chain_u),
        "the leaf's issuer is the attestation certificate's subject in UTF8String and lower "
        "case: the same name once canonical (as Java compares names), reported",
        [],
        notices=["chain.name_encoding_differs"],
    )
    # The leaf carries the KeyDescription twice: a genuine one and a forged StrongBox one.
    # A certificate builder refuses this; the placeholder OID ...2.1.18 becomes ...2.1.17.
    placeholder = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.18")
    forged_sb = encode_key_description(golden(attestationSecurityLevel="STRONG_BOX"))
    chain_d, _ = factory_chain(
        prefix="duplicate",
        kd=valid_kd,
        leaf_extensions=(
            kd_extension(valid_kd),
            x509.UnrecognizedExtension(placeholder, forged_sb),
        ),
    )
    oid_18 = b"\x06\x0a\x2b\x06\x01\x04\x01\xd6\x79\x02\x01\x12"
    duplicated = resign(
        chain_d[0], key("duplicate-a"), lambda ext: [ext.replace(oid_18, oid_18[:-1] + b"\x11")]
    )
    add(
        "duplicate_extension.pem",
        pem_raw(duplicated) + pem(chain_d[1:]),
        "the leaf has the KeyDescription extension twice (which one counts is ambiguous)",
        ["chain.duplicate_extension"],
    )
    # The attestation certificate names an x400Address in its subjectAltName (RFC 5280 allows
    # it; pyca/cryptography cannot represent it).
    x400 = der_seq(tlv(b"\xa3", der_seq(der_seq(tlv(b"\x61", tlv(b"\x13", b"HG"))))))
    san = x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.17"), x400)
    chain_x, _ = factory_chain(prefix="x400", kd=valid_kd, attestation_extensions=(san,))
    add(
        "x400_address_san.pem",
        pem(chain_x),
        "the attestation certificate's subjectAltName is an x400Address: read, not needed",
        [],
    )
    # BER, not DER, in the attestation certificate: critical FALSE spelled out (an encoded
    # DEFAULT) and a long-form length for a short TBS length field. OpenSSL and Java read it.
    note = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.99"), b"\x05\x00"
    )
    chain_q, _ = factory_chain(prefix="ber", kd=valid_kd, attestation_extensions=(note,))

    def spell_out_default(ext: bytes) -> list[bytes]:
        oid, *rest = split(ext)
        return [der_seq(oid, b"\x01\x01\x00", *rest) if len(rest) == 1 else ext]

    ber = resign(chain_q[1], key("ber-i"), spell_out_default, long_length=True)
    add(
        "non_strict_der.pem",
        pem(chain_q[:1]) + pem_raw(ber) + pem(chain_q[2:]),
        "the attestation certificate is BER (explicit critical FALSE, a 4-byte length): read "
        "leniently, its signature checked over the exact bytes, the quirk reported",
        [],
        notices=["chain.non_strict_encoding"],
    )
    chain_b, _ = factory_chain(prefix="badsig", kd=valid_kd)
    add(
        "bad_signature.pem",
        _pem_der(corrupt_signature(chain_b[0])) + pem(chain_b[1:]),
        "the leaf's signature is corrupted",
        ["chain.signature"],
    )
    chain_m, _ = factory_chain(
        prefix="names", kd=valid_kd, leaf_issuer=factory_name("TEE", "somebody-else")
    )
    add(
        "name_chaining.pem",
        pem(chain_m),
        "the leaf names an issuer that is not the next certificate",
        ["chain.name_chaining"],
    )
    g = golden()
    unknown = explicit(9999, der_int(42))
    # Re-order (swap the first two entries), duplicate osVersion and add an unknown tag.
    ordered = sorted(g["hardwareEnforced"].items(), key=lambda item: TAGS[item[0]][0])
    entries = [encode_entry(field, value) for field, value in ordered]
    duplicate = encode_entry("osVersion", "1")
    tolerant_hw = der_seq(entries[1], entries[0], *entries[2:], duplicate, unknown)
    chain_t, _ = factory_chain(prefix="tolerant", kd=encode_key_description(g, hw_raw=tolerant_hw))
    add(
        "tolerant_tags.pem",
        pem(chain_t),
        "hardwareEnforced tags out of order, osVersion duplicated, unknown tag 9999: tolerated",
        [],
        notices=[
            "extension.tags_out_of_order",
            "extension.duplicate_tags",
            "extension.unknown_tags",
        ],
    )
    status = {
        "entries": {
            "dead0001": {"status": "REVOKED", "reason": "KEY_COMPROMISE"},
            "5005e001": {"status": "SUSPENDED", "reason": "SOFTWARE_FLAW"},
        }
    }
    outputs["status.json"] = (json.dumps(status, indent=2) + "\n").encode()
    outputs["cases.json"] = (json.dumps(cases, indent=2) + "\n").encode()
    for file, data in outputs.items():
        (HERE / file).write_bytes(data)
    return cases


if __name__ == "__main__":
    built = build()
    print(f"wrote {len(built)} cases to {HERE}")  # noqa: T201
