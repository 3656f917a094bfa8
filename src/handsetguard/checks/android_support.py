"""When each Android version stopped (or is expected to stop) getting security fixes.

The dates are the last monthly Android Security Bulletin that listed the version
(https://source.android.com/docs/security/bulletin). Google publishes no schedule; released
versions have been covered for about 3.5 years, so dates for versions still covered are
estimates from that pattern and marked as such. Review this table when a bulletin drops a
version.
"""

from __future__ import annotations

from datetime import date

from handsetguard.records import record

__all__ = ["SupportWindow", "support_window"]


@record
class SupportWindow:
    last_bulletin: date
    estimated: bool


_WINDOWS: dict[int, SupportWindow] = {
    25: SupportWindow(date(2019, 10, 1), False),  # 7.1; everything older ended before
    26: SupportWindow(date(2021, 1, 1), False),  # 8.0
    27: SupportWindow(date(2021, 10, 1), False),  # 8.1
    28: SupportWindow(date(2022, 1, 1), False),  # 9
    29: SupportWindow(date(2023, 2, 1), False),  # 10
    30: SupportWindow(date(2024, 2, 1), False),  # 11
    31: SupportWindow(date(2025, 3, 1), False),  # 12
    32: SupportWindow(date(2025, 3, 1), False),  # 12L
    33: SupportWindow(date(2026, 3, 1), True),  # 13 (released 2022-08)
    34: SupportWindow(date(2027, 4, 1), True),  # 14 (released 2023-10)
    35: SupportWindow(date(2028, 3, 1), True),  # 15 (released 2024-09)
    36: SupportWindow(date(2029, 1, 1), True),  # 16 (released 2025-06)
}
_OLDEST = min(_WINDOWS)


def support_window(sdk: int) -> SupportWindow | None:
    """The window for API level ``sdk``; ``None`` for versions newer than this table knows."""
    if sdk < _OLDEST:
        return _WINDOWS[_OLDEST]
    return _WINDOWS.get(sdk)
