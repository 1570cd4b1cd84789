"""Make a report: figures, charts, CSV files and one self-contained HTML page.

`write_report(events, config, first, last, out, lang)` writes into `out`:

| file | content |
|---|---|
| index.html | the page: inline CSS, charts as relative `<img>` PNGs beside it, no URL |
| *.png, *.svg | each chart (flow, waits, service_times, ratings, over_waits, accuracy; trend) |
| headline.csv | figure, value, target, met (daily report) |
| services.csv, counters.csv, tellers.csv | the `lobbyq stats` figures per row |
| accuracy.csv | quoted against real wait per service |
| trend.csv | headline figures per day (period report) |

One day gives the daily report; several give the period report (the trend)
followed by the whole period's figures. The same function serves the console.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lobbyq.core.config import BranchConfig
from lobbyq.core.dayclock import branch_tz
from lobbyq.report.figures import (
    DEFAULT_SERVICE_LEVEL_TARGET,
    DayFigures,
    collect,
    count_in_bins,
    trend,
)
from lobbyq.report.fonts import find_cjk_face
from lobbyq.report.i18n import N_, translator
from lobbyq.report.tables import (
    Table,
    accuracy_table,
    fmt,
    headline_table,
    stats_table,
    translated,
    trend_table,
)

DEFINITIONS: tuple[tuple[str, str], ...] = (
    (
        N_("Wait"),
        N_(
            "First call minus issue. A recall repeats the call and is no new wait; "
            "a ticket called again after a no-show keeps its first wait; a transfer "
            "keeps the wait of the first service."
        ),
    ),
    (
        N_("Service level"),
        N_("Tickets first called within the branch's target wait, over tickets called."),
    ),
    (
        N_("No-show rate"),
        N_(
            "Tickets dropped after the customer did not come, over tickets "
            "issued (a ticket put back once is not dropped)."
        ),
    ),
    (N_("Cancelled rate"), N_("Tickets whose customer left (cancelled), over tickets issued.")),
    (N_("Over-long waits"), N_("Tickets that waited past their service's over-wait threshold.")),
    (
        N_("Identification rate"),
        N_(
            "Tickets taken with a card, an ID or a QR code, over "
            "tickets issued. No identity appears in this report."
        ),
    ),
    (N_("Unrated rate"), N_("Services left unrated, over services rated or left unrated.")),
    (N_("Satisfaction rate"), N_("Ratings in the top two values of their scale, over ratings.")),
    (N_("Service time"), N_("Call to finish of the service that finished the ticket.")),
    (
        N_("Estimate accuracy"),
        N_(
            "Wait quoted on the ticket at issue minus the real wait: "
            "the bias is its mean (above zero: the ticket promised "
            "longer than it took), the error its mean size."
        ),
    ),
    (
        N_("Counters open"),
        N_("Minutes counters were open (not paused or closed) in each 15 minutes, over 15."),
    ),
)


@dataclass(frozen=True, slots=True)
class Written:
    """What a report wrote: the page, the charts, the CSV files (names inside `out`)."""

    out: Path
    charts: tuple[str, ...]
    csvs: tuple[str, ...]


def _merged(days: Mapping[str, DayFigures]) -> DayFigures:
    """All days of a period folded into one (for the period's own tables and charts)."""
    if len(days) == 1:
        return next(iter(days.values()))
    from lobbyq.report.stats import DayTally, Tally

    whole = DayFigures("period", DayTally())

    def join(dst: Tally, src: Tally) -> None:
        for name in Tally.__dataclass_fields__:
            a, b = getattr(dst, name), getattr(src, name)
            if isinstance(a, int):
                setattr(dst, name, a + b)
            elif isinstance(a, list):
                a.extend(b)
            elif isinstance(a, dict):
                for k, v in b.items():
                    a[k] = a.get(k, 0) + v

    for fig in days.values():
        t = fig.tally
        join(whole.tally.branch, t.branch)
        for attr in ("service", "counter", "teller"):
            mine = getattr(whole.tally, attr)
            for k, v in getattr(t, attr).items():
                join(mine.setdefault(k, Tally()), v)
        for k, n in t.hour_issued.items():
            whole.tally.hour_issued[k] = whole.tally.hour_issued.get(k, 0) + n
        for k, ws in t.hour_waits.items():
            whole.tally.hour_waits.setdefault(k, []).extend(ws)
        for k, a in fig.accuracy.items():
            whole.accuracy.setdefault(k, type(a)()).errors.extend(a.errors)
    return whole


def write_report(
    events: Iterable[Mapping[str, Any]],
    config: BranchConfig,
    first: str,
    last: str,
    out: Path,
    lang: str = "zh-Hans",
    generated: str = "",
) -> Written:
    """Write the daily (first == last) or period report of `events` into `out`."""
    from lobbyq.report import charts
    from lobbyq.report.html import render_page

    tr = translator(lang)
    face = find_cjk_face(lang)
    tz = branch_tz(config)
    out.mkdir(parents=True, exist_ok=True)
    days = collect(events, config, first, last)
    target = config.target_wait_min
    targets = {
        "target_wait_min": target,
        "service_level": DEFAULT_SERVICE_LEVEL_TARGET,
        "over_wait_alerts": 0,
    }
    whole = _merged(days)
    stats = whole.stats()
    names = {s.code: s.name(lang) for s in config.services}
    tables: list[Table] = []
    chart_files: list[str] = []
    period = first != last
    with charts.font_context(lang, face):
        if period:
            rows = trend(days, target)
            tables.append(trend_table(rows))
            chart_files.append(charts.trend_chart(out, tr, rows, target))
        tables.append(headline_table(whole.headline(target), targets))
        tables.append(
            stats_table("services", N_("Per service"), N_("Service"), stats["by_service"], names)
        )
        tables.append(
            stats_table("counters", N_("Per counter"), N_("Counter"), stats["by_counter"])
        )
        tables.append(stats_table("tellers", N_("Per teller"), N_("Teller"), stats["by_teller"]))
        acc = {k: whole.accuracy[k].to_dict() for k in sorted(whole.accuracy)}
        tables.append(accuracy_table(acc))
        if not period:
            bins = whole.bins(tz)
            chart_files.append(
                charts.flow_chart(
                    out,
                    tr,
                    tz,
                    bins,
                    count_in_bins(whole.arrivals, bins),
                    count_in_bins(whole.finishes, bins),
                    whole.counters_open(bins),
                )
            )
        t = whole.tally
        chart_files.append(
            charts.wait_chart(out, tr, {k: t.service[k].waits for k in stats["by_service"]}, target)
        )
        chart_files.append(
            charts.service_time_chart(
                out, tr, {k: t.service[k].service_times for k in stats["by_service"]}
            )
        )
        chart_files.append(charts.ratings_chart(out, tr, stats["by_teller"]))
        if not period:
            bins = whole.bins(tz)
            chart_files.append(
                charts.alerts_chart(out, tr, tz, bins, count_in_bins(whole.alerts, bins))
            )
        chart_files.append(charts.accuracy_chart(out, tr, acc))
    csvs = [table.write_csv(out) for table in tables]
    page = render_page(
        tr=tr,
        lang=lang,
        branch=config.names.get(lang) or config.names.get("en") or config.branch_id,
        first=first,
        last=last,
        tables=tables,
        charts=chart_files,
        definitions=DEFINITIONS,
        fmt=fmt,
        translated=translated,
        generated=generated,
        target_wait_min=target,
    )
    (out / "index.html").write_text(page, encoding="utf-8")
    return Written(out, tuple(chart_files), tuple(csvs))
