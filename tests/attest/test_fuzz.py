"""Hostile input: random and mutated chains, extensions, CBOR and status lists. Only the
project's own errors may escape, and every input is bounded (size, count, depth)."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handsetguard.attest import (
    ChainInputError,
    KeyDescriptionError,
    StatusListError,
    UnsafeNoOp,
    Verifier,
    parse_chain,
    parse_key_description,
    parse_status_list,
    read_chain,
)
from handsetguard.attest.cbor import decode_cbor
from handsetguard.attest.chain import parse_certificates
from handsetguard.errors import HandsetGuardError
from tests.attest.helpers import ASSETS, FAIL_OPEN, TODAY, unsafe_test_trust

FUZZ = settings(
    max_examples=200,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)


@cache
def _chain() -> tuple[bytes, ...]:
    return read_chain(ASSETS / "valid_rkp.pem").certificates


@cache
def _extension() -> bytes:
    leaf = parse_certificates(_chain(), "fuzz")[0]
    assert leaf.key_description is not None
    return leaf.key_description


@cache
def _verifier() -> Verifier:
    return Verifier(trust=unsafe_test_trust(), revocation=FAIL_OPEN)


def _mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, position, value in edits:
        if not buffer:
            break
        index = position % len(buffer)
        if kind == 0:
            buffer[index] ^= value or 1
        elif kind == 1:
            del buffer[index:]
        elif kind == 2:
            buffer.insert(index, value)
        else:
            del buffer[index]
    return bytes(buffer)


EDITS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1 << 16), st.integers(0, 255)),
    min_size=1,
    max_size=4,
)
MARKERS = [
    b"-----BEGIN CERTIFICATE-----\n",
    b"-----END CERTIFICATE-----\n",
    b"-----BEGIN PUBLIC KEY-----\n",
    b"MIIB",
    b"[",
    b"{",
    b'"x5c"',
    b"\xa3",
    b"\x30\x82",
    b"\x00",
]


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(MARKERS), st.binary(max_size=40)), max_size=30))
def test_random_input_forms_raise_only_chain_input_errors(chunks: list[bytes]) -> None:
    try:
        chain = parse_chain(b"".join(chunks), source="fuzz")
    except ChainInputError as exc:
        assert "\n" not in exc.message
        return
    assert 1 <= len(chain.certificates) <= 64


# A mutated serial may turn negative: pyca/cryptography then warns (and will refuse such a
# certificate in a future release, which the verifier reports as unusable input).
@pytest.mark.filterwarnings(
    "ignore:Parsed a serial number:cryptography.utils.CryptographyDeprecationWarning"
)
@FUZZ
@given(st.integers(0, 4), EDITS)
def test_mutated_certificates_never_crash_the_verifier(
    index: int, edits: list[tuple[int, int, int]]
) -> None:
    chain = list(_chain())
    original = chain[index]
    chain[index] = _mutate(original, edits)
    try:
        verdict = _verifier().verify(chain, UnsafeNoOp(), at=TODAY)
    except ChainInputError:
        return
    if verdict.ok and chain[index] != original:
        before = parse_certificates([original], "x")[0]
        after = parse_certificates([chain[index]], "x")[0]
        if index == len(chain) - 1:
            # The anchor is its key (its self-signature is not checked, as in Google's
            # verifier): only the key and the name the chain points at count.
            assert (before.spki, before.subject) == (after.spki, after.subject)
        else:  # only unsigned framing can have changed: the signed part must be intact
            assert before.tbs == after.tbs


@FUZZ
@given(EDITS)
def test_mutated_key_descriptions_raise_only_key_description_errors(
    edits: list[tuple[int, int, int]],
) -> None:
    try:
        parse_key_description(_mutate(_extension(), edits))
    except KeyDescriptionError:
        pass


@FUZZ
@given(st.binary(max_size=200))
def test_random_key_description_bytes(data: bytes) -> None:
    try:
        parse_key_description(data)
    except KeyDescriptionError:
        pass


@FUZZ
@given(st.binary(max_size=300))
def test_random_cbor(data: bytes) -> None:
    try:
        decode_cbor(data)
    except ChainInputError:
        pass


@FUZZ
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_random_status_lists(document: object) -> None:
    try:
        parse_status_list(json.dumps({"entries": document}).encode(), "fuzz", None)
    except StatusListError:
        pass


# --- the worst cases, explicitly ------------------------------------------------------------


def test_ten_thousand_certificate_chain_is_refused() -> None:
    pem = (ASSETS / "valid_factory.pem").read_bytes().split(b"-----END CERTIFICATE-----\n")[0]
    block = pem + b"-----END CERTIFICATE-----\n"
    for data in (block * 10_000, json.dumps(["MIIB"] * 10_000).encode()):
        try:
            parse_chain(data)
        except ChainInputError as exc:
            assert "64" in exc.message or "input limit" in exc.message
        else:  # pragma: no cover - the test must fail here
            raise AssertionError("a 10,000-certificate chain was accepted")


@pytest.mark.parametrize(
    "data",
    [
        b"\x81" * 100_000 + b"\x00",  # CBOR arrays in arrays
        b"[" * 200_000,  # JSON
        b"\x30\x80" * 50_000,  # indefinite-length SEQUENCEs (not DER)
        b"\x30\x83\x0f\xff\xf0" + b"\x30\x83\x0f\xff\xeb" * 1000,  # definite, nested
        b"\x30\x84\xff\xff\xff\xff\x02\x01\x00",  # a 4 GiB length
    ],
)
def test_deep_nesting_and_absurd_lengths_are_refused(data: bytes) -> None:
    with pytest.raises(ChainInputError):
        _verifier().verify(parse_chain(data), UnsafeNoOp(), at=TODAY)


def test_deeply_nested_key_description_is_refused() -> None:
    nested = b"\x05\x00"
    for _ in range(3000):
        nested = b"\x30" + bytes([0x82]) + len(nested).to_bytes(2, "big") + nested
    with pytest.raises(KeyDescriptionError):
        parse_key_description(nested)


def test_only_project_errors_escape_the_public_entry_points() -> None:
    hostile = [
        b"",
        b"\x30",
        b"\x30\x82\xff\xff",
        b"-----BEGIN X-----\n-----END X-----\n",
        b"\xff" * 64,
    ]
    for data in hostile:
        try:
            chain = parse_chain(data)
            _verifier().verify(chain, UnsafeNoOp(), at=TODAY)
        except HandsetGuardError:
            continue
