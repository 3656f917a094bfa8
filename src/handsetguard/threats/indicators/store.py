"""Where indicator sets live and how they are loaded: the bundled set (in the package), the
user's sets (``$XDG_DATA_HOME/handsetguard/iocs``), ``--iocs`` paths and ``HANDSETGUARD_IOCS``;
the compiled index cached by the sha256 of every file read and the code version."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from handsetguard import __version__
from handsetguard.records import record
from handsetguard.threats.indicators.cache import (
    load_cached,
    load_digests,
    store_cached,
    store_digests,
)
from handsetguard.threats.indicators.files import (
    Digests,
    SourceFile,
    parse_source,
    read_sources,
    source_bytes,
)
from handsetguard.threats.indicators.index import INDEX_FORMAT, IndicatorIndex, build_index
from handsetguard.threats.indicators.model import IndicatorError, IndicatorSet
from handsetguard.userdirs import user_folder

__all__ = [
    "BUNDLED_NAME",
    "ENV_VAR",
    "Places",
    "bundled_path",
    "load_indicators",
    "update_user_set",
]

ENV_VAR = "HANDSETGUARD_IOCS"
BUNDLED_NAME = "echap-stalkerware"


def bundled_path() -> Path:
    """The compiled Echap stalkerware set shipped in the package (CC-BY-4.0, see its NOTICE)."""
    return Path(__file__).resolve().parents[2] / "data" / "echap-stalkerware.json"


def _xdg(variable: str, fallback: str, env: Mapping[str, str]) -> Path | None:
    """:func:`userdirs.user_folder` as a Path."""
    folder = user_folder(variable, fallback, env)
    return None if folder is None else Path(folder)


@record
class Places:
    """The folders used; tests and ``--no-cache`` style callers pass their own."""

    data: Path | None  # user sets under data/iocs/<name>; None: no user sets
    cache: Path | None  # None: no disk cache

    @classmethod
    def default(cls, env: Mapping[str, str] | None = None) -> Places:
        env = os.environ if env is None else env
        return cls(
            _xdg("XDG_DATA_HOME", ".local/share", env), _xdg("XDG_CACHE_HOME", ".cache", env)
        )

    @property
    def user_sets(self) -> Path | None:
        return None if self.data is None else self.data / "iocs"


def _env_paths(env: Mapping[str, str]) -> list[Path]:
    return [Path(p) for p in env.get(ENV_VAR, "").split(os.pathsep) if p.strip()]


def _user_folders(places: Places) -> list[Path]:
    if places.user_sets is None:
        return []
    try:
        names = sorted(p for p in places.user_sets.iterdir() if not p.name.startswith("."))
    except OSError:
        return []
    return [p for p in names if p.is_dir()]


@record
class _Group:
    name: str
    origin: str  # "bundled", "user", "option"
    files: list[SourceFile]


def _gather(
    paths: Sequence[Path],
    places: Places,
    env: Mapping[str, str],
    bundled: bool,
    digests: Digests | None = None,
) -> tuple[list[_Group], list[str]]:
    """The files of each place, in load order, and the problems reading them."""
    wanted: list[tuple[str, str, Path]] = []
    if bundled:
        wanted.append((BUNDLED_NAME, "bundled", bundled_path()))
    wanted.extend((folder.name, "user", folder) for folder in _user_folders(places))
    wanted.extend((str(p), "option", p) for p in [*paths, *_env_paths(env)])
    groups: list[_Group] = []
    problems: list[str] = []
    for name, origin, path in wanted:
        files, why = read_sources(path, origin, digests)
        groups.append(_Group(name, origin, files))
        problems.extend(why)
    return groups, problems


def _cache_key(groups: Sequence[_Group], problems: Sequence[str]) -> str:
    """What an index is built from, spelled out: the code version and index format, each file
    read (group, origin, names, path) with its sha256, and the problems met reading them (a
    cached index says them again: an --iocs path that is missing is warned about every time).
    The cache file stores it and a load compares it whole (no digest of it: hashlib would load
    OpenSSL on every check)."""
    parts = [f"handsetguard {__version__} index {INDEX_FORMAT}\n"]
    parts.extend(
        f"{group.name}\0{f.origin}\0{f.name}\0{f.index_name}\0{f.path}\0{f.sha256}\n"
        for group in groups
        for f in group.files
    )
    parts.extend(f"problem\0{problem}\n" for problem in problems)
    return "".join(parts)


def _parse(groups: Sequence[_Group]) -> tuple[list[IndicatorSet], list[str]]:
    """Every group's sets; a user copy of the bundled set (``iocs update``) replaces it only
    when all of it reads: a broken copy is reported and the bundled set used."""
    parsed: list[tuple[_Group, list[IndicatorSet], list[str]]] = []
    for group in groups:
        sets, errors = [], []
        for source in group.files:
            try:
                sets.append(parse_source(source))
            except IndicatorError as exc:
                errors.append(exc.message)
        parsed.append((group, sets, errors))
    copy = next((p for p in parsed if p[0].origin == "user" and p[0].name == BUNDLED_NAME), None)
    use_copy = copy is not None and bool(copy[1]) and not copy[2]
    problems: list[str] = []
    if copy is not None and not use_copy:
        problems.append(
            f"the user's copy of {BUNDLED_NAME} could not be read; the bundled set is used"
        )
    out: list[IndicatorSet] = []
    for group, sets, errors in parsed:
        problems.extend(errors)
        if (group.origin == "bundled" and use_copy) or (
            copy is not None and group is copy[0] and not use_copy
        ):
            continue
        out.extend(sets)
    return out, problems


def load_indicators(
    paths: Sequence[Path] = (),
    *,
    places: Places | None = None,
    env: Mapping[str, str] | None = None,
    bundled: bool = True,
) -> IndicatorIndex:
    """The index of the bundled set, the user's sets, ``paths`` and ``$HANDSETGUARD_IOCS``.

    Never raises for a bad set: its one-line problems are in ``index.problems`` (and the other
    sets still load). The compiled index is reused from the cache when every file read hashes
    the same and the code version is unchanged; a cache entry that does not check out is
    rebuilt and rewritten."""
    places = places or Places.default(env)
    env = os.environ if env is None else env
    digests = load_digests(places.cache) if places.cache is not None else None
    groups, problems = _gather(paths, places, env, bundled, digests)
    key = _cache_key(groups, problems)
    if places.cache is not None and digests is not None:
        store_digests(places.cache, digests)
        cached = load_cached(places.cache, key)
        if cached is not None:
            return cached
    sets, parse_problems = _parse(groups)
    index = build_index(sets, [*problems, *parse_problems])
    if places.cache is not None:
        store_cached(places.cache, key, index)
    return index


def update_user_set(source: Path, name: str | None, places: Places | None = None) -> Path:
    """Replace the user's copy of a set with the indicator files of ``source`` (a local file
    or folder; nothing is downloaded). The copy is checked first (every file must parse), then
    swapped in with one rename of a symbolic link, so a reader sees the old set or the new one,
    never half of either. Returns the set's folder."""
    places = places or Places.default()
    name = name or (source.stem if source.is_file() else source.resolve().name)
    if not name or name.startswith(".") or "/" in name or os.sep in name:
        raise IndicatorError(f"{name!r}: not a usable set name")
    files, problems = read_sources(source, "option")
    if problems:
        raise IndicatorError(problems[0])
    if not files:
        raise IndicatorError(f"{source}: holds no indicator file (.stix2, .json, .yaml)")
    for f in files:
        parse_source(f)  # raises IndicatorError naming the file
    import shutil  # only here and in _swap: every check and apk run loads this module
    import tempfile

    folder = places.user_sets
    if folder is None:
        raise IndicatorError(
            "no folder for indicator sets: set HOME or XDG_DATA_HOME to an absolute path"
        )
    folder.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=folder))
    try:
        for f in files:
            rel = Path(f.path.name) if source.is_file() else f.path.relative_to(source)
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged / rel).write_bytes(source_bytes(f))
        _swap(folder / name, staged)
    except OSError as exc:
        shutil.rmtree(staged, ignore_errors=True)
        raise IndicatorError(f"{folder / name}: cannot install the set ({exc})") from exc
    return folder / name


def _swap(link: Path, target: Path) -> None:
    """Point ``link`` at ``target`` atomically; remove what it pointed at before."""
    import shutil

    old = link.resolve() if link.is_symlink() else None
    if link.exists() and not link.is_symlink():
        raise OSError(f"{link} is not a set installed by `iocs update`")
    tmp = link.with_name(f".{link.name}.link")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.name)
    os.replace(tmp, link)
    if old is not None and old != target and old.parent == link.parent:
        shutil.rmtree(old, ignore_errors=True)
