"""``handsetguard apk`` for people: plain text, Markdown and one self-contained HTML page,
all built from the same lines. Every string from an APK passes :func:`textsafe.visible`
first; Markdown through the report's markdown_safe helpers, HTML escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence

from handsetguard.apk.model import ApkReport
from handsetguard.textsafe import visible

__all__ = [
    "SUMMARY_HEADER",
    "render_html",
    "render_markdown",
    "render_rows",
    "render_text",
    "report_lines",
    "summary_row",
]

Line = tuple[str, str]  # (label, value): the value is from the APK and untrusted


def _yes(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return "unknown" if value is None else f"unresolved ({value})"


def report_lines(report: ApkReport) -> tuple[str, list[Line]]:
    """The heading and the (label, value) lines of one APK, values as read."""
    s = report.signature
    verdict = "VERIFIED" if s.verified else "DOES NOT VERIFY"
    lines: list[Line] = [
        ("file", f"{report.path} ({report.size} bytes, sha256 {report.sha256})"),
        (
            "signature",
            f"{verdict}; schemes verified: {', '.join(s.schemes) or 'none'}; "
            f"present: {', '.join(s.present) or 'none'}; checked from API {s.min_sdk} up",
        ),
    ]
    lines += [("signature error", e) for e in s.errors]
    lines += [("signature warning", w) for w in s.warnings]
    for signer in s.signers:
        cert = signer.certificate
        lines.append(
            (
                "signer",
                f"{cert.subject or '(unreadable certificate)'} sha256 {cert.sha256} "
                f"[{', '.join(signer.schemes)}] {cert.key_algorithm} {cert.key_size}",
            )
        )
    lines += [("lineage", f"{c.subject} sha256 {c.sha256}") for c in s.lineage]
    lines += [
        (
            "api levels",
            f"{r.low}..{r.high if r.high is not None else ''} {r.scheme} {r.signer_sha256}",
        )
        for r in s.api_ranges
    ]
    if s.blocks:
        lines.append(("signing block", ", ".join(s.blocks)))
    m = report.manifest
    if m is None:
        lines.append(("manifest", report.manifest_error or "unreadable"))
    else:
        lines += [
            ("package", m.package),
            ("label", m.label or "none"),
            ("version", f"{m.version_name or '?'} (code {m.version_code})"),
            ("sdk", f"min {m.min_sdk}, target {m.target_sdk}, max {m.max_sdk or '-'}"),
            ("launcher", m.launcher or "none"),
            ("debuggable", _yes(m.debuggable)),
            ("allowBackup", _yes(m.allow_backup)),
            ("usesCleartextTraffic", _yes(m.uses_cleartext_traffic)),
            ("testOnly", _yes(m.test_only)),
        ]
        if m.shared_user_id:
            lines.append(("sharedUserId", m.shared_user_id))
        for p in m.permissions:
            flags = [w for w, on in (("dangerous", p.dangerous), ("signature", p.signature)) if on]
            if p.count > 1:
                flags.append(f"declared {p.count} times")
            lines.append(("permission", p.name + (f" ({', '.join(flags)})" if flags else "")))
        for part in m.components:
            if part.exported or part.role:
                how = "explicit" if part.exported_explicit else "implied"
                role = f", {part.role}" if part.role else ""
                lines.append(
                    (part.kind, f"{part.name} (exported: {_yes(part.exported)}, {how}{role})")
                )
        lines += [
            ("refused on install", f"{n}: intent filter without android:exported")
            for n in m.missing_exported
        ]
    lines += [("manifest note", n) for n in report.manifest_notes]
    lines.append(("code", f"{report.classes} classes in {len(report.dex_files)} DEX file(s)"))
    lines += [("note", n) for n in report.notes]
    lines += [("tracker", f"{t.name} ({t.example})") for t in report.trackers or ()]
    lines += [
        ("INDICATOR", f"{h.what} {h.value}: {h.family or 'unnamed'} ({h.set_name} {h.indicator})")
        for h in report.indicators or ()
    ]
    lines += [
        (
            "tampering",
            f"{t.kind.value}{' [fatal]' if t.fatal else ''}: {t.detail}"
            + (f" ({t.entry})" if t.entry is not None else ""),
        )
        for t in report.tampering
    ]
    return f"{m.package if m else report.path}: {verdict}", lines


def summary_row(report: ApkReport) -> list[str]:
    """One APK on one line: verdict, schemes, package and version, signer, findings, file."""
    s, m = report.signature, report.manifest
    signer = s.signers[0].certificate.sha256[:16] if s.signers else "-"
    fatal = sum(t.fatal for t in report.tampering)
    return [
        "ok" if s.verified else "FAIL",
        "+".join(s.schemes) or "-",
        m.package if m else "?",
        (m.version_name or "?") if m else "?",
        signer,
        f"{len(report.tampering)}{'!' if fatal else ''}",
        f"{len(report.indicators)}" if report.indicators is not None else "-",
        report.path,
    ]


SUMMARY_HEADER = ["verdict", "schemes", "package", "version", "signer", "tamper", "iocs", "file"]


def render_rows(reports: Sequence[ApkReport], errors: Sequence[tuple[str, str]] = ()) -> str:
    """One row per APK (what a folder prints): columns padded, every value made visible."""
    rows = [SUMMARY_HEADER] + [[visible(v) for v in summary_row(r)] for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(SUMMARY_HEADER) - 1)]
    out = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    out += [f"{visible(path)}: unreadable: {visible(error)}" for path, error in errors]
    return "\n".join(out) + "\n"


def render_text(reports: Sequence[ApkReport], errors: Sequence[tuple[str, str]] = ()) -> str:
    out: list[str] = []
    for report in reports:
        heading, lines = report_lines(report)
        out.append(visible(heading))
        out += [f"  {label:<20} {visible(value)}" for label, value in lines]
        out.append("")
    out += [f"{visible(path)}: unreadable: {visible(error)}" for path, error in errors]
    return "\n".join(out).rstrip("\n") + "\n"


def render_markdown(reports: Sequence[ApkReport], errors: Sequence[tuple[str, str]] = ()) -> str:
    # The report package (loaded with its Markdown helpers) only for Markdown output.
    from handsetguard.report.markdown_safe import code as md_code
    from handsetguard.report.markdown_safe import text as md_text

    out = ["# HandsetGuard APK inspection", ""]
    for report in reports:
        heading, lines = report_lines(report)
        out += [f"## {md_text(heading)}", ""]
        out += [f"- **{label}**: {md_code(value)}" for label, value in lines]
        out.append("")
    out += [f"- unreadable {md_code(path)}: {md_code(error)}" for path, error in errors]
    return "\n".join(out).rstrip("\n") + "\n"


_STYLE = (
    "body{font-family:sans-serif;margin:2em}"
    "th{text-align:left;padding-right:1em}td{font-family:monospace}"
)


def render_html(reports: Sequence[ApkReport], errors: Sequence[tuple[str, str]] = ()) -> str:
    def esc(value: str) -> str:
        return html.escape(visible(value), quote=True)

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>HandsetGuard APK inspection</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>HandsetGuard APK inspection</h1>",
    ]
    for report in reports:
        heading, lines = report_lines(report)
        out.append(f"<h2>{esc(heading)}</h2><table>")
        out += [f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>" for label, value in lines]
        out.append("</table>")
    out += [f"<p>unreadable {esc(path)}: {esc(error)}</p>" for path, error in errors]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
