"""The streamed dumpstate index (sources/stream.py) against the whole-text one
(dumpstate.index_dumpstate, completeness.find_truncation): the same sections, in the same
order, with the same provenance and the same bytes (sha256), the same cap stop and the same
truncation verdict — on every corpus bugreport, on cuts of a real one, and on the layouts'
edge cases at chunk sizes from one byte up. And the kept set covers what state.py reads."""

from __future__ import annotations

import ast
import hashlib
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import handsetguard.state
import handsetguard.state_builder
import handsetguard.state_system
from handsetguard.evidence import Evidence, Provenance, SourceKind
from handsetguard.sources.bugreport import add_dumpstate, find_main_entry
from handsetguard.sources.completeness import find_truncation
from handsetguard.sources.dumpstate import MAX_MARKER_LINES, dumpstate_time, index_dumpstate
from handsetguard.sources.stream import blob_chunks, index_stream, link_lines
from handsetguard.sources.wanted import (
    LINK_ONLY_SECTIONS,
    STATE_SECTION_PREFIXES,
    STATE_SECTIONS,
    read_by_state,
)
from handsetguard.textcodec import normalise_bytes
from tests.conftest import CORPUS, PIXEL1_BUGREPORT, corpus_path
from tests.sources.test_sources import MINI_DUMP

# Every bugreport of the corpus: the five zips (Android 7.1 Meizu MX6, 8.1 Pixel 1 retail,
# AOSP 10 Pixel 1, 9 emulator, 14 ATV emulator) and the Android 2.3 Nexus One text.
CORPUS_BUGREPORTS = sorted(
    p.relative_to(CORPUS).as_posix()
    for folder in (CORPUS / "device").glob("*bugreport*")
    for p in folder.iterdir()
    if p.suffix in (".zip", ".txt")
)

Record = tuple[str, Provenance, int, str]


def _main_text(relative: str) -> bytes:
    path = corpus_path(relative)
    if path.suffix == ".txt":
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        info = find_main_entry(archive, relative)
        assert info is not None
        return archive.read(info)


