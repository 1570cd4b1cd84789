"""What the kiosk shows besides the flow: branch, menu groups, zones, slides.

Built once from the branch config file. The queue core's tables
(``[branch]``, ``[[services]]``, ``[[counters]]``) say what the services are;
the optional ``[kiosk]`` table says how the lobby presents them. Every key is
optional and has a default derived from the core's tables:

| key | type | default | meaning |
|---|---|---|---|
| kiosk.device | str | "kiosk-1" | device id on MQTT |
| kiosk.idle_s | number | 30 | back to welcome after this long without a touch |
| kiosk.ticket_s | number | 20 | how long the ticket screen stays up |
| kiosk.slide_s | number | 8 | seconds per info slide on the welcome screen |
| kiosk.debounce_s | number | 0.25 | taps this soon after a screen change are ignored |
| kiosk.dpi | number | 150 | panel pixels per inch (15 mm touch targets are computed from it) |
| kiosk.default_lang | str | "zh-Hans" | language the welcome screen starts in |
| kiosk.printer_profile | str | "cn80" | ``drivers.printer.profiles`` name |
| kiosk.machine_services | [code] | ``self_service`` ones | suggest a machine first for these |
| kiosk.machine_where | {lang: str} | "self-service area" text | where the machines are |
| kiosk.groups[].name | {lang: str} | "Cash", "Non-cash" | menu group heading |
| kiosk.groups[].services | [code] | cash / non-cash split | the group's services, in order |
| kiosk.zones.<code> | {lang: str} | "Counters 1, 4" | where to wait for that service |

Slides live in ``assets/slides/*.toml`` (``title`` and ``body`` tables by
language, ``order`` number) and are shown in ``order``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.i18n import LANGS, N_, Catalogs
from kiosk.ui import KioskError
from lobbyq.core.config import BranchConfig

#: Services the seeds name as machine work (withdrawal, bill payment, transfer)
#: are flagged per branch; these words only seed the default cash group.
DEFAULT_GROUP_NAMES = (N_("Cash"), N_("Non-cash"))
ZONE_TEMPLATE = N_("Counters {counters}")
MACHINE_WHERE_DEFAULT = N_("The self-service machines are by the entrance, on your left.")


class ContentError(KioskError, ValueError):
    """A ``[kiosk]`` table or a slide file the kiosk cannot use; the text names the key."""


@dataclass(frozen=True, slots=True)
class Group:
    names: Mapping[str, str]
    services: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Slide:
    title: Mapping[str, str]
    body: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    code: str
    names: Mapping[str, str]
    prepare: Mapping[str, str]
    zone: Mapping[str, str]
    machine: bool


@dataclass(frozen=True, slots=True)
class Content:
    """Everything the screens and the ticket print besides the flow state."""

    branch_id: str
    branch_names: Mapping[str, str]
    services: tuple[ServiceInfo, ...]
    groups: tuple[Group, ...]
    machine_where: Mapping[str, str]
    slides: tuple[Slide, ...] = ()
    device: str = "kiosk-1"
    idle_s: float = 30.0
    ticket_s: float = 20.0
    slide_s: float = 8.0
    dpi: float = 150.0
    debounce_s: float = 0.25
    default_lang: str = "zh-Hans"
    printer_profile: str = "cn80"
    by_code: Mapping[str, ServiceInfo] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {s.code: s for s in self.services})

    def branch_name(self, lang: str) -> str:
        return pick(self.branch_names, lang, self.branch_id)

    def service_name(self, code: str, lang: str) -> str:
        info = self.by_code.get(code)
        return pick(info.names, lang, code) if info else code


def pick(texts: Mapping[str, str], lang: str, fallback: str = "") -> str:
    """Text in ``lang``, else English, else the first given, else ``fallback``."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), fallback)


def _langs(value: Any, where: str) -> dict[str, str]:
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, Mapping):
        raise ContentError(f"{where} must be a string or a table of languages")
    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGS or not isinstance(text, str):
            raise ContentError(f"{where}.{lang}: use languages {', '.join(LANGS)} with text")
        out[lang] = text
    return out


def _translated(catalogs: Catalogs, message: str, **values: object) -> dict[str, str]:
    return {lang: catalogs[lang].format(message, **values) for lang in catalogs.langs()}


def _num(table: Mapping[str, Any], key: str, default: float, *, zero_ok: bool = False) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ContentError(f"kiosk.{key} must be a positive number")
    if value == 0 and not zero_ok:
        raise ContentError(f"kiosk.{key} must be a positive number")
    return float(value)


