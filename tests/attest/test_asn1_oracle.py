"""The KeyDescription decoder (handsetguard.attest.asn1, on the project's DER reader) against
the pyasn1 decoder it replaced (tests/attest/pyasn1_reference.py): identical values on every
real leaf of the corpus and the synthetic ones, and on mutated extensions, whatever both accept
decodes to the same values (neither reads an encoding differently from the other). Each also
refuses some input the other reads: the DER reader reads non-minimal lengths; pyasn1 reads an
INTEGER with no content octet as 0 and a universal tag in the high-number form."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handsetguard.attest import KeyDescriptionError, read_chain
from handsetguard.attest import asn1 as ours
from handsetguard.attest.chain import parse_certificates
from tests.attest import pyasn1_reference as reference
from tests.attest.helpers import ASSETS, GOLDEN_CHAINS, chain_path

Decoded = tuple[object, ...]


def _decode(module: object, der: bytes) -> Decoded:
    kd = module.decode_key_description(der)  # type: ignore[attr-defined]
    lists = []
    for name in ("software_enforced", "hardware_enforced"):
        entries = module.split_authorization_list(getattr(kd, name), name)  # type: ignore[attr-defined]
        lists.append(tuple(module.decode_entry(entry) for entry in entries))  # type: ignore[attr-defined]
    return (kd, *lists)


def _outcome(module: object, der: bytes) -> Decoded | str:
    try:
        return _decode(module, der)
    except KeyDescriptionError:
        return "error"


def _leaf_extension(path: object) -> bytes:
    leaf = parse_certificates(read_chain(path).certificates, "oracle")[0]  # type: ignore[arg-type]
    assert leaf.key_description is not None
    return leaf.key_description


@cache
def _extensions() -> tuple[bytes, ...]:
    real = [_leaf_extension(chain_path(name)) for name, *_ in GOLDEN_CHAINS]
    files = ("valid_rkp.pem", "tolerant_tags.pem", "valid_factory.pem")
    return (*real, *(_leaf_extension(ASSETS / file) for file in files))


@pytest.mark.parametrize(("name", "device"), [g[:2] for g in GOLDEN_CHAINS])
def test_same_values_as_pyasn1_on_every_real_leaf(name: str, device: str) -> None:
    der = _leaf_extension(chain_path(name))
    assert _decode(ours, der) == _decode(reference, der), device


@settings(
    max_examples=300, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.integers(0, 16),
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 1 << 12), st.integers(0, 255)),
        min_size=1,
        max_size=3,
    ),
)
def test_whatever_both_accept_decodes_the_same(
    which: int, edits: list[tuple[int, int, int]]
) -> None:
    extensions = _extensions()
    data = bytearray(extensions[which % len(extensions)])
    for kind, position, value in edits:
        index = position % len(data)
        if kind == 0:
            data[index] ^= value or 1
        elif kind == 1:
            data.insert(index, value)
        else:
            del data[index]
    expected, got = _outcome(reference, bytes(data)), _outcome(ours, bytes(data))
    if "error" not in (expected, got):
        assert got == expected
