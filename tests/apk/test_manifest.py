"""The binary manifest: real APKs and apkInspector's AXML tricks, and hostile bytes that must
end as an AxmlError (never another exception)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handsetguard.apk import inspect_apk
from handsetguard.apk.axml import AxmlError, parse_axml
from handsetguard.apk.manifest import read_manifest
from tests.conftest import corpus_path


def test_app_prod_debug() -> None:
    """androguard's app-prod-debug.apk (com.greenaddress.abcore 0.62, minSdk 21, target 27)."""
    m = inspect_apk(corpus_path("apk/androguard/app-prod-debug.apk")).manifest
    assert m is not None
    assert (m.package, m.version_code, m.version_name, m.min_sdk, m.target_sdk) == (
        "com.greenaddress.abcore",
        2162,
        "0.62",
        21,
        27,
    )
    assert m.launcher == "com.greenaddress.abcore.MainActivity"
    assert m.debuggable is True and m.allow_backup is False
    names = {p.name: p for p in m.permissions}
    assert set(names) == {
        "android.permission.INTERNET",
        "android.permission.WRITE_EXTERNAL_STORAGE",
        "android.permission.ACCESS_WIFI_STATE",
        "android.permission.ACCESS_NETWORK_STATE",
    }
    assert names["android.permission.WRITE_EXTERNAL_STORAGE"].dangerous
    receiver = next(c for c in m.components if c.kind == "receiver")
    assert receiver.exported and not receiver.exported_explicit  # implied by its intent filter


def test_duplicate_permissions_are_counted() -> None:
    """INTERNET is declared twice; androguard lists 5 names because it skips the two
    permissions this manifest requests only with a maxSdkVersion/sdk-23 form."""
    m = inspect_apk(corpus_path("apk/androguard/duplicate.permisssions_9999999.apk")).manifest
    assert m is not None
    counts = {p.name.rsplit(".", 1)[-1]: p.count for p in m.permissions}
    assert counts["INTERNET"] == 2
    assert len(counts) == 7 and sum(counts.values()) == 8


def test_short_component_names_are_qualified() -> None:
    m = inspect_apk(corpus_path("apk/androguard/AndroidManifest_ShortName.apk")).manifest
    assert m is not None and m.package == "com.android.galaxy4"
    assert all(c.name.startswith("com.android.galaxy4.") for c in m.components)


def test_debuggable_from_a_resource() -> None:
    """apksig's debuggable-resource.apk: android:debuggable="@bool/debuggable", false in the
    default configuration of its resources.arsc (aapt dump resources agrees)."""
    report = inspect_apk(corpus_path("apk/androguard-apksig/debuggable-resource.apk"))
    assert report.manifest is not None and report.manifest.debuggable is False
    assert any("resolved from resources.arsc" in n for n in report.manifest_notes)
    b = inspect_apk(corpus_path("apk/androguard-apksig/debuggable-boolean.apk")).manifest
    assert b is not None and b.debuggable is True


def test_label_from_resources() -> None:
    m = inspect_apk(corpus_path("apk/androguard/com.teleca.jamendo_35.apk")).manifest
    assert m is not None and m.label == "Jamendo"  # aapt dump badging: application-label


def test_unresolvable_reference_stays_a_reference(tmp_path: Path) -> None:
    """Without resources.arsc the reference is shown as it is, never guessed."""
    source = corpus_path("apk/androguard-apksig/debuggable-resource.apk")
    path = tmp_path / "no-arsc.apk"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as copy:
        for info in original.infolist():
            if info.filename != "resources.arsc":
                copy.writestr(info, original.read(info))
    m = inspect_apk(path).manifest
    assert m is not None and m.debuggable == "@0x7f030000"


def test_cdata_node() -> None:
    data = corpus_path("apk/apkinspector/manifest/AndroidManifest_CDATA.xml").read_bytes()
    notes: list[str] = []
    root = parse_axml(data, notes)
    assert "CDATA text node" in notes
    assert read_manifest(root).package == "com.erev0s.minimal"
    assert any("com.erev0s.minimal" in t for e in root.iter("intent-filter") for t in e.text)


def test_missing_resource_map_is_noted_and_read_by_names() -> None:
    path = corpus_path("apk/apkinspector/manifest/AndroidManifest_resource_map_not_found.xml")
    notes: list[str] = []
    manifest = read_manifest(parse_axml(path.read_bytes(), notes))
    assert any("no resource map" in n for n in notes)
    assert manifest.package == "com.erev0s.minimal"


def test_apk_without_manifest() -> None:
    report = inspect_apk(corpus_path("apk/androguard/multidex.apk"))
    assert report.manifest is None and report.manifest_error == "no AndroidManifest.xml"
    assert not report.signature.verified
    assert "Missing AndroidManifest.xml" in report.signature.errors


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_hostile_bytes_raise_only_axml_error(data: bytes) -> None:
    real = corpus_path("apk/apkinspector/manifest/AndroidManifest_CDATA.xml").read_bytes()
    for candidate in (
        data,
        real[: len(data)],
        real[:64] + data,
        bytes(a ^ b for a, b in zip(real, data, strict=False)) + real[len(data) :],
    ):
        try:
            parse_axml(candidate, [])
        except AxmlError:
            pass


def test_huge_string_count_is_capped() -> None:
    real = bytearray(
        corpus_path("apk/apkinspector/manifest/AndroidManifest_CDATA.xml").read_bytes()
    )
    real[16:20] = (0x7FFFFFFF).to_bytes(4, "little")  # the string pool's string count
    notes: list[str] = []
    parse_axml(bytes(real), notes)
    assert any("string pool declares" in n for n in notes)


@pytest.mark.parametrize("name", ["TestActivity.apk", "com.politedroid_4.apk", "Invalid.apk"])
def test_corpus_manifests_read(name: str) -> None:
    report = inspect_apk(corpus_path(f"apk/androguard/{name}"))
    assert report.manifest is not None and report.manifest.package


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=16))
def test_mutated_resource_table_never_raises(flips: list[tuple[int, int]]) -> None:
    from handsetguard.apk.resources import ResourceTable

    path = corpus_path("apk/androguard-apksig/debuggable-resource.apk")
    with zipfile.ZipFile(path) as archive:
        data = bytearray(archive.read("resources.arsc"))
    for at, value in flips:
        data[at % len(data)] = value
    table = ResourceTable(bytes(data))
    for resource_id in (0x7F030000, 0x7F020000, 0x7F010000, 0x01010000):
        table.lookup(resource_id)
