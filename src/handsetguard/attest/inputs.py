"""Read an attestation chain from any of its usual forms, leaf first, with hard bounds.

Forms: a PEM bundle; one DER certificate; a directory of DER/PEM files (natural name order,
``cert0`` … ``cert10``); a JSON array of base64/base64url DER certificates (``x5c``), or an object
holding one under ``x5c``; a WebAuthn ``android-key`` attestation object (raw CBOR, its base64url
text, or a registration response JSON with ``response.attestationObject``). Inputs over 1 MiB or
with more than 64 certificates are refused before any certificate is parsed.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from pathlib import Path

from handsetguard.attest import der
from handsetguard.attest.cbor import decode_cbor
from handsetguard.attest.errors import ChainInputError
from handsetguard.boundedio import read_bounded
from handsetguard.records import record

__all__ = [
    "MAX_CERTIFICATES",
    "MAX_INPUT_BYTES",
    "ChainInput",
    "InputForm",
    "WebAuthnStatement",
    "parse_chain",
    "pem_blocks",
    "read_chain",
]

MAX_INPUT_BYTES = 1 << 20
MAX_CERTIFICATES = 64
_CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
_B64_TEXT = re.compile(rb"[A-Za-z0-9+/=_\-\s]+")
_PEM_LINE = re.compile(rb"-----(BEGIN|END) ([A-Z0-9 ]+)-----")


class InputForm(enum.Enum):
    PEM = "pem"
    DER = "der"
    DIRECTORY = "directory"
    X5C_JSON = "x5c-json"
    WEBAUTHN = "webauthn"


@record
class WebAuthnStatement:
    """What an ``android-key`` attestation statement signs (WebAuthn §8.4): ``sig`` over
    ``authData || SHA-256(clientDataJSON)`` with the leaf's key, ``alg`` a COSE algorithm.
    ``client_data_json`` is known when a registration response was given."""

    auth_data: bytes
    signature: bytes
    alg: int | None
    client_data_json: bytes | None


@record
class ChainInput:
    """DER certificates as given (leaf first), where they came from and in which form."""

    certificates: tuple[bytes, ...]
    source: str
    form: InputForm
    notes: tuple[str, ...] = ()
    """What was set aside while reading (bytes after the last DER certificate)."""
    webauthn: WebAuthnStatement | None = None


def read_chain(path: str | Path) -> ChainInput:
    """Read a chain file or directory (see the module docstring for the accepted forms)."""
    path = Path(path)
    if path.is_dir():
        return _read_directory(path)
    return parse_chain(_read_bounded(path, MAX_INPUT_BYTES), source=str(path))


def parse_chain(data: bytes, source: str = "<input>") -> ChainInput:
    """Recognise the form of ``data`` and return its certificates' DER, leaf first."""
    if len(data) > MAX_INPUT_BYTES:
        raise ChainInputError(
            f"{source}: {len(data)} bytes is over the {MAX_INPUT_BYTES}-byte input limit"
        )
    stripped = data.strip()
    if not stripped:
        raise ChainInputError(f"{source}: empty input, expected a certificate chain")
    if stripped[:1] in (b"[", b"{"):
        return _from_json(stripped, source)
    if b"-----BEGIN" in stripped:
        blocks = pem_blocks(stripped, source, limit=MAX_CERTIFICATES)
        return _result(
            [der for _, der in _only_certificates(blocks, source)], source, InputForm.PEM
        )
    if data[0] == 0x30:
        return _from_der(data, source)
    if data[0] >> 5 == 5:  # a CBOR map: a WebAuthn attestation object
        return _from_attestation_object(data, source)
    if _B64_TEXT.fullmatch(stripped):
        decoded = _b64decode(stripped.decode("ascii"), source, "base64 text")
        if decoded[:1] == b"\x30":
            return _result([decoded], source, InputForm.DER)
        if decoded and decoded[0] >> 5 == 5:
            return _from_attestation_object(decoded, source)
    raise ChainInputError(
        f"{source}: not a certificate chain (expected PEM, DER, an x5c JSON array "
        "or a WebAuthn attestation object)"
    )


