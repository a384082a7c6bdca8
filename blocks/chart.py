"""The weekly metrics' chart: average first-response time per lane over the last weeks, as a
PNG. Pure: series in, bytes out. matplotlib's object API on the Agg canvas (no pyplot, no
global state, no display), imported when a chart is drawn so start-up does not pay for it."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.domain.item_history import Breakdown, Period, Times
from bot.domain.lanes import Lane

LINES_MAX = 10
CHART_TITLE = "Average first response per lane (business hours)"


def chart_filename(period: Period) -> str:
    return f"first-response-{period.end:%Y-%m-%d}.png"


def first_response_chart(
    series: Sequence[tuple[Period, Breakdown[Times]]], lanes: Mapping[str, Lane], tz: ZoneInfo
) -> bytes:
    """One line per lane (the practice file's order, then retired lanes; at most LINES_MAX)
    and one for the practice, a point per week that had a response (its end date on the x
    axis), in business hours. A week without responses leaves a gap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [f"{period.end.astimezone(tz):%b %-d}" for period, _ in series]
    seen = {lane for _, weekly in series for lane in weekly.lanes}
    order = [key for key in lanes if key in seen] + sorted(seen - set(lanes))
    figure = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    x = list(range(len(series)))

    def hours(times: Times | None) -> float:
        return times.average / 60 if times and times.average is not None else float("nan")

    for key in order[:LINES_MAX]:
        name = lanes[key].name if key in lanes else key
        axes.plot(x, [hours(w.lanes.get(key)) for _, w in series], marker="o", label=name)
    axes.plot(
        x,
        [hours(w.overall) for _, w in series],
        color="black",
        linewidth=2.5,
        label="Practice",
    )
    axes.set_xticks(x, labels)
    axes.set_ylabel("hours")
    axes.set_title(CHART_TITLE)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="upper left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