def _sha(data: bytes | bytearray | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def _whole_text(data: bytes, file: str) -> tuple[list[Record], Provenance | None]:
    """Every section the whole-text index yields: name, provenance, size, sha256 of bytes."""
    text = normalise_bytes(data)
    index = index_dumpstate(text, file)
    view = memoryview(text)
    found = [(s.name, s.provenance, s.size, _sha(view[s.start : s.start + s.size])) for s in index]
    return found, index.stopped


def _assert_same(data: bytes, file: str, chunk: int) -> None:
    expected, stopped = _whole_text(data, file)
    # Everything kept: the streamed sections are byte for byte the whole-text ones.
    everything = index_stream(
        blob_chunks(normalise_bytes(data), chunk), file, lambda _: True, links_only=()
    )
    streamed = [(s.name, s.provenance, s.size, _sha(s.data)) for s in everything.sections]
    assert streamed == expected
    assert everything.stopped == stopped
    assert everything.truncation == find_truncation(normalise_bytes(data), file)
    assert dumpstate_time(everything.head) == dumpstate_time(normalise_bytes(data))
    # As bugreports are read: only what state.py reads is kept, the rest listed by size.
    wanted = index_stream(blob_chunks(normalise_bytes(data), chunk), file)
    # Link-only sections keep their lines that hold '://' (the others emptied).
    whole = {(s.name, s.provenance): bytes(s.data) for s in everything.sections}

    def as_kept(record: Record) -> Record:
        if record[0] not in LINK_ONLY_SECTIONS:
            return record
        kept = link_lines(whole[record[0], record[1]])
        return (record[0], record[1], len(kept), _sha(kept))

    assert [(s.name, s.provenance, s.size, _sha(s.data)) for s in wanted.sections] == [
        as_kept(r) for r in expected if read_by_state(r[0])
    ]
    assert wanted.unread == [r[:3] for r in expected if not read_by_state(r[0])]
    assert wanted.truncation == everything.truncation


@pytest.mark.parametrize("relative", CORPUS_BUGREPORTS)
def test_corpus_bugreport_streams_to_the_whole_text_index(relative: str) -> None:
    data = _main_text(relative)
    _assert_same(data, "main.txt", 256 * 1024)


def test_corpus_list_is_complete() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not available at {CORPUS}")
    assert len(CORPUS_BUGREPORTS) == 6, CORPUS_BUGREPORTS


@pytest.mark.parametrize("chunk", [4093, 65536])
def test_atv_android14_streams_the_same_in_small_chunks(chunk: int) -> None:
    """Android 14 ATV emulator: 25 MB, markers straddling thousands of chunk boundaries."""
    relative = next((r for r in CORPUS_BUGREPORTS if "atv64" in r), None)
    if relative is None:
        pytest.skip("ATV bugreport not in the corpus")
    _assert_same(_main_text(relative), "atv.txt", chunk)


def _cuts() -> list[int]:
    rng = random.Random(20260301)
    return sorted(rng.randrange(1, 18_000_000) for _ in range(10))


@pytest.mark.parametrize("cut", _cuts())
def test_cut_pixel1_aosp10_bugreport_is_judged_the_same(cut: int) -> None:
    """Pixel 1 AOSP 10 (18 MB) cut at seeded offsets, mid-line and mid-section: the same
    sections (the open one to the cut) and the same truncation entry, file and line."""
    data = _main_text(PIXEL1_BUGREPORT)[:cut]
    _assert_same(data, "cut.txt", 256 * 1024)
    assert find_truncation(data, "cut.txt") is not None


DASH = "-" * 79
EDGE_CASES: dict[str, bytes] = {
    "mini": MINI_DUMP.encode(),
    "mini-crlf": MINI_DUMP.replace("\n", "\r\n").encode(),
    "mini-utf16": MINI_DUMP.encode("utf-16"),
    "mini-utf8-bom": MINI_DUMP.encode("utf-8-sig"),
    "mini-no-final-newline": MINI_DUMP.rstrip("\n").encode(),
    "mini-cut-in-service": MINI_DUMP[: MINI_DUMP.index("Current AppOps")].encode(),
    "mini-cut-in-marker": MINI_DUMP[: MINI_DUMP.index("DUMP OF SERVICE appops") + 9].encode(),
    "mini-trailing-blanks": (MINI_DUMP + " \n\t\r\n\n   ").encode(),
    # Cut after both services closed: two services, each followed by its duration line.
    "mini-cut-after-services": MINI_DUMP[: MINI_DUMP.index("------ 0.1s")].encode(),
    "first-line-marker": b"DUMP OF SERVICE adb:\nADB MANAGER STATE\n",
    "first-line-title": b"------ SYSTEM PROPERTIES (getprop) ------\n[a]: [b]\n",
    "no-marker": b"just some text\nand more\n",
    "empty": b"",
    "only-newlines": b"\n\n\n",
    # Android <= 6: no dumpsys duration lines, so the 79 dashes end a service.
    "legacy-dashes": (
        f"== dumpstate: 2012-01-01 00:00:00\n------ DUMPSYS (dumpsys) ------\n"
        f"DUMP OF SERVICE window:\nalpha\n{DASH}\nmore window\nDUMP OF SERVICE adb:\nbeta\n"
        f"{DASH}\n------ NEXT (x) ------\nend\n"
    ).encode(),
    # Android 7+: the duration line comes after the window's own dash lines.
    "window-dashes": (
        f"------ DUMPSYS (dumpsys) ------\nDUMP OF SERVICE window:\nalpha\n{DASH}\nbeta\n"
        "--------- 0.1s was the duration of dumpsys window, ending at: x\n"
        "------ 0.1s was the duration of 'DUMPSYS' ------\n"
    ).encode(),
    # A CRITICAL and a normal dump of one service: the evidence keeps the larger.
    "critical-and-normal": (
        b"------ DUMPSYS CRITICAL (dumpsys) ------\nDUMP OF SERVICE CRITICAL window:\nsmall\n"
        b"--------- 0.1s was the duration of dumpsys window, ending at: x\n"
        b"------ DUMPSYS (dumpsys) ------\nDUMP OF SERVICE window:\nlarger one\nline 2\n"
        b"--------- 0.1s was the duration of dumpsys window, ending at: x\n"
        b"------ 0.1s was the duration of 'DUMPSYS' ------\n"
    ),
    "long-lines": (
        b"------ SYSTEM PROPERTIES (getprop) ------\n"
        + b"x" * 300_000
        + b"\n------ "
        + b"t" * 2000
        + b" ------\n"
        + b"--------- 1s was the duration of dumpsys "
        + b"y" * 300_000
        + b"\nDUMP OF SERVICE adb:\n"
        + b"z" * 300_000
    ),
    "service-at-end": b"------ DUMPSYS (dumpsys) ------\nDUMP OF SERVICE \n",
    # A last line that only starts a service marker: the service open before it is the cut one.
    "service-prefix-at-end": (
        b"DUMP OF SERVICE adb:\nx\n--------- 0.1s was the duration of dumpsys adb, ending at: x\n"
        b"DUMP OF SERVICE window:\nbody\nDUMP OF SERVICE  \t\r\n"
    ),
}


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096, 1 << 20])
@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_streams_to_the_whole_text_index(name: str, chunk: int) -> None:
    data = EDGE_CASES[name]
    if chunk == 1 and len(data) > 10_000:
        chunk = 997  # one-byte chunks of 900 KB would take minutes
    _assert_same(data, f"{name}.txt", chunk)


def test_marker_cap_stops_at_the_same_line() -> None:
    """More than MAX_MARKER_LINES markers: both indexes stop at the same line, and the
    sections open there are yielded by neither."""
    data = b"".join(b"------ S%d ------\nbody\n" % i for i in range(MAX_MARKER_LINES + 20))
    for chunk in (4096, 1 << 20):
        _assert_same(data, "cap.txt", chunk)
    streamed = index_stream(blob_chunks(data), "cap.txt")
    assert streamed.stopped == Provenance("cap.txt", 2 * MAX_MARKER_LINES + 1)


