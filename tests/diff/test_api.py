"""The diff's public API on real corpus reports: a report against itself, two different
devices, the inventory the report now carries, and shape errors as one-line DiffErrors."""

from __future__ import annotations

import pytest

from handsetguard.diff import FACETS, DifferentDevices, DiffError, diff_documents
from tests.diff.conftest import (
    ANDROIDQF,
    ATV_BUGREPORT,
    PIXEL1_81_BUGREPORT,
    PIXEL1_BUGREPORT,
    report,
)


@pytest.mark.parametrize(
    "relative", [PIXEL1_81_BUGREPORT, PIXEL1_BUGREPORT, ATV_BUGREPORT, ANDROIDQF]
)
def test_a_report_against_itself_is_empty(relative: str) -> None:
    doc = report(relative)
    result = diff_documents(doc, report(relative))
    assert result.empty
    assert result.of_concern == ()
    assert tuple(f.name for f in result.facets) == FACETS
    assert result.to_json()["summary"]["changes"] == 0


def test_two_pixels_are_different_devices() -> None:
    """Two Google Pixel (sailfish) phones, Android 8.1 retail and AOSP 10 userdebug: same
    model, different serials: refused, and compared with force."""
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_BUGREPORT)
    with pytest.raises(DifferentDevices, match="serial 'FA69Y0300503' vs 'FA69P0301911'"):
        diff_documents(old, new)
    result = diff_documents(old, new, force=True)
    assert not result.same_device
    assert result.to_json()["identity"] == {
        "same_device": False,
        "forced": True,
        "fields": [
            {"field": "serial", "old": "FA69Y0300503", "new": "FA69P0301911", "match": False},
            {"field": "imei", "old": None, "new": None, "match": None},
            {"field": "brand", "old": "google", "new": "google", "match": True},
            {"field": "model", "old": "Pixel", "new": "Pixel", "match": True},
            {"field": "device", "old": "sailfish", "new": "sailfish", "match": True},
        ],
    }
    kinds = {(c.facet, c.key, c.kind.value) for c in result.changes}
    # The 8.1 retail build is locked and green; the AOSP 10 build is unlocked and orange.
    assert ("checks", "bootloader_locked", "bootloader_unlocked") in kinds
    assert ("checks", "verified_boot", "verified_boot_changed") in kinds
    assert ("patch_levels", "OS patch level", "patch_advanced") in kinds
    assert ("build", "build_fingerprint", "build_changed") in kinds
    # Platform-signed packages: a retail build and a self-built AOSP one use other keys.
    assert ("packages", "android", "signer_changed") in kinds
    gmail_admin = "com.google.android.gm/com.android.email.SecurityPolicy$PolicyAdmin"
    assert ("device_admins", gmail_admin, "admin_removed") in kinds
    # Neither bugreport has a dumpsys adb section.
    adb = next(f for f in result.facets if f.name == "adb_keys")
    assert not adb.comparable and "no dumpsys:adb section" in (adb.reason or "")


def test_an_emulator_and_a_pixel_differ_in_hardware() -> None:
    with pytest.raises(DifferentDevices) as caught:
        diff_documents(report(ATV_BUGREPORT), report(PIXEL1_81_BUGREPORT))
    assert {m.field for m in caught.value.mismatches} == {"serial", "model", "device"}


def test_report_inventory_on_the_pixel_81() -> None:
    """Google Pixel (sailfish), Android 8.1 retail: what dumpsys says, read by hand."""
    inventory = report(PIXEL1_81_BUGREPORT)["inventory"]
    assert inventory["device_admins"]["items"] == [
        "com.google.android.gm/com.android.email.SecurityPolicy$PolicyAdmin"
    ]
    assert len(inventory["notification_listeners"]["items"]) == 3
    assert {"key": "global:adb_enabled", "value": "1"} in inventory["settings"]["items"]
    android = next(p for p in inventory["packages"]["items"] if p["package"] == "android")
    assert android["signer_kind"] == "hashcode" and android["system"] is True
    assert inventory["adb_keys"] == {
        "reason": "the input has no dumpsys:adb section",
        "items": None,
    }


def test_androidqf_signers_are_certificate_digests() -> None:
    """MVT's AndroidQF test collection: packages.json carries certificate SHA-256 digests."""
    packages = report(ANDROIDQF)["inventory"]["packages"]["items"]
    kinds = {p["signer_kind"] for p in packages}
    assert "sha256" in kinds
    digests = [s for p in packages if p["signer_kind"] == "sha256" for s in p["signers"]]
    assert all(len(d) == 64 and d == d.lower() for d in digests)


def test_an_older_report_without_inventory_is_not_comparable_there() -> None:
    old, new = report(PIXEL1_81_BUGREPORT), report(PIXEL1_81_BUGREPORT)
    del old["inventory"]
    del old["threats"]
    result = diff_documents(old, new)
    reasons = {f.name: f.reason for f in result.facets if not f.comparable}
    assert reasons["packages"] == "the old report has no inventory (an older report)"
    assert reasons["threats"] == "the old report has no threats section (an older report)"
    assert "checks" not in reasons
    assert result.empty


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d.update(schema="handsetguard.diff/1"),
            "new report: schema is 'handsetguard.diff/1'",
        ),
        (lambda d: d.update(checks={}), "new report: checks is not a list"),
        (lambda d: d["checks"].append("x"), "new report: checks[20] is not an object"),
        (lambda d: d["checks"][0].update(status="bad"), "has status 'bad'"),
        (
            lambda d: d["inventory"]["packages"].update(items="x"),
            "inventory.packages.items is not a list",
        ),
        (lambda d: d["inventory"]["packages"]["items"][0].pop("package"), "has no package"),
        (lambda d: d.update(device=[]), "new report: device is not an object"),
    ],
)
def test_a_malformed_document_is_a_one_line_error(mutate: object, message: str) -> None:
    new = report(PIXEL1_81_BUGREPORT)
    mutate(new)  # type: ignore[operator]
    with pytest.raises(DiffError, match=message.replace("[", r"\[").replace("(", r"\(")) as caught:
        diff_documents(report(PIXEL1_81_BUGREPORT), new)
    assert "\n" not in str(caught.value)


def test_not_a_mapping() -> None:
    with pytest.raises(DiffError, match="old report: not a JSON object"):
        diff_documents([], {})  # type: ignore[arg-type]


def test_to_json_follows_the_published_schema() -> None:
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parents[2] / "docs" / "diff.schema.json").read_text()
    )
    forced = diff_documents(report(PIXEL1_81_BUGREPORT), report(PIXEL1_BUGREPORT), force=True)
    document = forced.to_json()
    jsonschema.validate(document, schema)
    assert [f["name"] for f in document["facets"]] == list(FACETS)
    assert document["summary"]["by_severity"] == forced.counts()
    assert sum(forced.counts().values()) == document["summary"]["changes"] == len(forced.changes)
