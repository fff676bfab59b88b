"""The evidence timeline as an inline SVG: stories per day, stacked by stance. Pure.

Rendered on the server, so the board needs no JavaScript; every text in it is escaped here. The
chart is an image for assistive technology (`role="img"`) with a <title> and a <desc> that says
in words what the bars show, and a legend in text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from monitor.board.views import CHARTED, DayCount

WIDTH = 720
HEIGHT = 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 40, 12, 16, 56
COLOURS = {"supports": "#2e7d32", "refutes": "#c62828", "reports": "#1565c0"}
LABELS = {"supports": "supporting", "refutes": "refuting", "reports": "reporting"}
_DESC_DAYS = 60  # days spelled out in <desc>; more are summarised


def _describe(days: Sequence[DayCount]) -> str:
    if not days:
        return "No evidence yet."
    totals = {s: sum(d.count(s) for d in days) for s in CHARTED}
    parts = [
        f"Stories per day from {days[0].day.isoformat()} to {days[-1].day.isoformat()}: "
        + ", ".join(f"{totals[s]} {LABELS[s]}" for s in CHARTED)
        + " in all."
    ]
    for d in days[:_DESC_DAYS]:
        counts = ", ".join(f"{d.count(s)} {LABELS[s]}" for s in CHARTED if d.count(s))
        parts.append(f"{d.day.isoformat()}: {counts}.")
    if len(days) > _DESC_DAYS:
        parts.append(f"And {len(days) - _DESC_DAYS} more days.")
    return " ".join(parts)


def _attrs(**values: object) -> str:
    return " ".join(f'{name.replace("_", "-")}="{escape(str(v))}"' for name, v in values.items())


def timeline_svg(days: Sequence[DayCount], *, title: str, element_id: str = "timeline") -> str:
    """An <svg> element: one stacked bar per day from the first to the last day with evidence."""
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    out = [
        f"<svg {_attrs(xmlns='http://www.w3.org/2000/svg', viewBox=f'0 0 {WIDTH} {HEIGHT}')} "
        f'role="img" aria-labelledby="{element_id}-title {element_id}-desc" '
        f'id="{escape(element_id)}" class="timeline">',
        f'<title id="{element_id}-title">{escape(title)}</title>',
        f'<desc id="{element_id}-desc">{escape(_describe(days))}</desc>',
        f"<line {_attrs(x1=_LEFT, y1=_TOP + plot_h, x2=_LEFT + plot_w, y2=_TOP + plot_h)} "
        'stroke="#666"/>',
    ]
    if not days:
        x, y = _LEFT + plot_w // 2, _TOP + plot_h // 2
        out.append(
            f'<text {_attrs(x=x, y=y)} text-anchor="middle" fill="#666">No evidence yet</text>'
        )
    else:
        first, last = days[0].day, days[-1].day
        span = (last - first).days + 1
        slot = plot_w / span
        bar = max(min(slot * 0.8, 40.0), 1.0)
        peak = max(sum(d.count(s) for s in CHARTED) for d in days)
        unit = plot_h / peak
        for d in days:
            bar_x = _LEFT + (d.day - first).days * slot + (slot - bar) / 2
            bar_y = float(_TOP + plot_h)
            for stance in CHARTED:
                n = d.count(stance)
                if not n:
                    continue
                bar_y -= n * unit
                label = f"{d.day.isoformat()}: {n} {LABELS[stance]}"
                out.append(
                    f"<rect {_attrs(x=f'{bar_x:.1f}', y=f'{bar_y:.1f}', width=f'{bar:.1f}')} "
                    f'height="{n * unit:.1f}" fill="{COLOURS[stance]}" class="bar-{stance}">'
                    f"<title>{escape(label)}</title></rect>"
                )
        base = _TOP + plot_h + 14
        out.append(f'<text {_attrs(x=_LEFT, y=base)} font-size="11">{first.isoformat()}</text>')
        if last != first:
            end = _LEFT + plot_w
            out.append(
                f'<text {_attrs(x=end, y=base)} font-size="11" text-anchor="end">'
                f"{last.isoformat()}</text>"
            )
        out.append(
            f'<text {_attrs(x=_LEFT - 6, y=_TOP + 10)} font-size="11" text-anchor="end">'
            f"{peak}</text>"
        )
    legend_y = HEIGHT - 14
    for n, stance in enumerate(CHARTED):
        x = _LEFT + n * 150
        out.append(
            f'<rect {_attrs(x=x, y=legend_y - 10, width=12, height=12)} fill="{COLOURS[stance]}"/>'
        )
        out.append(f'<text {_attrs(x=x + 18, y=legend_y)} font-size="12">{LABELS[stance]}</text>')
    out.append("</svg>")
    return "\n".join(out)
