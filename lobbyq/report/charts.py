"""The report's charts, drawn by matplotlib into PNG and SVG files.

matplotlib is imported here only, and this module only when a report is
made, so no app pays for it at start. Figures are built with the object API
(``Figure`` + Agg canvas), never pyplot's global state, so the console can
draw reports from several requests. Every text is in the report's language,
in the regional CJK face (`lobbyq.report.fonts`): the exact font file and
face are registered with matplotlib and named first in ``font.family`` for
Chinese, after DejaVu Sans for English and Spanish (so a Chinese service or
teller name still renders). SVGs keep glyphs as paths: no font needed to view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager, ft2font, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lobbyq.report.fonts import Face
from lobbyq.report.i18n import N_, Translator

COLORS = ("#1f5fa8", "#e08a1e", "#3a9a4a", "#b8323a", "#7b5ea7", "#6b6b6b")
_registered: set[tuple[str, int]] = set()


def family_of(face: Face) -> str:
    """The family name inside the chosen face (e.g. "Noto Sans CJK SC"), registered once."""
    key = (str(face.path), face.index)
    if key not in _registered:
        font_manager.fontManager.addfont(str(face.path))
        _registered.add(key)
    return str(ft2font.FT2Font(str(face.path), face_index=face.index).family_name)


@contextmanager
def font_context(lang: str, face: Face) -> Iterator[str]:
    """matplotlib settings for `lang`: the regional CJK face first for Chinese."""
    family = family_of(face)
    families = [family, "DejaVu Sans"] if lang.startswith("zh") else ["DejaVu Sans", family]
    with rc_context({"font.family": families, "axes.unicode_minus": False, "svg.fonttype": "path"}):
        yield family


def _save(fig: Figure, out: Path, stem: str) -> str:
    FigureCanvasAgg(fig)
    fig.savefig(out / f"{stem}.png", dpi=110)
    fig.savefig(out / f"{stem}.svg")
    return f"{stem}.png"


def _hhmm(t: float, tz: Any) -> str:
    return datetime.fromtimestamp(t, tz).strftime("%H:%M")


def _time_axis(ax: Any, bins: Sequence[float], tz: Any) -> None:
    ticks = [i for i, b in enumerate(bins) if datetime.fromtimestamp(b, tz).minute == 0]
    ax.set_xticks(ticks, [_hhmm(bins[i], tz) for i in ticks], rotation=0)
    ax.set_xlim(-0.6, max(len(bins) - 0.4, 0.6))


def _new(title: str, width: float = 9.0, height: float = 3.6) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _empty(ax: Any, tr: Translator) -> None:
    ax.text(
        0.5,
        0.5,
        tr(N_("No data for this chart")),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="#777",
    )


def flow_chart(
    out: Path,
    tr: Translator,
    tz: Any,
    bins: Sequence[float],
    arrivals: Sequence[int],
    services: Sequence[int],
    counters: Sequence[float],
) -> str:
    fig, ax = _new(tr(N_("Arrivals and services per 15 minutes")))
    xs = list(range(len(bins)))
    if bins:
        ax.bar(
            [x - 0.2 for x in xs], arrivals, 0.4, label=tr(N_("Tickets issued")), color=COLORS[0]
        )
        ax.bar(
            [x + 0.2 for x in xs], services, 0.4, label=tr(N_("Services finished")), color=COLORS[2]
        )
        _time_axis(ax, bins, tz)
        ax2 = ax.twinx()
        ax2.step(
            xs, counters, where="mid", color=COLORS[3], linewidth=2, label=tr(N_("Counters open"))
        )
        ax2.set_ylabel(tr(N_("Counters open")))
        ax2.set_ylim(0, max([*counters, 1.0]) * 1.25)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        fig.legend(h1 + h2, l1 + l2, loc="outside lower center", ncols=3, fontsize="small")
    else:
        _empty(ax, tr)
    ax.set_xlabel(tr(N_("Local time")))
    ax.set_ylabel(tr(N_("Tickets")))
    return _save(fig, out, "flow")


def _boxes(
    out: Path,
    stem: str,
    title: str,
    ylabel: str,
    tr: Translator,
    values: Mapping[str, Sequence[float]],
    target_min: float | None = None,
) -> str:
    fig, ax = _new(title, 7.0, 3.6)
    data = {k: [v / 60 for v in vs] for k, vs in values.items() if vs}
    if data:
        ax.boxplot(list(data.values()), tick_labels=list(data), showmeans=True)
        if target_min is not None:
            ax.axhline(target_min, color=COLORS[3], linestyle="--", label=tr(N_("Target wait")))
            ax.legend(loc="upper right", fontsize="small")
    else:
        _empty(ax, tr)
    ax.set_xlabel(tr(N_("Service")))
    ax.set_ylabel(ylabel)
    return _save(fig, out, stem)


def wait_chart(
    out: Path, tr: Translator, waits: Mapping[str, Sequence[float]], target_min: float
) -> str:
    return _boxes(
        out, "waits", tr(N_("Wait per service")), tr(N_("Wait (minutes)")), tr, waits, target_min
    )


def service_time_chart(out: Path, tr: Translator, times: Mapping[str, Sequence[float]]) -> str:
    return _boxes(
        out,
        "service_times",
        tr(N_("Service time per service")),
        tr(N_("Service time (minutes)")),
        tr,
        times,
    )


def _rating_color(key: str) -> str:
    """Best value green, worst red, whatever the scale (5 or 3 steps)."""
    value, scale = (int(x) for x in key.split("/"))
    shades = ("#b8323a", "#e0702a", "#e8c547", "#8cc065", "#2c7a3b")
    step = (value - 1) / max(scale - 1, 1)
    return shades[round(step * (len(shades) - 1))]


def ratings_chart(out: Path, tr: Translator, tellers: Mapping[str, Mapping[str, Any]]) -> str:
    """Stacked bars per teller: each rating value, then the services left unrated."""
    fig, ax = _new(tr(N_("Ratings per teller")), 8.0, max(2.6, 0.45 * len(tellers) + 1.4))
    keys = sorted(
        {k for t in tellers.values() for k in t["ratings"]},
        key=lambda k: (int(k.split("/")[1]), -int(k.split("/")[0])),
    )
    names = list(tellers)
    if names:
        left = [0.0] * len(names)
        for key in keys:
            vals = [tellers[n]["ratings"].get(key, 0) for n in names]
            ax.barh(names, vals, left=left, label=key, color=_rating_color(key))
            left = [a + b for a, b in zip(left, vals, strict=True)]
        unrated = [tellers[n]["unrated"] for n in names]
        ax.barh(names, unrated, left=left, label=tr(N_("Unrated")), color="#cccccc")
        fig.legend(loc="outside lower center", fontsize="small", ncols=min(7, len(keys) + 1))
        ax.invert_yaxis()
    else:
        _empty(ax, tr)
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel(tr(N_("Services")))
    ax.set_ylabel(tr(N_("Teller")))
    return _save(fig, out, "ratings")


def alerts_chart(
    out: Path, tr: Translator, tz: Any, bins: Sequence[float], alerts: Sequence[int]
) -> str:
    fig, ax = _new(tr(N_("Over-long waits over the day")), 9.0, 3.0)
    if bins:
        ax.bar(list(range(len(bins))), alerts, 0.8, color=COLORS[3])
        _time_axis(ax, bins, tz)
        ax.set_ylim(0, max([*alerts, 1]) * 1.2)
    else:
        _empty(ax, tr)
    ax.set_xlabel(tr(N_("Local time")))
    ax.set_ylabel(tr(N_("Over-long waits")))
    return _save(fig, out, "over_waits")


def accuracy_chart(out: Path, tr: Translator, accuracy: Mapping[str, Mapping[str, Any]]) -> str:
    fig, ax = _new(tr(N_("Quoted wait against real wait")), 7.0, 3.4)
    rows = {k: v for k, v in accuracy.items() if v["n"]}
    if rows:
        xs = list(range(len(rows)))
        ax.bar(
            [x - 0.2 for x in xs],
            [v["mae_s"] / 60 for v in rows.values()],
            0.4,
            label=tr(N_("Mean absolute error")),
            color=COLORS[0],
        )
        ax.bar(
            [x + 0.2 for x in xs],
            [v["bias_s"] / 60 for v in rows.values()],
            0.4,
            label=tr(N_("Bias (quoted minus real)")),
            color=COLORS[1],
        )
        ax.set_xticks(xs, list(rows))
        ax.axhline(0, color="#333", linewidth=0.8)
        ax.legend(fontsize="small")
    else:
        _empty(ax, tr)
    ax.set_xlabel(tr(N_("Service")))
    ax.set_ylabel(tr(N_("Minutes")))
    return _save(fig, out, "accuracy")


def trend_chart(
    out: Path, tr: Translator, rows: Sequence[Mapping[str, Any]], target_min: float
) -> str:
    """Two panels per day: waits (minutes) and the rates (percent)."""
    fig = Figure(figsize=(9.0, 5.6), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    fig.suptitle(tr(N_("Headline figures per day")))
    days = [r["day"][5:] for r in rows]
    xs = list(range(len(rows)))

    def line(ax: Any, key: str, label: str, color: str, scale: float = 1.0) -> None:
        ys = [r[key] * scale if r[key] is not None else float("nan") for r in rows]
        ax.plot(xs, ys, marker="o", label=label, color=color)

    line(ax1, "mean_wait_min", tr(N_("Mean wait")), COLORS[0])
    line(ax1, "p90_wait_min", tr(N_("90th percentile wait")), COLORS[1])
    ax1.axhline(target_min, color=COLORS[3], linestyle="--", label=tr(N_("Target wait")))
    ax1.set_ylabel(tr(N_("Minutes")))
    line(ax2, "service_level", tr(N_("Service level")), COLORS[2], 100)
    line(ax2, "satisfaction_rate", tr(N_("Satisfaction rate")), COLORS[4], 100)
    line(ax2, "identification_rate", tr(N_("Identification rate")), COLORS[5], 100)
    ax2.set_ylabel("%")
    ax2.set_ylim(0, 105)
    ax2.set_xticks(xs, days, rotation=45 if len(days) > 10 else 0)
    ax2.set_xlabel(tr(N_("Day")))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="lower left")
    return _save(fig, out, "trend")


ChartFn = Callable[..., str]
