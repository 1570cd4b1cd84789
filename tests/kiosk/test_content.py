"""The kiosk's [kiosk] table and slide files: every problem at once, each with its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.i18n import Catalogs
from kiosk.ui.content import build_content, default_assets_dir, load_slides
from lobbyq.core import BranchConfig, ConfigError


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load(default_assets_dir() / "locale")


def test_every_problem_of_the_kiosk_table_is_listed_at_once(catalogs: Catalogs) -> None:
    kiosk = {
        "idle_s": 0,
        "default_lang": "fr",
        "machine_services": ["D", "Z"],
        "zones": {"A": {"en": "Counters 1, 2", "de": "Schalter 1"}, "Q": "nowhere"},
        "groups": [{"name": "Cash", "services": ["D"]}, {"services": []}],
        "ticket_seconds": 20,
    }
    with pytest.raises(ConfigError) as err:
        build_content(BranchConfig.default(), kiosk, catalogs, source="queue.toml")
    by_field = {p.field: p for p in err.value.problems}
    assert set(by_field) == {
        "kiosk.ticket_seconds",
        "kiosk.machine_services",
        "kiosk.zones.Q",
        "kiosk.zones.A.de",
        "kiosk.groups[1].services",
        "kiosk.groups",
        "kiosk.default_lang",
        "kiosk.idle_s",
    }
    assert all(p.fix for p in err.value.problems)
    assert "did you mean 'ticket_s'" in by_field["kiosk.ticket_seconds"].fix
    assert "unknown services ['Z']" in by_field["kiosk.machine_services"].problem
    assert "leaves out services ['A', 'B', 'C']" in by_field["kiosk.groups"].problem
    assert "above 0" in by_field["kiosk.idle_s"].fix
    assert str(err.value).startswith("queue.toml: 8 problems\n")


def test_a_valid_table_and_the_defaults(catalogs: Catalogs) -> None:
    config = BranchConfig.default()
    content = build_content(config, {"idle_s": 45, "machine_services": []}, catalogs)
    assert content.idle_s == 45.0 and content.debounce_s == 0.25
    assert not any(s.machine for s in content.services)
    assert [g.services for g in content.groups] == [("D",), ("A", "B", "C")]


def test_a_bad_slide_file_names_its_fields(tmp_path: Path) -> None:
    (tmp_path / "01.toml").write_text(
        'order = "first"\ntitle = { en = "Hello", fr = "Bonjour" }\nbdy = "x"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_slides(tmp_path)
    assert set(err.value.fields) == {"order", "title.fr", "bdy"}
    assert err.value.source == str(tmp_path / "01.toml")
    (tmp_path / "01.toml").write_text("order = [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_slides(tmp_path)
    assert err.value.fields == ("file",)
