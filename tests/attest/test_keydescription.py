"""KeyDescription decoding edge cases, built with the generator's independent DER encoder."""

from __future__ import annotations

from typing import Any

import pytest

from handsetguard.attest import KeyDescriptionError, PatchLevel, parse_key_description
from handsetguard.attest import keydescription as kd_module
from handsetguard.attest.keydescription import KeyOrigin, VerifiedBootState
from tests.attest.helpers import generator


def _golden(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = generator().golden(**changes)
    return document


def _with_hw(*entries: bytes) -> bytes:
    gen = generator()
    return gen.encode_key_description(_golden(), hw_raw=gen.der_seq(*entries))


def test_synthetic_golden_round_trips() -> None:
    from handsetguard.attest import key_description_to_dict

    document = _golden()
    assert (
        key_description_to_dict(parse_key_description(generator().encode_key_description(document)))
        == document
    )


def test_duplicated_tag_keeps_the_first_value_and_is_reported() -> None:
    gen = generator()
    kd = parse_key_description(
        _with_hw(gen.encode_entry("osVersion", "150000"), gen.encode_entry("osVersion", "1"))
    )
    assert kd.hardware_enforced.os_version == 150000
    assert kd.hardware_enforced.duplicate_tags == (705,)


def test_unknown_tag_is_kept_as_raw_der() -> None:
    gen = generator()
    unknown = gen.explicit(9999, gen.der_octets(b"future"))
    kd = parse_key_description(_with_hw(gen.encode_entry("origin", "GENERATED"), unknown))
    assert kd.hardware_enforced.origin is KeyOrigin.GENERATED
    assert [(u.tag, u.der) for u in kd.hardware_enforced.unknown] == [(9999, unknown)]
    assert kd.hardware_enforced.tags == (702, 9999)


def test_out_of_order_tags_are_tolerated() -> None:
    gen = generator()
    kd = parse_key_description(
        _with_hw(gen.encode_entry("osPatchLevel", "202401"), gen.encode_entry("purposes", ["2"]))
    )
    assert kd.hardware_enforced.purposes == (2,)
    assert not kd.hardware_enforced.tags_in_order


@pytest.mark.parametrize(
    ("entry_name", "raw", "match"),
    [
        ("rootOfTrust", "rot-bool-01", "BOOLEAN 0x01"),
        ("rootOfTrust", "rot-state-9", "verifiedBootState: unknown value 9"),
        ("origin", "origin-99", "unknown value 99"),
        ("attestationIdImei", "imei-not-utf8", "not UTF-8"),
        ("osVersion", "int-huge", "64-bit range"),
        ("osVersion", "octets-for-int", "osVersion"),
        ("universal", "universal-entry", "context-specific"),
    ],
)
def test_malformed_known_entries_are_errors(entry_name: str, raw: str, match: str) -> None:
    gen = generator()
    entries = {
        "rot-bool-01": gen.explicit(
            704, gen.der_seq(gen.der_octets(b"k"), gen.tlv(b"\x01", b"\x01"), gen.der_int(0, 0x0A))
        ),
        "rot-state-9": gen.explicit(
            704, gen.der_seq(gen.der_octets(b"k"), gen.der_bool(True), gen.der_int(9, 0x0A))
        ),
        "origin-99": gen.explicit(702, gen.der_int(99)),
        "imei-not-utf8": gen.explicit(714, gen.der_octets(b"\xff\xfe")),
        "int-huge": gen.explicit(705, gen.der_int(1 << 200)),
        "octets-for-int": gen.explicit(705, gen.der_octets(b"150000")),
        "universal-entry": gen.der_int(5),
    }
    with pytest.raises(KeyDescriptionError, match=match):
        parse_key_description(_with_hw(entries[raw]))
    assert entry_name  # documents which field each case targets


@pytest.mark.parametrize(
    "mutate",
    [
        lambda der: der + b"\x00",  # trailing data
        lambda der: der[:-5],  # truncated
        lambda der: b"\x30\x84\x7f\xff\xff\xff" + der[2:],  # absurd length
        lambda der: b"\x31" + der[1:],  # SET instead of SEQUENCE
    ],
)
def test_broken_framing_is_an_error(mutate: Any) -> None:
    der = generator().encode_key_description(_golden())
    with pytest.raises(KeyDescriptionError):
        parse_key_description(mutate(der))


def test_unknown_security_level_is_an_error() -> None:
    gen = generator()
    document = _golden()
    der = gen.encode_key_description(document)
    # attestationSecurityLevel is the first ENUMERATED (0a 01 01): make it 7.
    bad = der.replace(b"\x0a\x01\x01", b"\x0a\x01\x07", 1)
    with pytest.raises(KeyDescriptionError, match="unknown value 7"):
        parse_key_description(bad)


def test_deeply_nested_unknown_entry_is_kept_without_recursing() -> None:
    gen = generator()
    nested = b"\x05\x00"
    for _ in range(5000):
        nested = gen.der_seq(nested)
    kd = parse_key_description(_with_hw(gen.explicit(4242, nested)))
    assert kd.hardware_enforced.unknown[0].tag == 4242


def test_patch_levels() -> None:
    assert PatchLevel(202408).key() == (2024, 8, 0)
    assert PatchLevel(20240805).key() == (2024, 8, 5)
    assert PatchLevel(201809).key() < PatchLevel(20180905).key()  # month-only sorts first
    assert not PatchLevel(2024).is_valid
    assert not PatchLevel(20241399).is_valid
    assert str(PatchLevel(201809)) == "201809"


def test_unique_entries_and_lists_holding_them_are_not_cached() -> None:
    """Lists with a serial/IMEI (unique per unit) must not fill the cache."""
    gen = generator()
    kd_module.clear_caches()
    with_ids = gen.encode_key_description(_golden())
    first = parse_key_description(with_ids)
    assert len(kd_module._LIST_CACHE) == 0
    without_ids = _golden()
    for field in ("attestationIdSerial", "attestationIdImei", "attestationIdSecondImei"):
        del without_ids["hardwareEnforced"][field]
    parse_key_description(gen.encode_key_description(without_ids))
    assert len(kd_module._LIST_CACHE) == 1
    assert parse_key_description(with_ids) == first
    assert first.hardware_enforced.root_of_trust is not None
    assert first.hardware_enforced.root_of_trust.verified_boot_state is VerifiedBootState.VERIFIED
