"""The report reads event logs as strict JSON: a NaN or Infinity names its line, never a figure."""

from __future__ import annotations

from pathlib import Path

import pytest

from lobbyq.report.source import EventSourceError, jsonl_events


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_non_json_number_in_an_event_file_is_refused_with_its_line(
    tmp_path: Path, bad: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"kind":"ticket_issued","at":1.0}\n' + f'{{"kind":"ticket_called","at":{bad}}}\n',
        encoding="utf-8",
    )
    events = jsonl_events(path)
    assert next(events)["kind"] == "ticket_issued"
    with pytest.raises(EventSourceError, match=r"events\.jsonl:2: not a JSON event"):
        next(events)
