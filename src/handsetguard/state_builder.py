"""The facet builder of :mod:`handsetguard.state` and its helper modules: a section parsed
into a :class:`Located` value, or an :class:`Unavailable` one, with its coverage entry."""

from __future__ import annotations

from collections.abc import Callable

from handsetguard.device import Located, Unavailable
from handsetguard.errors import ParseError
from handsetguard.evidence import CoverageEntry, CoverageStatus, Evidence, Section

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (a check never does)
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

__all__ = ["FacetBuilder"]


class FacetBuilder:
    """Runs each parser on its section and records what was covered: a parser's
    ``ParseError`` becomes a coverage entry and an :class:`Unavailable` facet."""

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.coverage: list[CoverageEntry] = list(evidence.problems)

    def missing(self, names: tuple[str, ...]) -> Unavailable:
        wanted = " or ".join(names)
        self.coverage.append(
            CoverageEntry(
                # Not the input's path: a live run and the offline re-check of its snapshot
                # must read the same.
                names[0],
                CoverageStatus.MISSING,
                f"no {wanted} section in the input",
            )
        )
        return Unavailable(f"the input has no {wanted} section")

    def run(self, section: Section, parse: Callable[[str], T]) -> Located[T] | Unavailable:
        """Parse ``section``'s text."""
        return self.read(section, lambda: parse(section.text))

    def read(self, section: Section, parse: Callable[[], T]) -> Located[T] | Unavailable:
        """Call ``parse``, which reads ``section`` its own way (e.g. its lines alone), and
        record the section's coverage: parsed, or the ``ParseError`` it raised."""
        try:
            value = parse()
        except ParseError as exc:
            self.coverage.append(
                CoverageEntry(section.name, CoverageStatus.ERROR, exc.message, section.provenance)
            )
            return Unavailable(
                f"{section.name} at {section.provenance} could not be parsed: {exc.message}"
            )
        self.coverage.append(
            CoverageEntry(section.name, CoverageStatus.PARSED, "", section.provenance)
        )
        return Located(value, section.provenance)

    def facet(self, names: tuple[str, ...], parse: Callable[[str], T]) -> Located[T] | Unavailable:
        """Parse the first present of ``names`` (in order of preference)."""
        for name in names:
            section = self.evidence.get(name)
            if section is not None:
                return self.run(section, parse)
        return self.missing(names)