def build_content(
    config: BranchConfig,
    kiosk: Mapping[str, Any],
    catalogs: Catalogs,
    slides: Sequence[Slide] = (),
) -> Content:
    """Merge the core's branch config with the ``[kiosk]`` table (see the module table)."""
    codes = [s.code for s in config.services]
    raw_machine = kiosk.get("machine_services")
    if raw_machine is None:
        machine = {s.code for s in config.services if s.self_service}
    elif isinstance(raw_machine, list) and all(c in codes for c in raw_machine):
        machine = set(raw_machine)
    else:
        raise ContentError(f"kiosk.machine_services must list service codes from {codes}")
    zones_raw = kiosk.get("zones", {})
    if not isinstance(zones_raw, Mapping):
        raise ContentError("kiosk.zones must be a table of service code -> text")
    services = []
    for s in config.services:
        if s.code in zones_raw:
            zone = _langs(zones_raw[s.code], f"kiosk.zones.{s.code}")
        else:
            counters = ", ".join(c.id for c in config.counters_for.get(s.code, ()))
            zone = _translated(catalogs, ZONE_TEMPLATE, counters=counters or "-")
        services.append(
            ServiceInfo(s.code, dict(s.names), dict(s.prepare), zone, s.code in machine)
        )
    groups = _groups(kiosk.get("groups"), codes, catalogs, machine)
    where = kiosk.get("machine_where")
    machine_where = (
        _langs(where, "kiosk.machine_where")
        if where is not None
        else _translated(catalogs, MACHINE_WHERE_DEFAULT)
    )
    device = kiosk.get("device", "kiosk-1")
    lang = kiosk.get("default_lang", "zh-Hans")
    profile = kiosk.get("printer_profile", "cn80")
    if not isinstance(device, str) or lang not in LANGS or not isinstance(profile, str):
        raise ContentError("kiosk.device, kiosk.default_lang and kiosk.printer_profile: bad value")
    return Content(
        branch_id=config.branch_id,
        branch_names=dict(config.names),
        services=tuple(services),
        groups=groups,
        machine_where=machine_where,
        slides=tuple(slides),
        device=device,
        idle_s=_num(kiosk, "idle_s", 30.0),
        ticket_s=_num(kiosk, "ticket_s", 20.0),
        slide_s=_num(kiosk, "slide_s", 8.0),
        dpi=_num(kiosk, "dpi", 150.0),
        debounce_s=_num(kiosk, "debounce_s", 0.25, zero_ok=True),
        default_lang=lang,
        printer_profile=profile,
    )


def _groups(raw: Any, codes: list[str], catalogs: Catalogs, machine: set[str]) -> tuple[Group, ...]:
    if raw is None:
        # Seed 002: split cash from non-cash. Without a table, the machine-able
        # services and any whose code the branch marks cash go first.
        cash = [c for c in codes if c in machine or c == "D"]
        other = [c for c in codes if c not in cash]
        groups = []
        if cash:
            groups.append(Group(_translated(catalogs, DEFAULT_GROUP_NAMES[0]), tuple(cash)))
        if other:
            groups.append(Group(_translated(catalogs, DEFAULT_GROUP_NAMES[1]), tuple(other)))
        return tuple(groups)
    if not isinstance(raw, list) or not raw:
        raise ContentError("kiosk.groups must be a list of [[kiosk.groups]] tables")
    out = []
    seen: set[str] = set()
    for i, g in enumerate(raw):
        if not isinstance(g, Mapping):
            raise ContentError(f"kiosk.groups[{i}] must be a table")
        svc = g.get("services")
        if not isinstance(svc, list) or not svc or not all(c in codes for c in svc):
            raise ContentError(f"kiosk.groups[{i}].services must list codes from {codes}")
        seen.update(svc)
        out.append(Group(_langs(g.get("name", ""), f"kiosk.groups[{i}].name"), tuple(svc)))
    missing = [c for c in codes if c not in seen]
    if missing:
        raise ContentError(f"kiosk.groups leaves out services {missing}: every one needs a group")
    return tuple(out)


def load_slides(folder: Path) -> tuple[Slide, ...]:
    """Info slides from ``*.toml`` files, in their ``order``."""
    found: list[tuple[float, str, Slide]] = []
    if not folder.is_dir():
        return ()
    for path in sorted(folder.glob("*.toml")):
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ContentError(f"slide {path.name}: {exc}") from exc
        order = doc.get("order", 0)
        if not isinstance(order, int | float):
            raise ContentError(f"slide {path.name}: order must be a number")
        slide = Slide(
            _langs(doc.get("title", ""), f"{path.name}: title"),
            _langs(doc.get("body", ""), f"{path.name}: body"),
        )
        found.append((float(order), path.name, slide))
    return tuple(s for _, _, s in sorted(found, key=lambda t: (t[0], t[1])))


def default_assets_dir() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "assets"
