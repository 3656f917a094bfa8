"""Sources: acquire raw evidence (named sections with provenance) from every supported input."""

from handsetguard.sources.detect import open_source

__all__ = ["open_source"]