def _from_der(data: bytes, source: str) -> ChainInput:
    """One DER certificate, or several back to back. Whitespace after the last one (a DER file
    saved with a newline: OpenSSL and Java read it) is set aside and noted; other bytes are not
    a certificate and refuse the input."""
    certs: list[bytes] = []
    pos = 0
    while pos < len(data) and data[pos] == 0x30 and len(certs) <= MAX_CERTIFICATES:
        try:
            _, _, _, end = der.read(data, pos, len(data), [])
        except der.DerError as exc:
            if certs:
                raise ChainInputError(f"{source}: certificate {len(certs)}: {exc}") from None
            end = len(data)  # let the certificate reader say what is wrong with it
        certs.append(data[pos:end])
        pos = end
    rest = data[pos:]
    if rest.strip(b" \t\r\n\0"):
        raise ChainInputError(
            f"{source}: {len(rest)} bytes after certificate {len(certs) - 1} are not a certificate"
        )
    notes = (f"{len(rest)} byte(s) of whitespace after the DER certificate ignored",)
    return _result(certs, source, InputForm.DER, notes if rest else ())


def pem_blocks(data: bytes, source: str, *, limit: int) -> list[tuple[str, bytes]]:
    """The (label, DER) of each PEM block; text around blocks is ignored, bad armour is not."""
    blocks: list[tuple[str, bytes]] = []
    label: str | None = None
    body: list[bytes] = []
    for number, raw_line in enumerate(data.splitlines(), start=1):
        line = raw_line.strip()
        match = _PEM_LINE.fullmatch(line)
        if match is None:
            if label is not None:
                body.append(line)
            elif line.startswith(b"-----"):
                raise ChainInputError(f"{source}: line {number}: malformed PEM armour line")
            continue
        kind, name = match.group(1), match.group(2).decode("ascii")
        if kind == b"BEGIN":
            if label is not None:
                raise ChainInputError(
                    f"{source}: line {number}: BEGIN {name} inside an open {label} block"
                )
            if len(blocks) >= limit:
                raise ChainInputError(f"{source}: more than {limit} PEM blocks")
            label, body = name, []
        else:
            if label != name:
                raise ChainInputError(
                    f"{source}: line {number}: END {name} does not close "
                    f"{'any block' if label is None else label}"
                )
            blocks.append((name, _b64decode(b"".join(body).decode("latin-1"), source, name)))
            label = None
    if label is not None:
        raise ChainInputError(f"{source}: PEM block {label} is not closed (truncated file?)")
    if not blocks:
        raise ChainInputError(f"{source}: no PEM block found")
    return blocks


def _only_certificates(blocks: list[tuple[str, bytes]], source: str) -> list[tuple[str, bytes]]:
    for index, (label, _) in enumerate(blocks):
        if label not in ("CERTIFICATE", "X509 CERTIFICATE"):
            raise ChainInputError(
                f"{source}: PEM block {index + 1} is {label!r}, expected CERTIFICATE",
                remediation="give the attestation certificate chain, not keys or requests",
            )
    return blocks


def _result(
    certs: list[bytes], source: str, form: InputForm, notes: tuple[str, ...] = ()
) -> ChainInput:
    if not certs:
        raise ChainInputError(f"{source}: the chain holds no certificate")
    if len(certs) > MAX_CERTIFICATES:
        raise ChainInputError(
            f"{source}: {len(certs)} certificates, more than the {MAX_CERTIFICATES} allowed"
        )
    for index, cert in enumerate(certs):
        if not cert or cert[0] != 0x30:
            raise ChainInputError(f"{source}: certificate {index} is not DER (no SEQUENCE)")
    return ChainInput(tuple(certs), source, form, notes)


def _b64decode(text: str, source: str, what: str) -> bytes:
    cleaned = "".join(text.split())
    if "-" in cleaned or "_" in cleaned:
        cleaned = cleaned.translate(str.maketrans("-_", "+/"))
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise ChainInputError(f"{source}: {what}: invalid base64") from None


