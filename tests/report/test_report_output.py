"""A whole report on disk: self-contained HTML, real charts, CSVs, no identity, CJK faces."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import html5lib
import pytest
from PIL import Image

from lobbyq.core import BranchConfig
from lobbyq.report import cli
from lobbyq.report.build import Written, write_report
from tests.report.conftest import DAY, SCENARIO


@pytest.fixture(scope="module", params=["zh-Hans", "en"])
def report(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    day_events: list[dict[str, Any]],
    branch_config: BranchConfig,
) -> Written:
    out = tmp_path_factory.mktemp(f"report-{request.param}")
    return write_report(iter(day_events), branch_config, DAY, DAY, out, request.param)


def test_html_parses_and_names_no_url(report: Written) -> None:
    text = (report.out / "index.html").read_text(encoding="utf-8")
    doc = html5lib.parse(text, namespaceHTMLElements=False)
    refs = [el.get("src") or el.get("href") for el in doc.iter() if el.get("src") or el.get("href")]
    assert refs and all("://" not in r and not r.startswith("//") for r in refs)
    assert "http://" not in text and "https://" not in text
    for ref in refs:
        assert (report.out / ref).is_file(), ref


def test_every_chart_is_a_non_blank_png_with_its_svg(report: Written) -> None:
    assert len(report.charts) == 6
    for name in report.charts:
        with Image.open(report.out / name) as im:
            lo, hi = im.convert("L").getextrema()
            assert hi - lo > 100, f"{name} looks blank"
            assert im.width > 500
        assert (report.out / name.replace(".png", ".svg")).stat().st_size > 1000


def test_one_csv_per_table(report: Written) -> None:
    assert set(report.csvs) == {
        "headline.csv", "services.csv", "counters.csv", "tellers.csv", "accuracy.csv",
    }  # fmt: skip
    with (report.out / "services.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["A", "B", "C", "D"]
    assert sum(int(r["issued"]) for r in rows) > 200


def test_no_identity_anywhere_in_the_output(report: Written, day_events: list[dict]) -> None:
    secrets = {e[k] for e in day_events for k in ("identity_hash", "identity_masked") if e.get(k)}
    assert len(secrets) > 50  # the day has identified customers
    for path in report.out.iterdir():
        data = path.read_bytes().decode("utf-8", errors="replace")
        assert "identity_hash" not in data and "identity_masked" not in data
        assert not [s for s in secrets if s in data], path.name


def test_the_page_is_in_its_language(report: Written) -> None:
    text = (report.out / "index.html").read_text(encoding="utf-8")
    if 'lang="zh-Hans"' in text:
        assert "服务水平" in text and "开户·挂失·电子银行" in text
    else:
        assert 'lang="en"' in text and "Service level" in text


def test_cli_reads_the_engine_log_read_only_while_a_writer_holds_it(
    tmp_path: Path, day_events: list[dict[str, Any]]
) -> None:
    db = tmp_path / "events.sqlite3"
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, at REAL, kind TEXT, "
                "command_id TEXT, body TEXT)")  # fmt: skip
    con.executemany(
        "INSERT INTO events (at, kind, body) VALUES (?, ?, ?)",
        [(e["at"], e["kind"], json.dumps(e)) for e in day_events],
    )
    con.commit()
    con.execute("BEGIN IMMEDIATE")  # the engine in the middle of a write
    con.execute("INSERT INTO events (at, kind, body) VALUES (0, 'x', '{}')")
    out = tmp_path / "out"
    parser = __import__("argparse").ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["--db", str(db), "--branch-config", str(SCENARIO), "--day", DAY,
                              "--out", str(out), "--lang", "es"])  # fmt: skip
    assert cli.run(args) == 0
    con.commit()  # the writer was never blocked
    assert "Nivel de servicio" in (out / "index.html").read_text(encoding="utf-8")
    con.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["--day", DAY, "--from", DAY, "--to", DAY],
        ["--from", "2026-01-07", "--to", "2026-01-06"],
        ["--from", "2026-01-07"],
    ],
)
def test_cli_refuses_a_bad_span(tmp_path: Path, argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["--events", str(tmp_path / "x"), "--out", str(tmp_path), *argv])
    assert cli.run(args) == 2


def test_cli_reports_a_missing_log(tmp_path: Path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    cli.configure(parser)
    args = parser.parse_args(["--db", str(tmp_path / "none"), "--day", DAY, "--out", str(tmp_path)])
    assert cli.run(args) == 2
    assert not (tmp_path / "none").exists()