def _evidence(data: bytes, file: str) -> Evidence:
    evidence = Evidence(SourceKind.DUMPSTATE_TXT, file)
    add_dumpstate(evidence, data, file)
    return evidence


def test_duplicate_service_keeps_the_larger_dump() -> None:
    evidence = _evidence(EDGE_CASES["critical-and-normal"], "d.txt")
    window = evidence.sections["dumpsys:window"]
    assert (window.text, window.provenance) == ("larger one\nline 2\n", Provenance("d.txt", 7))


def test_streamed_section_text_and_size_after_decoding() -> None:
    """A streamed section owns its bytes and lets them go once decoded; size, data and text
    still answer as before."""
    evidence = _evidence(MINI_DUMP.replace("\n", "\r\n").encode(), "m.txt")
    getprop = evidence.sections["getprop"]
    raw = b"[ro.build.type]: [user]\r\n[persist.sys.timezone]: [Asia/Kolkata]\r\n"
    assert (getprop.size, bytes(getprop.data)) == (len(raw), raw)
    assert getprop.text == raw.decode().replace("\r\n", "\n")
    assert getprop.size == len(raw)  # the size read, not of the decoded text
    assert bytes(getprop.data) == raw.replace(b"\r\n", b"\n")


# ------------------------------------------------------------------ what state.py reads


def _names_state_reads() -> set[str]:
    """Section names in state.py: ``….get("name")`` on the evidence, strings passed to any
    call that is also given the evidence (``_quiet(evidence, "name", …)``), the tuples given
    to ``facet``/``missing``, and module-level ``*_SECTIONS`` tuples."""
    found: set[str] = set()
    for module in STATE_MODULES:
        found |= _names_module_reads(module)
    return found


# state.py and the helper modules that read sections for it.
STATE_MODULES = (handsetguard.state, handsetguard.state_system, handsetguard.state_builder)


def _names_module_reads(module: ModuleType) -> set[str]:
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text())
    found: set[str] = set()

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Tuple):
            return [s for element in node.elts for s in strings(element)]
        return []

    def is_evidence(node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id == "evidence") or (
            isinstance(node, ast.Attribute) and node.attr == "evidence"
        )

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            method = func.attr if isinstance(func, ast.Attribute) else None
            if isinstance(func, ast.Attribute) and method == "get" and is_evidence(func.value):
                found.update(strings(node.args[0]))
            elif method in ("facet", "missing"):
                found.update(strings(node.args[0]))
            elif any(is_evidence(arg) for arg in node.args):
                found.update(s for arg in node.args for s in strings(arg))
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.endswith("_SECTIONS") for t in node.targets
        ):
            found.update(strings(node.value))
    looped, unresolved = _names_from_loops(module, tree, is_evidence)
    assert unresolved == [], (
        "state.py reads sections whose names this scan cannot resolve; add them to "
        f"sources/wanted.py STATE_SECTIONS and teach the scan: {unresolved}"
    )
    return found | looped


def _names_from_loops(
    module: ModuleType, tree: ast.Module, is_evidence: Callable[[ast.AST], bool]
) -> tuple[set[str], list[str]]:
    """``evidence.get(name)`` with ``name`` a variable: a loop over a constant of state.py's
    namespace (``for name in MENTION_SECTIONS``) is resolved by iterating the constant; a
    function parameter, or a loop over one, is left to the call-site scan (``facet``, calls
    given the evidence); anything else is returned as unresolved source text."""
    found: set[str] = set()
    unresolved: list[str] = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef):
            continue
        params = {a.arg for a in (*func.args.args, *func.args.kwonlyargs)}
        loops = {
            node.target.id: node.iter
            for node in ast.walk(func)
            if isinstance(node, ast.For) and isinstance(node.target, ast.Name)
        }
        for node in ast.walk(func):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and is_evidence(node.func.value)
                and node.args
                and isinstance(node.args[0], ast.Name)
            ):
                continue
            var = node.args[0].id
            source = loops.get(var)
            if source is None or (isinstance(source, ast.Name) and source.id in params):
                if var not in params and source is None:
                    unresolved.append(ast.unparse(node))
                continue
            value = getattr(module, source.id, None) if isinstance(source, ast.Name) else None
            if value is None:
                unresolved.append(f"{ast.unparse(node)} in a loop over {ast.unparse(source)}")
                continue
            found.update(name for name in value if isinstance(name, str))
    return found, unresolved


def test_kept_sections_cover_every_section_state_reads() -> None:
    names = _names_state_reads()
    # The scan itself must work: these are read today.
    assert {"getprop", "header", "dumpsys:package", "kernel_log", "app_providers"} <= names
    assert len(names) >= 20, sorted(names)
    assert {n for n in names if not read_by_state(n)} == set()
    # settings:<namespace>[:<user>] is read by prefix (state._settings_sections).
    assert "settings:global" in names and STATE_SECTION_PREFIXES == ("settings:",)


def test_every_kept_dumpstate_section_is_read_by_state() -> None:
    """No dumpstate section is kept that state.py does not read (it would cost memory)."""
    from_dumpstate = {n for n in STATE_SECTIONS if n == "header" or not n.startswith("androidqf")}
    assert from_dumpstate - _names_state_reads() == set()