def _from_json(data: bytes, source: str) -> ChainInput:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise ChainInputError(f"{source}: not valid JSON") from None
    if isinstance(document, dict):
        response = document.get("response")
        if isinstance(response, dict) and isinstance(response.get("attestationObject"), str):
            raw = _b64decode(response["attestationObject"], source, "attestationObject")
            client_data = response.get("clientDataJSON")
            if client_data is not None and not isinstance(client_data, str):
                raise ChainInputError(f"{source}: response.clientDataJSON is not base64url text")
            decoded = _b64decode(client_data, source, "clientDataJSON") if client_data else None
            return _from_attestation_object(raw, source, decoded)
        if isinstance(document.get("attestationObject"), str):
            raw = _b64decode(document["attestationObject"], source, "attestationObject")
            return _from_attestation_object(raw, source)
        document = document.get("x5c")
    if not isinstance(document, list) or not all(isinstance(item, str) for item in document):
        raise ChainInputError(
            f"{source}: JSON is not an x5c array of base64 certificates "
            "(nor a WebAuthn response with response.attestationObject)"
        )
    if len(document) > MAX_CERTIFICATES:
        raise ChainInputError(
            f"{source}: {len(document)} certificates, more than the {MAX_CERTIFICATES} allowed"
        )
    certs: list[bytes] = []
    for i, item in enumerate(document):
        if "-----BEGIN" in item:  # PEM text, as in android/keyattestation's roots.json
            blocks = pem_blocks(item.encode("utf-8", "replace"), f"{source}: x5c[{i}]", limit=1)
            certs += [der for _, der in _only_certificates(blocks, f"{source}: x5c[{i}]")]
        else:
            certs.append(_b64decode(item, source, f"x5c[{i}]"))
    return _result(certs, source, InputForm.X5C_JSON)


def _from_attestation_object(
    data: bytes, source: str, client_data_json: bytes | None = None
) -> ChainInput:
    what = f"{source}: WebAuthn attestation object"
    document = decode_cbor(data, what)
    if not isinstance(document, dict):
        raise ChainInputError(f"{what}: not a CBOR map")
    fmt = document.get("fmt")
    if fmt != "android-key":
        raise ChainInputError(f"{what}: attestation format {fmt!r}, expected 'android-key'")
    statement = document.get("attStmt")
    x5c = statement.get("x5c") if isinstance(statement, dict) else None
    if not isinstance(x5c, list) or not all(isinstance(item, bytes) for item in x5c):
        raise ChainInputError(f"{what}: attStmt.x5c is not an array of byte strings")
    auth_data = document.get("authData")
    signature = statement.get("sig") if isinstance(statement, dict) else None
    alg = statement.get("alg") if isinstance(statement, dict) else None
    if not isinstance(auth_data, bytes) or not isinstance(signature, bytes):
        raise ChainInputError(f"{what}: authData and attStmt.sig must be byte strings")
    if alg is not None and (not isinstance(alg, int) or isinstance(alg, bool)):
        raise ChainInputError(f"{what}: attStmt.alg is not a COSE algorithm number")
    chain = _result([item for item in x5c if isinstance(item, bytes)], source, InputForm.WEBAUTHN)
    statement_ = WebAuthnStatement(auth_data, signature, alg, client_data_json)
    return ChainInput(chain.certificates, source, InputForm.WEBAUTHN, webauthn=statement_)


def _read_bounded(path: Path, limit: int) -> bytes:
    return read_bounded(path, limit, ChainInputError)


def _natural_key(path: Path) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _read_directory(directory: Path) -> ChainInput:
    try:
        files = sorted(
            (p for p in directory.iterdir() if p.suffix.lower() in _CERT_SUFFIXES and p.is_file()),
            key=_natural_key,
        )
    except OSError as exc:
        raise ChainInputError(f"{directory}: cannot list ({exc.strerror or exc})") from None
    if not files:
        raise ChainInputError(f"{directory}: no .pem/.crt/.cer/.der file in this directory")
    if len(files) > MAX_CERTIFICATES:
        raise ChainInputError(f"{directory}: more than {MAX_CERTIFICATES} certificate files")
    certs: list[bytes] = []
    notes: list[str] = []
    total = 0
    for file in files:
        data = _read_bounded(file, MAX_INPUT_BYTES)
        total += len(data)
        if total > MAX_INPUT_BYTES:
            raise ChainInputError(
                f"{directory}: the files hold more than the {MAX_INPUT_BYTES}-byte input limit"
            )
        chunk = parse_chain(data, source=str(file))
        if chunk.form not in (InputForm.PEM, InputForm.DER):
            raise ChainInputError(f"{file}: expected a PEM or DER certificate file")
        certs.extend(chunk.certificates)
        notes += [f"{file.name}: {note}" for note in chunk.notes]
        if len(certs) > MAX_CERTIFICATES:
            raise ChainInputError(f"{directory}: more than {MAX_CERTIFICATES} certificates")
    return _result(certs, str(directory), InputForm.DIRECTORY, tuple(notes))
