"""An article's flow drawn as a sequence diagram across the four services: steps in, an SVG string out.

Pure: no database, no request. Whoever calls it decides what each step's label and tooltip say
(publishing.flow_steps: everything for an editor, the allow-list for an author); the keys that join an
effect to its cause are used for the arrows and never drawn. Every text is XML-escaped here, because
titles and reasons are written by authors.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from xml.sax.saxutils import escape

LANES = ("publishing", "moderation", "notifications", "search_indexer")
# An event that reached publishing this long after it happened waited in a retry queue, a dead-letter
# queue before a replay, or a broker outage: the normal path takes a few seconds at most.
LATE_AFTER_SECONDS = 30.0
# A hostile author can make a long timeline (many revisions); the drawing shows the most recent steps.
MAX_STEPS = 300

LEFT, LANE_WIDTH, TOP, ROW, DOT = 100, 260, 64, 56, 6
LABEL_CHARS = 38
# A row's three lines of text run from 13 px above its dot to 27 px below: arrows cross between the rows.
BELOW_TEXT, ABOVE_TEXT = 30, 16
LEGEND_HEIGHT = 30
INK, MUTED, FAILED, REPEATED, LATE, OVERDUE = "#1f2933", "#616e7c", "#c62828", "#b35c00", "#8a4baf", "#e09f00"
LANE_COLOURS = {"publishing": "#1565c0", "moderation": "#2e7d32", "notifications": "#6a1b9a",
                "search_indexer": "#00838f"}
# Characters XML 1.0 does not allow: one in the text would make the whole SVG document unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Step:
    """One event, as a message in its producer's lane."""

    key: str  # joins an effect to its cause (the event id); never drawn
    cause: str | None  # the key of the event that caused this one (causationid), None for a flow's first
    time: datetime  # when it happened, by the producer's clock
    service: str
    type: str
    label: str  # one line: what happened
    arrived: datetime | None = None  # when publishing recorded it
    thread: str = ""  # steps of one thread are tries at one thing (a notification): later ones are repeats
    failed: bool = False
    overdue: bool = False  # publishing's note that the step after this one's cause is overdue (a stuck flow)
    detail: str = ""  # the tooltip


def _text(value: object) -> str:
    return escape(_NOT_XML.sub("", str(value)))


def _attribute(value: object) -> str:
    """For inside double quotes."""
    return escape(_NOT_XML.sub("", str(value)), {'"': "&quot;"})


def _short(value: str, limit: int = LABEL_CHARS) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def duration(seconds: float) -> str:
    """A step's time from its cause, short: 420 ms, 4.2 s, 3 min 20 s, 2 h 5 min, 3 d 4 h."""
    if seconds < 0:
        return f"−{duration(-seconds)} (clocks differ)"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    for unit, size, sub, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "min", 60), ("min", 60, "s", 1)):
        if whole >= size:
            rest = (whole % size) // sub_size
            return f"{whole // size} {unit}" + (f" {rest} {sub}" if rest else "")
    return f"{seconds:.0f} s"  # pragma: no cover - every value of a minute or more has a unit above


@dataclass(frozen=True)
class _Placed:
    step: Step
    row: int
    x: float
    y: float
    cause: _Placed | None
    repeat: int  # 1 for the first of its thread
    late: float | None  # seconds between happening and arriving, when late
    date_changed: bool  # on another day than the step before


def _lane_x(service: str) -> float:
    lane = LANES.index(service) if service in LANES else len(LANES) - 1
    return LEFT + lane * LANE_WIDTH + 16


def _place(steps: Sequence[Step], late_after: float) -> list[_Placed]:
    placed: list[_Placed] = []
    seen: dict[str, int] = {}
    for row, step in enumerate(steps):
        repeat = 1
        if step.thread:
            repeat = seen[step.thread] = seen.get(step.thread, 0) + 1
        lag = (step.arrived - step.time).total_seconds() if step.arrived else 0.0
        day = step.time.astimezone(UTC).date()
        placed.append(_Placed(step=step, row=row, x=_lane_x(step.service), y=TOP + 24 + row * ROW, cause=None,
                              repeat=repeat, late=lag if lag > late_after else None,
                              date_changed=bool(placed) and placed[-1].step.time.astimezone(UTC).date() != day))
    # Causes are looked up once every step has its place: with clocks apart, an effect may sort before its cause.
    by_key: dict[str, _Placed] = {}
    for item in placed:
        by_key.setdefault(item.step.key, item)
    return [replace(item, cause=by_key.get(item.step.cause)) if item.step.cause else item for item in placed]


def _took(item: _Placed) -> str:
    """The time from the cause to this step."""
    if item.cause is None:
        return ""
    seconds = (item.step.time - item.cause.step.time).total_seconds()
    return duration(seconds) if seconds < 0 else f"+{duration(seconds)}"


