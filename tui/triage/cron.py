"""Just enough of cron to say when a CronJob should last have run: the five fields with
`*`, `*/n`, `a-b`, `a-b/n`, lists and numbers (what CronJob schedules use); the macros
@hourly, @daily, @weekly, @monthly, @yearly. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _field(text: str, low: int, high: int) -> set[int]:
    out: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = end = int(base)
            if step_text:
                end = high
        if step < 1 or start < low or end > high or start > end:
            raise ValueError(part)
        out.update(range(start, end + 1, step))
    return out


def parse(schedule: str) -> tuple[set[int], ...] | None:
    """The five fields' allowed values, or None for what this reader does not know
    (a time zone prefix, names like MON, @every)."""
    text = MACROS.get(schedule.strip(), schedule.strip())
    words = text.split()
    if len(words) != 5:
        return None
    try:
        fields = tuple(_field(w, lo, hi) for w, (lo, hi) in zip(words, RANGES, strict=True))
    except ValueError:
        return None
    if 7 in fields[4]:  # Sunday as 7
        fields[4].add(0)
    return fields


def previous_run(schedule: str, now: float, within: float = 8 * 86400) -> float | None:
    """When the schedule last fired at or before `now` (None: unknown, or not within)."""
    fields = parse(schedule)
    if fields is None:
        return None
    minute, hour, day, month, weekday = fields
    t = datetime.fromtimestamp(now, UTC).replace(second=0, microsecond=0)
    for _ in range(int(within // 60)):
        dow = (t.weekday() + 1) % 7  # cron: 0 is Sunday
        if t.minute in minute and t.hour in hour and t.month in month:
            # as cron: both day fields restricted -> either matches
            days_all = len(day) == 31
            dows_all = len(weekday) >= 7
            if (
                (t.day in day and dow in weekday)
                if days_all or dows_all
                else (t.day in day or dow in weekday)
            ):
                return t.timestamp()
        t -= timedelta(minutes=1)
    return None
