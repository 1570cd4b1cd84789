"""The business day: which day a moment belongs to and when that day ends.

A branch's day does not end at midnight but at its configured rollover time
(03:00 by default), so late closing never splits a day's figures. This is pure
arithmetic on the given epoch seconds; a zone name uses `zoneinfo` (tz data
read once and cached by the standard library) so daylight-saving changes are
right, a fixed offset needs nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from lobbyq.core.config import BranchConfig


@lru_cache(maxsize=32)
def _tz(zone: str | None, offset_min: int) -> tzinfo:
    if zone is not None:
        from zoneinfo import ZoneInfo

        return ZoneInfo(zone)
    return timezone(timedelta(minutes=offset_min))


def branch_tz(config: BranchConfig) -> tzinfo:
    """The branch's local time zone (its zone name, or its fixed offset)."""
    return _tz(config.zone, config.utc_offset_min)


def business_day(config: BranchConfig, now: float) -> tuple[str, float]:
    """The ISO date of the business day containing `now`, and the epoch it ends at."""
    tz = _tz(config.zone, config.utc_offset_min)
    shift = timedelta(minutes=config.rollover_min)
    local = datetime.fromtimestamp(now, tz)
    day: date = (local - shift).date()
    next_day = day + timedelta(days=1)
    end_local = datetime(next_day.year, next_day.month, next_day.day, tzinfo=tz) + shift
    return day.isoformat(), end_local.astimezone(UTC).timestamp()