def _flags(item: _Placed) -> list[tuple[str, str]]:
    """What was unusual about the step, each with its colour."""
    step, flags = item.step, []
    if item.cause is None and step.cause:
        flags.append(("cause not on this timeline", MUTED))
    if step.failed:
        flags.append(("failed", FAILED))
    if step.overdue:
        flags.append(("stuck: the next step is overdue", OVERDUE))
    if item.repeat > 1:
        flags.append((f"repeat {item.repeat}", REPEATED))
    if item.late is not None:
        flags.append((f"arrived {duration(item.late)} late (retried or replayed)", LATE))
    return flags


def _arrow(item: _Placed) -> str:
    cause = item.cause
    if cause is None:
        if not item.step.cause:
            return ""
        # Caused by something this timeline does not hold (another article's event, or older than shown).
        return (f'<path d="M{item.x:.0f} {item.y - ABOVE_TEXT - 8:.0f} L{item.x:.0f} {item.y - DOT - 2:.0f}" '
                f'stroke="{MUTED}" stroke-dasharray="2 2" fill="none" marker-end="url(#flow-arrow)"/>')
    colour = FAILED if item.step.failed else OVERDUE if item.step.overdue else REPEATED if item.repeat > 1 else INK
    marker = "flow-arrow-failed" if item.step.failed else "flow-arrow"
    unusual = item.step.failed or item.step.overdue or item.repeat > 1 or item.late is not None
    dashes = ' stroke-dasharray="5 3"' if unusual else ""
    x1, y1, x2, y2 = cause.x, cause.y, item.x, item.y
    if x1 == x2:  # within one lane: bow out to the left so the arrow does not run over the dots between
        bow = 22 + 4 * min(item.row - cause.row, 8)
        x1, x2 = x1 - DOT, x2 - DOT - 2
        path = f"M{x1:.0f} {y1:.0f} C{x1 - bow:.0f} {y1:.0f} {x2 - bow:.0f} {y2:.0f} {x2:.0f} {y2:.0f}"
    else:
        # Down out of the cause, across between the rows, down into the effect: the labels, to the right of
        # each dot, stay clear of the arrows at both ends.
        path = (f"M{x1:.0f} {y1 + DOT:.0f} L{x1:.0f} {y1 + BELOW_TEXT:.0f} L{x2:.0f} {y2 - ABOVE_TEXT:.0f} "
                f"L{x2:.0f} {y2 - DOT - 2:.0f}")
    return (f'<path d="{path}" stroke="{colour}" stroke-width="1.4" fill="none" opacity="0.8"{dashes} '
            f'stroke-linejoin="round" marker-end="url(#{marker})"/>')


def _dot(item: _Placed) -> str:
    step, x, y = item.step, item.x, item.y
    colour = LANE_COLOURS.get(step.service, INK)
    if step.failed:
        return (f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{DOT + 1}" fill="#fff" stroke="{FAILED}" stroke-width="2"/>'
                f'<path d="M{x - 3:.0f} {y - 3:.0f} L{x + 3:.0f} {y + 3:.0f} M{x + 3:.0f} {y - 3:.0f} '
                f'L{x - 3:.0f} {y + 3:.0f}" stroke="{FAILED}" stroke-width="2"/>')
    if step.overdue:  # a warning sign: this is publishing's note, not an event off the bus
        return (f'<path d="M{x:.0f} {y - 8:.0f} L{x + 8:.0f} {y + 6:.0f} L{x - 8:.0f} {y + 6:.0f} z" fill="{OVERDUE}"/>'
                f'<path d="M{x:.0f} {y - 3:.0f} L{x:.0f} {y + 1:.0f}" stroke="#fff" stroke-width="2"/>')
    ring = ""
    if item.repeat > 1 or item.late is not None:
        ring = (f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{DOT + 4}" fill="none" '
                f'stroke="{REPEATED if item.repeat > 1 else LATE}" stroke-width="1.5"/>')
    return f'{ring}<circle cx="{x:.0f}" cy="{y:.0f}" r="{DOT}" fill="{colour}"/>'


def _halo(x: float, y: float, text: str, *, colour: str = INK, weight: str = "normal", size: int = 12) -> str:
    # A white outline under the letters keeps them readable where an arrow crosses them.
    return (f'<text x="{x:.0f}" y="{y:.0f}" fill="{colour}" font-size="{size}" font-weight="{weight}" '
            f'stroke="#fff" stroke-width="3" paint-order="stroke">{text}</text>')


def _message(item: _Placed) -> str:
    step, x, y = item.step, item.x + DOT + 6, item.y
    took = _took(item)
    took = f'<tspan fill="{MUTED}" font-weight="normal" font-size="11"> {took}</tspan>' if took else ""
    flags = " · ".join(f'<tspan fill="{colour}">{_text(flag)}</tspan>' for flag, colour in _flags(item))
    moment = step.time.astimezone(UTC)
    parts = [
        f'<g><title>{_text(step.detail or step.label)}</title>{_dot(item)}',
        _halo(x, y - 3, _text(step.type) + took, colour=FAILED if step.failed else INK, weight="bold"),
        _halo(x, y + 11, _text(_short(step.label)), colour=MUTED, size=11),
        _halo(x, y + 24, flags, size=11) if flags else "",
        f'<text x="8" y="{y + 4:.0f}" fill="{MUTED}" font-size="11">{moment:%H:%M:%S}.{moment.microsecond // 1000:03d}'
        f'</text>',
    ]
    if item.row == 0 or item.date_changed:
        parts.append(f'<text x="8" y="{y + 17:.0f}" fill="{MUTED}" font-size="10">{moment:%Y-%m-%d}</text>')
    return "".join(parts) + "</g>"


