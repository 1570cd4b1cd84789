"""The report's tables: one column list each, shared by the HTML page and the CSV files.

A `Table` has stable column keys (the CSV header, for head office's tools)
and translated labels (the page). Cells are raw values; `fmt` renders them
for people. Only figures enter a table: no ticket, identity or name field of
a customer is ever read here.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lobbyq.report.i18n import N_, Translator

RATE_KEYS = {
    "service_level", "no_show_rate", "cancelled_rate", "identification_rate",
    "unrated_rate", "satisfaction_rate",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of one table: `columns` are (key, English label) pairs."""

    name: str
    title: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[Mapping[str, Any], ...]

    def write_csv(self, out: Path) -> str:
        """`<name>.csv`, UTF-8 with a byte-order mark so spreadsheets read Chinese right."""
        path = out / f"{self.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow([k for k, _ in self.columns])
            for row in self.rows:
                w.writerow(["" if row.get(k) is None else row.get(k) for k, _ in self.columns])
        return path.name


def fmt(key: str, value: Any) -> str:
    """A cell for people: rates as percent, minutes to one decimal, '–' for none."""
    if value is None:
        return "–"
    if key in RATE_KEYS:
        return f"{100 * value:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


HEADLINE_COLS: tuple[tuple[str, str], ...] = (
    ("figure", N_("Figure")),
    ("value", N_("Value")),
    ("target", N_("Target")),
    ("met", N_("Met")),
)

HEADLINE_FIGURES: tuple[tuple[str, str], ...] = (
    ("tickets", N_("Tickets issued")),
    ("served", N_("Served")),
    ("mean_wait_min", N_("Mean wait (min)")),
    ("p90_wait_min", N_("90th percentile wait (min)")),
    ("service_level", N_("Service level")),
    ("no_show_rate", N_("No-show rate")),
    ("cancelled_rate", N_("Cancelled rate")),
    ("over_wait_alerts", N_("Over-long waits")),
    ("identification_rate", N_("Identification rate")),
    ("unrated_rate", N_("Unrated rate")),
    ("satisfaction_rate", N_("Satisfaction rate")),
    ("mean_service_min", N_("Mean service time (min)")),
)

# Figures with a branch target: (direction, target key in `targets`).
_TARGETED = {
    "mean_wait_min": ("max", "target_wait_min"),
    "p90_wait_min": ("max", "target_wait_min"),
    "service_level": ("min", "service_level"),
    "over_wait_alerts": ("max", "over_wait_alerts"),
}


def headline_table(h: Mapping[str, Any], targets: Mapping[str, float]) -> Table:
    rows = []
    for key, label in HEADLINE_FIGURES:
        value = h.get(key)
        target = met = None
        if key in _TARGETED:
            way, tkey = _TARGETED[key]
            target = targets[tkey]
            if value is not None:
                met = value <= target if way == "max" else value >= target
        rows.append({"figure": key, "label": label, "value": value, "target": target, "met": met})
    return Table("headline", N_("Headline figures"), HEADLINE_COLS, tuple(rows))


STATS_COLS: tuple[tuple[str, str], ...] = (
    ("issued", N_("Issued")),
    ("called", N_("Called")),
    ("recalls", N_("Recalls")),
    ("served", N_("Served")),
    ("no_shows", N_("No-shows")),
    ("cancelled", N_("Cancelled")),
    ("transferred", N_("Transferred")),
    ("over_wait_alerts", N_("Over-long waits")),
    ("wait_mean_min", N_("Mean wait (min)")),
    ("wait_p90_min", N_("90th percentile wait (min)")),
    ("service_mean_min", N_("Mean service time (min)")),
    ("rated", N_("Rated")),
    ("unrated", N_("Unrated")),
    ("satisfaction_rate", N_("Satisfaction rate")),
    ("identification_rate", N_("Identification rate")),
)


def stats_table(
    name: str,
    title: str,
    key_label: str,
    blocks: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str] | None = None,
) -> Table:
    """A `lobbyq stats` block per row (service, counter or teller)."""
    has_issue = any("issued" in b for b in blocks.values())
    cols = tuple(
        c for c in STATS_COLS if has_issue or c[0] not in ("issued", "identification_rate")
    )
    rows = []
    for key, b in blocks.items():
        row: dict[str, Any] = {"id": key, "name": (names or {}).get(key, key)}
        row.update({k: b.get(k) for k, _ in cols if k in b})
        row["wait_mean_min"] = round(b["wait_s"]["mean"] / 60, 1) if b["wait_s"]["n"] else None
        row["wait_p90_min"] = round(b["wait_s"]["p90"] / 60, 1) if b["wait_s"]["n"] else None
        row["service_mean_min"] = (
            round(b["service_s"]["mean"] / 60, 1) if b["service_s"]["n"] else None
        )
        rows.append(row)
    return Table(name, title, (("id", key_label), *cols), tuple(rows))


ACCURACY_COLS: tuple[tuple[str, str], ...] = (
    ("id", N_("Service")),
    ("n", N_("Tickets")),
    ("mae_min", N_("Mean absolute error (min)")),
    ("bias_min", N_("Bias, quoted minus real (min)")),
)


def accuracy_table(acc: Mapping[str, Mapping[str, Any]]) -> Table:
    rows = []
    for key, a in acc.items():
        rows.append({
            "id": key, "n": a["n"],
            "mae_min": None if a["mae_s"] is None else round(a["mae_s"] / 60, 1),
            "bias_min": None if a["bias_s"] is None else round(a["bias_s"] / 60, 1),
        })  # fmt: skip
    return Table("accuracy", N_("Estimate accuracy"), ACCURACY_COLS, tuple(rows))


def trend_table(rows: Sequence[Mapping[str, Any]]) -> Table:
    cols = (("day", N_("Day")), *HEADLINE_FIGURES)
    return Table("trend", N_("Headline figures per day"), cols, tuple(rows))


def translated(table: Table, tr: Translator) -> list[str]:
    """The column labels of `table` in the report's language."""
    return [tr(label) for _, label in table.columns]
