"""Match a compiled index against one phone: every package, APK hash and signing certificate,
process name, accessibility / notification-listener / device-admin component, app-ops package,
system property, mount, root-binary path, listed file and link (URL, host and its parent
domains) is one or a few hash probes. The hits
become one INDICATOR threat per package (or per family for device-wide traces)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping

from handsetguard.checks.model import EvidenceItem
from handsetguard.device import Unavailable
from handsetguard.evidence import Provenance
from handsetguard.lazyre import lazy_compile
from handsetguard.parsers.links import normalise_url
from handsetguard.records import record
from handsetguard.threats.indicators.index import path_head
from handsetguard.threats.indicators.summary import threats_from_hits

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)

if TYPE_CHECKING:
    from handsetguard.device import DeviceState
    from handsetguard.parsers.getprop import Properties
    from handsetguard.parsers.packages import Package, PackageDump
    from handsetguard.threats.indicators.index import IndicatorIndex
    from handsetguard.threats.model import Threat

__all__ = ["match_state"]
_SUBJECT_FIELD = lazy_compile(r"(?:^|,\s*)(O|CN)=([^,]*)")


@record
class _Hit:
    row: int
    package: str | None
    seen: str  # the value seen on the phone
    certain: bool
    evidence: EvidenceItem


class _Collector:
    def __init__(self, index: IndicatorIndex) -> None:
        self.index = index
        self.hits: list[_Hit] = []

    def probe(
        self,
        map_name: str,
        key: str,
        package: str | None,
        fact: str,
        where: Provenance | None,
        certain: bool = True,
        seen: str | None = None,
    ) -> None:
        for row in self.index.lookup(map_name, key):
            self.hits.append(_Hit(row, package, seen or key, certain, EvidenceItem(fact, where)))

    def path(self, path: str, package: str | None, fact: str, where: Provenance | None) -> None:
        """MVT's rule: an indicator path matches every path it is a string prefix of (a
        trailing '/' aside); a prefix ending inside a name is only PROBABLE."""
        index = self.index
        heads = index.path_lengths
        for n in (*heads.get(path_head(path), ()), *heads.get("", ())):
            if n > len(path):
                continue
            for row in index.lookup("path", path[:n]):
                certain = n == len(path) or path[n] == "/" or path[n - 1] == "/"
                self.hits.append(_Hit(row, package, path, certain, EvidenceItem(fact, where)))
        self.probe("fname", os.path.basename(path), package, fact, where)


def _packages(c: _Collector, dump: PackageDump, origin: Provenance) -> None:
    for package in dump:
        where = origin.at(package.line)
        name = package.name
        if c.index.lookup("app", name.lower()):  # the fact is written only for a hit
            c.probe("app", name.lower(), name, f"package {name}", where, seen=name)
        if package.signatures:
            for code in package.signatures:
                fact = f"{package.name} signing certificate hash code {code}"
                c.probe("hashcode", code.lower(), package.name, fact, where, certain=False)
        _package_files(c, package, where)


def _package_files(c: _Collector, package: Package, where: Provenance) -> None:
    for apk in package.files:
        name = package.name
        for algo in ("sha256", "sha1", "md5"):
            digest = getattr(apk, algo)
            if digest:
                c.probe("hash", digest.lower(), name, f"{apk.path} {algo} {digest}", where)
            cert = getattr(apk, f"certificate_{algo}")
            if cert:
                fact = f"{name} signing certificate {algo} {cert}"
                c.probe("cert", cert.lower().replace(":", ""), name, fact, where)
        if apk.certificate_subject:
            _subject(c, name, apk.certificate_subject, where)


def _collected_apks(c: _Collector, state: DeviceState, listed: Mapping[str, bool]) -> None:
    """The APK files of the collection: each file's SHA-256 and the certificates its own
    signature carries. A certificate match is certain when that signature verifies, only
    probable when it does not (a certificate can be copied into any file)."""
    if isinstance(state.apks, Unavailable):
        return
    for apk in state.apks.value:
        where = Provenance(apk.file)
        name = apk.package
        if name and name not in listed:  # its manifest names a package the phone did not list
            c.probe("app", name.lower(), name, f"package {name} of {apk.file}", where, seen=name)
        c.probe("hash", apk.sha256, name, f"{apk.file} sha256 {apk.sha256}", where)
        verdict = "verified" if apk.verified else f"its signature does NOT verify: {apk.problem}"
        for cert in apk.certificates:
            for algo in ("sha256", "sha1", "md5"):
                digest = getattr(cert, algo)
                fact = f"{apk.file} signing certificate {algo} {digest} ({verdict})"
                c.probe("cert", digest, name, fact, where, certain=apk.verified)
            if cert.subject:
                _subject(c, name, cert.subject, where, apk.file)


def _subject(
    c: _Collector, package: str | None, subject: str, where: Provenance, label: str = ""
) -> None:
    fact = f"{label or package} signing certificate subject {subject[:200]}"
    for field, value in _SUBJECT_FIELD.findall(subject[:1024]):
        if field == "O":
            c.probe("org", value.strip().casefold(), package, fact, where, certain=False)
        else:
            for row in c.index.pattern_rows(value.strip()):
                c.hits.append(_Hit(row, package, value.strip(), False, EvidenceItem(fact, where)))


def _process_name(raw: str) -> str:
    name = raw.strip()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]  # a kernel thread
    command = name.split(" ", 1)[0]
    return command[command.rfind("/") + 1 :] or name  # its basename (posixpath's own rule)


def _processes(
    c: _Collector, names: Iterable[str], origin: Provenance, what: str = "process"
) -> None:
    apps, procs, cuts = (c.index.table(kind) for kind in ("app", "proc", "proc_cut"))
    for raw in names:
        name = _process_name(raw)
        if not name:
            continue
        app = name.split(":", 1)[0]
        cut = len(name) in (15, 16)
        if not (app.lower() in apps or name in procs or (cut and name in cuts)):
            continue  # no indicator names it (nearly every process): no fact to write
        fact = f"{what} {raw.strip()[:200]}"
        c.probe("app", app.lower(), app, fact, origin, seen=app)
        c.probe("proc", name, None, fact, origin)
        if cut:
            c.probe("proc_cut", name, None, fact + " (a truncated name)", origin, certain=False)


def _components(state: DeviceState) -> Iterator[tuple[str, str, Provenance]]:
    """(package, what, where) of every accessibility service, notification listener, device
    admin or owner and app-ops entry."""
    access = state.accessibility
    if not isinstance(access, Unavailable):
        for user in access.value.users:
            lists = (user.enabled_services, user.bound_services, user.installed_services)
            for component in sorted({c for group in lists for c in group}):
                where = access.origin.at(user.line)
                yield component.split("/", 1)[0], f"accessibility service {component}", where
    listeners = state.notification_listeners
    if not isinstance(listeners, Unavailable):
        value = listeners.value
        groups = (value.allowed or (), value.enabled or (), value.live, value.snoozed)
        for entry in dict.fromkeys(e for group in groups for e in group):
            where = listeners.origin.at(entry.line)
            yield entry.package, f"notification listener {entry.component}", where
    yield from _admins(state)
    appops = state.appops
    if not isinstance(appops, Unavailable):
        first: dict[str, int] = {}
        for op in appops.value.entries:
            first.setdefault(op.package, op.line)
        for package, line in first.items():
            yield package, f"app ops of {package}", appops.origin.at(line)


def _admins(state: DeviceState) -> Iterator[tuple[str, str, Provenance]]:
    policy = state.device_policy
    if isinstance(policy, Unavailable):
        return
    value = policy.value
    for admin in value.admins:
        yield admin.package, f"device admin {admin.component}", policy.origin.at(admin.line)
    for owner in (value.device_owner, *value.profile_owners):
        if owner is not None and owner.package:
            what = f"device or profile owner {owner.component or owner.package}"
            yield owner.package, what, policy.origin.at(owner.line)


def _properties(c: _Collector, props: Properties, origin: Provenance) -> None:
    for name, value in props.items():
        if c.index.lookup("prop", name.lower()):  # the fact is written only for a hit
            c.probe("prop", name.lower(), None, f"property {name}", origin.at(value.line))


def _device_wide(c: _Collector, state: DeviceState) -> None:
    props = state.properties
    if not isinstance(props, Unavailable):
        _properties(c, props.value, props.origin)
    mounts = state.mounts
    if not isinstance(mounts, Unavailable):
        for mount in mounts.value.mounts:
            where = mounts.origin.at(mount.line)
            c.path(mount.mount_point, None, f"mount point {mount.mount_point}", where)
            if mount.device.startswith("/"):
                c.path(mount.device, None, f"mounted device {mount.device}", where)
    roots = state.root_binaries
    if not isinstance(roots, Unavailable):
        for path in roots.value:
            c.path(path, None, f"root binary {path}", roots.origin)
    files = state.files
    if not isinstance(files, Unavailable):
        for entry in files.value.files:
            fact = f"file {entry.path}"
            c.path(entry.path, None, fact, files.origin)
            for algo in ("sha256", "sha1", "md5"):
                digest = getattr(entry, algo)
                if digest:
                    c.probe("hash", digest, None, f"{fact} {algo} {digest}", files.origin)


def _links(c: _Collector, state: DeviceState) -> None:
    """A link matches a ``url`` indicator by its normalised URL and a ``domain`` (or IPv4)
    indicator by its host — exactly (certain) or as a parent domain of it (probable: MVT also
    alerts on the registered domain of a link's host)."""
    for _section, located in state.links:
        for link in located.value.links:
            where = located.origin.at(link.line)
            fact = f"{link.context}: {link.url[:300]}"
            if "://" in link.url:
                c.probe("url", normalise_url(link.url), None, fact, where, seen=link.url)
            host = link.host
            if host is None:
                continue
            c.probe("domain", host, None, fact, where, seen=host)
            labels = host.split(".")
            if not host[-1].isdigit():
                for n in range(1, len(labels) - 1):
                    parent = ".".join(labels[n:])
                    c.probe("domain", parent, None, f"{fact} (under {parent})", where, False, host)


def match_state(index: IndicatorIndex, state: DeviceState) -> list[Threat]:
    """Every indicator of ``index`` seen on ``state``, as INDICATOR threats."""
    c = _Collector(index)
    installed: dict[str, bool] = {}
    # dumpsys package (or packages.json alone), then packages.json beside dumpsys: its digests,
    # and the packages it lists that the dump does not.
    listed = (state.packages, state.package_files)
    for n, facet in enumerate(listed):
        if isinstance(facet, Unavailable) or (n and facet is listed[0]):
            continue
        _packages(c, facet.value, facet.origin)
        for package in facet.value:
            users = [u.installed for u in package.users if u.installed is not None]
            installed[package.name] = installed.get(package.name, False) or not users or any(users)
    _collected_apks(c, state, installed)
    procs = state.processes
    if not isinstance(procs, Unavailable):
        _processes(c, procs.value, procs.origin)
    for process, where in state.crashed_processes:
        _processes(c, (process,), where, "crashed process")
    for name, what, where in _components(state):
        c.probe("app", name.lower(), name, what, where, seen=name)
    for section, mentions in state.package_mentions:
        for name, line in mentions.value.names.items():
            if not c.index.lookup("app", name.lower()):
                continue  # no indicator names it: no fact to write (nearly every name)
            where = mentions.origin.at(line)
            c.probe("app", name.lower(), name, f"{name} named in {section}", where, seen=name)
    _device_wide(c, state)
    _links(c, state)
    return threats_from_hits(index, c.hits, installed)