def _frame(width: int, height: int, heading: str, rows: int) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_attribute(heading)}" font-family="system-ui, sans-serif" style="max-width:100%;height:auto">',
        f'<title>{_text(heading)}</title>',
        '<defs>'
        f'<marker id="flow-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="{INK}"/></marker>'
        f'<marker id="flow-arrow-failed" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="{FAILED}"/></marker>'
        '</defs>',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        _halo(8, 20, _text(heading), weight="bold", size=13),
        f'<text x="8" y="{TOP - 8}" fill="{MUTED}" font-size="11">time (UTC)</text>',
    ]
    bottom = TOP + 24 + max(rows - 1, 0) * ROW + 24
    for lane, service in enumerate(LANES):
        left = LEFT + lane * LANE_WIDTH
        colour = LANE_COLOURS[service]
        parts += [
            f'<rect x="{left + 2}" y="{TOP - 26}" width="{LANE_WIDTH - 4}" height="22" rx="4" fill="{colour}"/>',
            f'<text x="{left + 12}" y="{TOP - 11}" fill="#fff" font-size="12" font-weight="bold">{service}</text>',
            f'<line x1="{left + 16}" y1="{TOP}" x2="{left + 16}" y2="{bottom}" stroke="{colour}" '
            f'stroke-opacity="0.35" stroke-dasharray="4 4"/>',
        ]
    return parts


def _legend(y: float) -> str:
    x, parts = LEFT + 8, []
    keys = [
        (f'<circle cx="{{x}}" cy="{{y}}" r="{DOT + 1}" fill="#fff" stroke="{FAILED}" stroke-width="2"/>',
         "a notification that failed"),
        (f'<circle cx="{{x}}" cy="{{y}}" r="{DOT + 3}" fill="none" stroke="{REPEATED}" stroke-width="1.5"/>',
         "a repeat of an earlier one"),
        (f'<circle cx="{{x}}" cy="{{y}}" r="{DOT + 3}" fill="none" stroke="{LATE}" stroke-width="1.5"/>',
         "arrived late (retry or replay)"),
        (f'<path d="M{{x}} {{top}} L{{right}} {{bottom}} L{{left}} {{bottom}} z" fill="{OVERDUE}"/>',
         "stuck: the next step is overdue"),
        (f'<line x1="{{left}}" y1="{{y}}" x2="{{right}}" y2="{{y}}" stroke="{MUTED}" stroke-dasharray="1 3"/>',
         "a new flow starts"),
    ]
    for symbol, meaning in keys:
        parts.append(symbol.format(x=x, y=round(y), left=x - 8, right=x + 8, top=round(y) - 8, bottom=round(y) + 6))
        parts.append(f'<text x="{x + 16}" y="{y + 4:.0f}" fill="{MUTED}" font-size="11">{meaning}</text>')
        x += 205
    parts.append(f'<text x="8" y="{y + 4:.0f}" fill="{MUTED}" font-size="11">key</text>')
    return "".join(parts)


def flow_svg(steps: Sequence[Step], *, heading: str = "Flow", late_after: float = LATE_AFTER_SECONDS,
             limit: int = MAX_STEPS, total: int | None = None) -> str:
    """The steps, in the order given (the timeline's: by time), as one SVG document.

    `total`: how many steps there are in all, when the caller passes only the latest ones.
    """
    shown = list(steps)[-limit:] if limit else list(steps)
    total = max(total or 0, len(steps))
    if len(shown) < total:
        heading = f"{heading} (the last {len(shown)} of {total} events)"
    elif shown:
        total = (shown[-1].time - shown[0].time).total_seconds()
        heading = f"{heading}: {len(shown)} events over {duration(total)}"
    placed = _place(shown, late_after)
    width = LEFT + len(LANES) * LANE_WIDTH + 60  # room for the last lane's flags
    height = TOP + 24 + max(len(placed) - 1, 0) * ROW + 40 + LEGEND_HEIGHT
    parts = _frame(width, height, heading, len(placed))
    if not placed:
        parts.append(_halo(LEFT + 16, TOP + 28, "Nothing has happened yet.", colour=MUTED))
    for item in placed:
        if item.step.cause is None and item.row:
            # A new flow starts here (a later submission, a takedown): a line across every lane.
            y = item.y - ROW / 2
            parts.append(f'<line x1="{LEFT}" y1="{y:.0f}" x2="{width - 8}" y2="{y:.0f}" stroke="{MUTED}" '
                         f'stroke-opacity="0.5" stroke-dasharray="1 3"/>')
    parts += [_arrow(item) for item in placed]
    parts += [_message(item) for item in placed]
    parts.append(_legend(height - LEGEND_HEIGHT + 18))
    parts.append("</svg>")
    return "".join(parts)
