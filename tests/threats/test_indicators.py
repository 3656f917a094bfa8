"""Indicator sets: reading STIX2 (as MVT and its feeds write it), MVT's indicators.yaml, Echap's
YAML and the bundled set; bad input; the compiled index and its disk cache; ``iocs update``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from handsetguard.threats.indicators import (
    BUNDLED_NAME,
    MAX_INDICATOR_FILE_BYTES,
    IndicatorError,
    Places,
    bundled_path,
    java_hashcode,
    load_indicators,
    update_user_set,
)
from handsetguard.threats.indicators.files import SourceFile, parse_source, read_sources
from handsetguard.threats.indicators.normalise import unsafe_regex_reason
from tests.conftest import FIXTURES
from tests.threats.stix import stix_bundle

IOCS = FIXTURES / "iocs"


def _places(tmp_path: Path, cache: bool = True) -> Places:
    return Places(tmp_path / "data", tmp_path / "cache" if cache else None)


def _load(tmp_path: Path, *paths: Path, bundled: bool = False, cache: bool = False):  # noqa: ANN202
    return load_indicators(list(paths), places=_places(tmp_path, cache), env={}, bundled=bundled)


def _stix(*patterns: str, extra: list[dict[str, object]] | None = None) -> str:
    return stix_bundle(*patterns, description="A spyware", extra=extra)


def _set(tmp_path: Path, name: str, text: str):  # noqa: ANN202
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    index = _load(tmp_path, path)
    return index, {s.name: s for s in index.sets}


# --- STIX2 ----------------------------------------------------------------------------------


def test_stix2_patterns_as_mvt_writes_them(tmp_path: Path) -> None:
    text = _stix(
        "[app:id = 'com.Example.Spy']",
        "[file:hashes.'SHA-256'='AB" + "cd" * 31 + "']",
        "[file:hashes.sha1 = '" + "0" * 40 + "']",
        "[app:cert.SHA1='" + "F" * 40 + "']",
        "[domain-name:value='Evil.Example.']",
        "[process:name='Launch' OR process:name='lru-add-drain']",
        "[url:value = 'http://x.test/it\\'s']",
        "[ipv4-addr:value='198.51.100.1'] OR [android-property:name='sys.Foo']",
    )
    index, sets = _set(tmp_path, "fam.stix2", text)
    assert index.problems == []
    assert sets["fam"].counts == {
        "android-property:name": 1,
        "app:cert.sha1": 1,
        "app:id": 1,
        "domain-name:value": 1,
        "file:hashes.sha1": 1,
        "file:hashes.sha256": 1,
        "ipv4-addr:value": 1,
        "process:name": 2,
        "url:value": 1,
    }
    # Lookup forms: package, digest, domain and property lower case; processes and URLs as is.
    assert index.lookup("app", "com.example.spy") and index.lookup("domain", "evil.example")
    assert index.lookup("hash", "ab" + "cd" * 31) and index.lookup("cert", "f" * 40)
    assert index.lookup("proc", "lru-add-drain") and index.lookup("url", "http://x.test/it's")
    assert index.lookup("prop", "sys.foo") and index.lookup("domain", "198.51.100.1")
    indicator, indicator_set = index.indicator(index.lookup("app", "com.example.spy")[0])
    assert (indicator.id, indicator.family, indicator.kind) == ("indicator--0", "Fam", "spyware")
    assert indicator_set.name == "fam" and indicator_set.origin == "option"


def test_unknown_types_and_patterns_are_counted_not_fatal(tmp_path: Path) -> None:
    text = _stix(
        "[app:id='com.ok']",
        "[x-custom:thing='1']",
        "[file:size > 10]",
        "[app:id='a'] AND [app:id='b']",
    )
    index, sets = _set(tmp_path, "mixed.stix2", text)
    assert sets["mixed"].total == 1
    assert dict(sets["mixed"].unknown_types) == {
        "x-custom:thing": 1,
        "compound or non-equality pattern": 2,
    }


def test_report_object_refs_name_the_family(tmp_path: Path) -> None:
    report = {
        "type": "report",
        "id": "report--9",
        "name": "Campaign X",
        "object_refs": ["indicator--0"],
    }
    text = json.dumps(
        {
            "type": "bundle",
            "objects": [
                report,
                {
                    "type": "indicator",
                    "id": "indicator--0",
                    "pattern": "[domain-name:value='c2.test']",
                },
            ],
        }
    )
    index, _ = _set(tmp_path, "r.json", text)
    assert index.indicator(index.lookup("domain", "c2.test")[0])[0].family == "Campaign X"


def test_duplicate_ids_and_bad_values_name_file_and_indicator(tmp_path: Path) -> None:
    objects = json.loads(_stix("[app:id='com.a']", "[file:hashes.sha256='nothex']"))
    objects["objects"].append(
        {"type": "indicator", "id": "indicator--0", "pattern": "[app:id='com.b']"}
    )
    index, sets = _set(tmp_path, "dup.stix2", json.dumps(objects))
    problems = sets["dup"].problems
    where = f"{tmp_path / 'dup.stix2'}: indicator indicator--0"
    assert f"{where}: duplicate id (a different pattern); the first is kept" in problems
    assert any(
        "indicator indicator--1: file:hashes.sha256 is not a sha256 digest" in p for p in problems
    )
    assert index.lookup("app", "com.a") and not index.lookup("app", "com.b")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"type": "bundle"}', 'STIX2 bundle without an "objects" list'),
        ('{"type": "report"}', "neither a STIX2 bundle nor a HandsetGuard indicator set"),
        ("[" * 100_000 + "]" * 100_000, "not an indicator file"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested too deep"),
    ],
)
def test_malformed_stix2_is_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.stix2"
    path.write_text(text, encoding="utf-8")
    index = _load(tmp_path, path)
    assert index.sets == [] and len(index.problems) == 1
    assert index.problems[0].startswith(f"{path}: ") and message in index.problems[0]
    assert "\n" not in index.problems[0]


def test_a_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.stix2"
    with path.open("wb") as handle:  # sparse: 100 MB on paper, nothing on disk
        handle.truncate(100 * 1000 * 1000)
    assert MAX_INDICATOR_FILE_BYTES < 100 * 1000 * 1000
    index = _load(tmp_path, path)
    assert index.problems == [f"{path}: larger than 64 MiB; refusing to read it"]


def test_a_bad_user_set_never_disables_the_bundled_one(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("- name: [unclosed\n", encoding="utf-8")
    index = _load(tmp_path, bad, bundled=True)
    assert [s.name for s in index.sets] == [BUNDLED_NAME]
    assert index.lookup("app", "com.thetruth")
    assert len(index.problems) == 1 and index.problems[0].startswith(
        f"{bad}: not valid YAML at line 2"
    )


def test_a_broken_user_copy_of_the_bundled_set_falls_back_to_it(tmp_path: Path) -> None:
    places = _places(tmp_path)
    folder = places.user_sets / BUNDLED_NAME
    folder.mkdir(parents=True)
    (folder / "ioc.yaml").write_text("- {name: X, packages: [", encoding="utf-8")
    index = load_indicators(places=places, env={})
    assert [s.origin for s in index.sets] == ["bundled"]
    assert any("the bundled set is used" in p for p in index.problems)


# --- YAML: Echap and MVT's index ------------------------------------------------------------


def test_echap_ioc_yaml(corpus: Path, tmp_path: Path) -> None:
    index = _load(tmp_path, corpus / "iocs/stalkerware-indicators/ioc.yaml")
    assert index.problems == []
    (ioc,) = index.sets
    # 616 package entries, one listed twice in its family; websites, distribution and c2
    # domains together; c2.ips and c2.ip.
    assert ioc.counts == {
        "app:cert.cname-pattern": 1,
        "app:cert.organization": 6,
        "app:cert.sha1": 472,
        "app:id": 615,
        "domain-name:value": 1593,
        "ipv4-addr:value": 68,
    }
    rows = index.lookup("app", "com.thetruth")
    indicator, _ = index.indicator(rows[0])
    assert (indicator.family, indicator.kind, indicator.id) == (
        "TheTruthSpy",
        "stalkerware",
        "TheTruthSpy/packages/com.thetruth",
    )
    assert index.lookup("cert", "31a6ececd97cf39bc4126b8745cd94a7c30bf81c")
    assert index.lookup("domain", "69.64.74.239")  # c2.ips


def test_echap_yaml_aliases_are_walked_once(tmp_path: Path) -> None:
    # A million references to one list: read as one list, not a million.
    text = "- &f {name: A, packages: &p [com.a, com.b]}\n" + "- *f\n" * 200_000
    index, sets = _set(tmp_path, "bomb.yaml", text)
    assert sets["bomb"].total == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- name: x\n  packages: [a\n", "not valid YAML at line"),
        ("name: x\n", "not an Echap indicator list"),
        ("indicators: []\n", "an MVT indicators index; pass the folder"),
    ],
)
def test_malformed_yaml_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    index, _ = _set(tmp_path, "bad.yaml", text)
    assert len(index.problems) == 1 and message in index.problems[0]
    assert index.problems[0].startswith(str(tmp_path / "bad.yaml"))


def test_a_backtracking_regex_is_refused_and_named(tmp_path: Path) -> None:
    text = "- name: Evil\n  certificate_cname_re:\n  - '^(a+)+$'\n  - '^ok[0-9]{2}$'\n"
    index, sets = _set(tmp_path, "re.yaml", text)
    assert sets["re"].counts == {"app:cert.cname-pattern": 1}
    assert sets["re"].problems == (
        f"{tmp_path / 're.yaml'}: indicator Evil/certificate_cname_re/^(a+)+$: "
        "app:cert.cname-pattern regex with a quantified group that repeats inside "
        "(backtracking); skipped",
    )
    assert index.pattern_rows("ok12") and not index.pattern_rows("ok1")


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+", "(a|aa)*", "(x*y?)+z", "(a)\\1", "(?=a)a", "(?P<n>a)", "a" * 600, "(unclosed"],
)
def test_unsafe_regexes(pattern: str) -> None:
    assert unsafe_regex_reason(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    ["^Kids\\WSafety\\W[0-9]{2}-[0-9]{2}-[0-9]{2,4}$", "^(ab)c+$", "[()+]+x", "^a(b|c)d$"],
)
def test_safe_regexes(pattern: str) -> None:
    assert unsafe_regex_reason(pattern) is None


def test_mvt_index_resolves_local_files_only(corpus: Path, tmp_path: Path) -> None:
    index = _load(tmp_path, corpus / "iocs/mvt-indicators")
    names = {s.name: s for s in index.sets}
    assert set(names) == {
        "Predator Spyware Indicators of Compromise",
        "RCS Lab Spyware Indicators of Compromise",
        "WyrmSpy and DragonEgg Indicators of Compromise",
        "Cellebrite Indicators of Compromise",
    }
    assert names["RCS Lab Spyware Indicators of Compromise"].counts == {
        "app:id": 5,
        "domain-name:value": 26,
        "file:hashes.sha256": 9,
    }
    assert names["Predator Spyware Indicators of Compromise"].counts["file:path"] == 15
    (offline,) = index.problems
    assert offline.startswith(f"{corpus / 'iocs/mvt-indicators/indicators.yaml'}: 11 of 15 feeds")


def test_every_corpus_set_loads(corpus: Path, tmp_path: Path) -> None:
    index = _load(tmp_path, corpus / "iocs", bundled=True)
    assert len(index.sets) == 10
    echap = next(s for s in index.sets if s.name == "stalkerware-indicators/stalkerware")
    # The 2023 Echap bundle as its MANIFEST counts it: 590 app:id, 99 app:cert.sha1,
    # 2,910 sha256 and 1,447 domains, less 38 duplicate ids it carries.
    assert sum(echap.counts.values()) + 38 == 590 + 99 + 2910 + 1447
    assert len([p for p in echap.problems if "duplicate id (the same pattern)" in p]) == 38


# --- the bundled set ------------------------------------------------------------------------


def test_bundled_set_carries_its_attribution() -> None:
    doc = json.loads(bundled_path().read_text(encoding="utf-8"))
    assert doc["licence"] == "CC-BY-4.0"
    assert doc["source_repository"] == "https://github.com/AssoEchap/stalkerware-indicators"
    assert doc["source_commit"] == "a04c5c1958bff93fec3b1b56edbb412b209f2a38"
    assert "creativecommons.org/licenses/by/4.0" in doc["attribution"]
    notice = (bundled_path().parent / "NOTICE-echap-stalkerware.md").read_text(encoding="utf-8")
    assert "CC-BY-4.0" in notice and "AssoEchap/stalkerware-indicators" in notice


def test_bundled_set_is_what_the_script_derives(corpus: Path, tmp_path: Path) -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "tools" / "derive_bundled_iocs.py"
    spec = importlib.util.spec_from_file_location("derive_bundled_iocs", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "out.json"
    source = corpus / "iocs/stalkerware-indicators"
    assert (
        module.main(
            [str(source), "a04c5c1958bff93fec3b1b56edbb412b209f2a38", "2026-06-21", str(out)]
        )
        == 0
    )
    assert out.read_bytes() == bundled_path().read_bytes()


def test_compiled_format_reads_like_the_yaml(corpus: Path, tmp_path: Path) -> None:
    bundled = _load(tmp_path, bundled=True)
    yaml_only = _load(tmp_path, corpus / "iocs/stalkerware-indicators/ioc.yaml")
    assert set(yaml_only.maps["app"]) <= set(bundled.maps["app"])
    assert set(yaml_only.maps["cert"]) <= set(bundled.maps["cert"])


# --- the cache ------------------------------------------------------------------------------


def _cache_file(tmp_path: Path) -> Path:
    (found,) = (tmp_path / "cache").glob("iocs-index-*.json")
    return found


def test_cache_is_reused_then_rebuilt_when_a_source_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.stix2"
    path.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    first = _load(tmp_path, path, cache=True)
    cached = _cache_file(tmp_path)
    again = _load(tmp_path, path, cache=True)
    assert again.data["maps"] == first.data["maps"] and again.data is not first.data
    assert isinstance(again.data["rows"], bytes)  # came from the cache file, not a rebuild
    path.write_text(_stix("[app:id='com.two']"), encoding="utf-8")
    changed = _load(tmp_path, path, cache=True)
    assert changed.lookup("app", "com.two") and not changed.lookup("app", "com.one")
    assert cached.exists()  # the old entry stays (another combination may use it)


def test_a_missing_place_is_reported_whatever_the_cache_holds(tmp_path: Path) -> None:
    """The problems met reading the places are part of the cache key: an index cached without
    a missing --iocs path is not reused silently for a run naming it, nor the reverse."""
    path = tmp_path / "a.stix2"
    path.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    missing = tmp_path / "gone.stix2"
    assert not _load(tmp_path, path, cache=True).problems  # cached without the missing path
    named = _load(tmp_path, path, missing, cache=True)
    assert any(str(missing) in p for p in named.problems)
    assert isinstance(_load(tmp_path, path, missing, cache=True).data["rows"], bytes)  # cached
    assert not _load(tmp_path, path, cache=True).problems


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b.replace(b"com.one", b"com.two"),  # altered, digest no longer matches
        lambda b: b"garbage\n" + b,
        lambda _: b"",
        lambda b: b.split(b"\n")[0],  # the header line alone, no newline after it
        lambda b: b[: b.rfind(b"\n")],  # the last newline and the rows after it gone
    ],
)
def test_a_damaged_cache_is_rebuilt_never_trusted(tmp_path: Path, damage) -> None:  # noqa: ANN001
    path = tmp_path / "a.stix2"
    path.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    _load(tmp_path, path, cache=True)
    cached = _cache_file(tmp_path)
    cached.write_bytes(damage(cached.read_bytes()))
    index = _load(tmp_path, path, cache=True)
    assert index.lookup("app", "com.one") and not index.lookup("app", "com.two")
    assert isinstance(index.data["rows"], str)  # rebuilt


def test_a_cache_consistent_with_its_digest_but_out_of_range_cannot_crash(tmp_path: Path) -> None:
    path = tmp_path / "a.stix2"
    path.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    _load(tmp_path, path, cache=True)
    cached = _cache_file(tmp_path)
    maps = _cached_maps(cached)
    maps["app"]["com.one"] = [99, "x", -1]
    _write_cached_maps(cached, maps)
    index = _load(tmp_path, path, cache=True)
    assert isinstance(index.data["rows"], bytes) and index.lookup("app", "com.one") == []


def _cached_maps(cached: Path) -> dict[str, object]:
    """The maps of a cache file (layout: cache.load_cached's docstring)."""
    header, _, rest = cached.read_bytes().partition(b"\n")
    meta = json.loads(header)
    at, maps = meta["json_bytes"], {}
    for name, length in meta["map_bytes"]:
        maps[name] = json.loads(rest[at : at + length])
        at += length
    return maps


def _write_cached_maps(cached: Path, maps: dict[str, object]) -> None:
    """Rewrite the cache file with these maps, its CRC-32 made to match (as an attacker or a
    damaged writer could)."""
    import zlib

    header, _, rest = cached.read_bytes().partition(b"\n")
    meta = json.loads(header)
    end = meta["json_bytes"] + sum(length for _, length in meta["map_bytes"])
    blobs = [(name, json.dumps(table).encode()) for name, table in maps.items()]
    rest = rest[: meta["json_bytes"]] + b"".join(b for _, b in blobs) + rest[end:]
    meta.update(crc32=zlib.crc32(rest), map_bytes=[[name, len(b)] for name, b in blobs])
    cached.write_bytes(json.dumps(meta).encode() + b"\n" + rest)


def test_a_cached_map_is_parsed_only_when_a_match_looks_in_it(tmp_path: Path) -> None:
    """A bugreport's check looks up packages, never file hashes: the hash map's JSON stays
    unparsed; one that is not an object (its CRC-32 made to match) reads as empty."""
    path = tmp_path / "a.stix2"
    digest = "a" * 64
    path.write_text(
        _stix("[app:id='com.one']", f"[file:hashes.'SHA-256'='{digest}']"), encoding="utf-8"
    )
    _load(tmp_path, path, cache=True)
    cached = _cache_file(tmp_path)
    index = _load(tmp_path, path, cache=True)
    assert isinstance(index.data["rows"], bytes)  # from the cache
    assert index.lookup("app", "com.one") and "hash" in index.maps
    assert set(index.maps._made) == {"app"}  # type: ignore[attr-defined]
    assert index.lookup("hash", digest)
    maps = _cached_maps(cached)
    maps["hash"] = [digest]  # valid JSON, not an object
    _write_cached_maps(cached, maps)
    index = _load(tmp_path, path, cache=True)
    assert isinstance(index.data["rows"], bytes)
    assert index.lookup("hash", digest) == [] and index.lookup("app", "com.one")


def test_the_digest_memo_spares_unchanged_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged file's digest comes from the memo (not read); a write that keeps the size
    and the mtime still changes the ctime, so the file is read and hashed again."""
    import time

    from handsetguard.threats.indicators import files

    monkeypatch.setattr(files, "_RACY_NS", 0)  # the corpus files are old; these are not
    path = tmp_path / "a.stix2"
    path.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    digests = files.Digests()
    (first,), _ = read_sources(path, "option", digests)
    (again,), _ = read_sources(path, "option", digests)
    assert first.data is not None and again.data is None and again.sha256 == first.sha256
    _load(tmp_path, path, cache=True)
    before = path.stat()
    time.sleep(0.02)  # past one timestamp tick
    path.write_text(_stix("[app:id='com.two']"), encoding="utf-8")  # same length
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    index = _load(tmp_path, path, cache=True)
    assert index.lookup("app", "com.two") and not index.lookup("app", "com.one")


def test_a_damaged_digest_memo_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from handsetguard.threats.indicators import files

    monkeypatch.setattr(files, "_RACY_NS", 0)
    path = tmp_path / "a.stix2"
    path.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    _load(tmp_path, path, cache=True)
    memo = tmp_path / "cache" / "iocs-digests.json"
    doc = json.loads(memo.read_text(encoding="utf-8"))
    (entry,) = doc["files"].values()
    entry[5] = "0" * 64  # a wrong digest for an unchanged stamp: another key, a rebuild
    memo.write_text(json.dumps(doc), encoding="utf-8")
    assert _load(tmp_path, path, cache=True).lookup("app", "com.one")
    memo.write_text("{broken", encoding="utf-8")
    assert _load(tmp_path, path, cache=True).lookup("app", "com.one")


# --- iocs update ----------------------------------------------------------------------------


def test_update_installs_then_replaces_atomically(tmp_path: Path) -> None:
    places = _places(tmp_path)
    source = tmp_path / "feed"
    source.mkdir()
    (source / "one.stix2").write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    target = update_user_set(source, "feed", places)
    assert target.is_symlink() and (target / "one.stix2").is_file()
    first = target.resolve()
    (source / "one.stix2").write_text(_stix("[app:id='com.two']"), encoding="utf-8")
    update_user_set(source, "feed", places)
    assert target.resolve() != first and not first.exists()
    index = load_indicators(places=places, env={}, bundled=False)
    assert [(s.name, s.origin) for s in index.sets] == [("one", "user")]
    assert index.lookup("app", "com.two") and not index.lookup("app", "com.one")


def test_update_refuses_a_bad_set_and_keeps_the_old_copy(tmp_path: Path) -> None:
    places = _places(tmp_path)
    good = tmp_path / "good.stix2"
    good.write_text(_stix("[app:id='com.one']"), encoding="utf-8")
    target = update_user_set(good, "feed", places)
    before = target.resolve()
    bad = tmp_path / "bad.stix2"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(IndicatorError, match=r"bad\.stix2: not valid JSON"):
        update_user_set(bad, "feed", places)
    assert target.resolve() == before
    assert sorted(p.name for p in places.user_sets.iterdir()) == [before.name, "feed"]


def test_environment_paths_are_loaded(tmp_path: Path) -> None:
    a, b = tmp_path / "a.stix2", tmp_path / "b.stix2"
    a.write_text(_stix("[app:id='com.a']"), encoding="utf-8")
    b.write_text(_stix("[app:id='com.b']"), encoding="utf-8")
    env = {"HANDSETGUARD_IOCS": f"{a}{os.pathsep}{b}"}
    index = load_indicators(places=_places(tmp_path, False), env=env, bundled=False)
    assert index.lookup("app", "com.a") and index.lookup("app", "com.b")


def test_missing_path_is_a_problem_not_an_error(tmp_path: Path) -> None:
    index = _load(tmp_path, tmp_path / "nope")
    assert index.problems == [f"{tmp_path / 'nope'}: no such indicator file or folder"]


# --- hash code of a certificate ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "1"),  # Arrays.hashCode(new byte[0]) == 1
        (b"\x01\x02", "3e2"),  # 31 * (31 * 1 + 1) + 2 = 994
        (b"\xff", "1e"),  # the byte is signed: 31 * 1 - 1 = 30
        # 31^8 - 128 * (31^7 + ... + 1) mod 2^32: wraps around 32 bits, printed unsigned
        (b"\x80" * 8, "4edc2f01"),
    ],
)
def test_java_hashcode(data: bytes, expected: str) -> None:
    assert java_hashcode(data) == expected


def test_read_sources_skips_hidden_and_unknown_files(tmp_path: Path) -> None:
    (tmp_path / ".hidden.stix2").write_text("{", encoding="utf-8")
    (tmp_path / "samples.csv").write_text("x", encoding="utf-8")
    (tmp_path / "a.stix2").write_text(_stix("[app:id='com.a']"), encoding="utf-8")
    files, problems = read_sources(tmp_path, "option")
    assert [f.path.name for f in files] == ["a.stix2"] and problems == []
    source = SourceFile(tmp_path / "x.txt", "x", "option", b"hello", "0" * 64, 0.0)
    with pytest.raises(IndicatorError, match=r"x\.txt: not an indicator file"):
        parse_source(source)


def test_public_names_are_pinned() -> None:
    import handsetguard.threats.indicators as indicators

    assert sorted(indicators.__all__) == sorted(
        [
            "BUNDLED_NAME",
            "COMPILED_FORMAT",
            "ENV_VAR",
            "MAX_INDICATOR_FILE_BYTES",
            "Indicator",
            "IndicatorError",
            "IndicatorIndex",
            "IndicatorSet",
            "Places",
            "SetProblem",
            "SetSummary",
            "build_index",
            "bundled_path",
            "java_hashcode",
            "load_indicators",
            "update_user_set",
        ]
    )
    assert all(hasattr(indicators, name) for name in indicators.__all__)


def test_a_relative_home_gives_no_user_folder_and_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HOME relative (and no absolute XDG folder) the user's sets and the cache are not
    looked for under the working directory, which may be an input's: no user sets, no cache,
    and installing a set says what to set."""
    monkeypatch.chdir(tmp_path)
    planted = tmp_path / "home" / ".local" / "share" / "handsetguard" / "iocs" / "planted"
    planted.mkdir(parents=True)
    (planted / "one.stix2").write_text(_stix("[app:id='com.planted']"), encoding="utf-8")
    env = {"HOME": "home", "XDG_DATA_HOME": "rel/data", "XDG_CACHE_HOME": "rel/cache"}
    places = Places.default(env)
    assert places.data is None and places.cache is None
    index = load_indicators(places=places, env={}, bundled=False)
    assert not index.lookup("app", "com.planted")
    with pytest.raises(IndicatorError, match="HOME or XDG_DATA_HOME"):
        update_user_set(planted / "one.stix2", "feed", places)
    absolute = Places.default({"HOME": str(tmp_path / "home")})
    assert absolute.user_sets == planted.parent
    assert absolute.cache == tmp_path / "home" / ".cache" / "handsetguard"
