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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.i18n import Catalogs
from lobbyq.core.config import BranchConfig
from lobbyq.core.errors import Problem
from lobbyq.core.fields import Fields, raise_if, read_toml
from lobbyq.runtime.i18n import LANGS, N_

#: Services the seeds name as machine work (withdrawal, bill payment, transfer)
#: are flagged per branch; these words only seed the default cash group.
DEFAULT_GROUP_NAMES = (N_("Cash"), N_("Non-cash"))
ZONE_TEMPLATE = N_("Counters {counters}")
MACHINE_WHERE_DEFAULT = N_("The self-service machines are by the entrance, on your left.")


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


KIOSK_KEYS = (
    "device",
    "idle_s",
    "ticket_s",
    "slide_s",
    "debounce_s",
    "dpi",
    "default_lang",
    "printer_profile",
    "machine_services",
    "machine_where",
    "groups",
    "zones",
)


def _translated(catalogs: Catalogs, message: str, **values: object) -> dict[str, str]:
    return {lang: catalogs[lang].format(message, **values) for lang in catalogs.langs()}


def _codes(f: Fields, key: str, codes: list[str], *, empty_ok: bool = False) -> list[str] | None:
    """A list of the branch's service codes; anything else is a problem."""
    value = f.table.get(key)
    if not isinstance(value, list) or not (value or empty_ok):
        f.add(key, "must be a non-empty list of service codes", f"write {key} = {codes[:2]!r}")
        return None
    unknown = [c for c in value if c not in codes]
    if unknown:
        f.add(key, f"unknown services {unknown!r}", f"use codes from [[services]]: {codes}")
        return None
    return list(value)


def build_content(
    config: BranchConfig,
    kiosk: Mapping[str, Any],
    catalogs: Catalogs,
    slides: Sequence[Slide] = (),
    *,
    source: str = "branch config",
) -> Content:
    """Merge the core's branch config with the ``[kiosk]`` table (see the module table).

    Raises one `ConfigError` naming every wrong ``kiosk.*`` key and its fix.
    """
    problems: list[Problem] = []
    f = Fields(kiosk, "kiosk", problems)
    f.unknown_keys(KIOSK_KEYS)
    codes = [s.code for s in config.services]
    machine = {s.code for s in config.services if s.self_service}
    if f.has("machine_services"):
        machine = set(_codes(f, "machine_services", codes, empty_ok=True) or ())
    zf = Fields(f.table_of("zones"), "kiosk.zones", problems)
    zf.unknown_keys(codes)
    services = []
    for s in config.services:
        if zf.has(s.code):
            zone = zf.texts(s.code, LANGS)
        else:
            counters = ", ".join(c.id for c in config.counters_for.get(s.code, ()))
            zone = _translated(catalogs, ZONE_TEMPLATE, counters=counters or "-")
        services.append(
            ServiceInfo(s.code, dict(s.names), dict(s.prepare), zone, s.code in machine)
        )
    groups = _groups(f, codes, catalogs, machine)
    machine_where = (
        f.texts("machine_where", LANGS)
        if f.has("machine_where")
        else _translated(catalogs, MACHINE_WHERE_DEFAULT)
    )
    device = f.string("device", example="kiosk-1")
    lang = f.choice("default_lang", LANGS, default="zh-Hans")
    profile = f.string("printer_profile", example="cn80")
    idle_s = f.number("idle_s", above=True, example=30)
    ticket_s = f.number("ticket_s", above=True, example=20)
    slide_s = f.number("slide_s", above=True, example=8)
    dpi = f.number("dpi", above=True, example=150)
    debounce_s = f.number("debounce_s", low=0.0, example=0.25)
    raise_if(problems, source)
    return Content(
        branch_id=config.branch_id,
        branch_names=dict(config.names),
        services=tuple(services),
        groups=groups,
        machine_where=machine_where,
        slides=tuple(slides),
        device=device if device is not None else "kiosk-1",
        idle_s=idle_s if idle_s is not None else 30.0,
        ticket_s=ticket_s if ticket_s is not None else 20.0,
        slide_s=slide_s if slide_s is not None else 8.0,
        dpi=dpi if dpi is not None else 150.0,
        debounce_s=debounce_s if debounce_s is not None else 0.25,
        default_lang=lang,
        printer_profile=profile if profile is not None else "cn80",
    )


def _groups(
    f: Fields, codes: list[str], catalogs: Catalogs, machine: set[str]
) -> tuple[Group, ...]:
    if not f.has("groups"):
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
    entries = f.tables("groups", example="kiosk.groups")
    if not entries and isinstance(f.table["groups"], list):
        f.add("groups", "is empty", "add [[kiosk.groups]] tables, or remove the key")
    out = []
    seen: set[str] = set()
    for i, g in enumerate(entries):
        gf = Fields(g, f"kiosk.groups[{i}]", f.problems)
        gf.unknown_keys(("name", "services"))
        svc = _codes(gf, "services", codes)
        if svc is None:
            continue
        seen.update(svc)
        out.append(Group(gf.texts("name", LANGS, fallback=""), tuple(svc)))
    missing = [c for c in codes if c not in seen]
    if entries and missing:
        f.add(
            "groups",
            f"leaves out services {missing}",
            "put every service in a group's services list",
        )
    return tuple(out)


def load_slides(folder: Path) -> tuple[Slide, ...]:
    """Info slides from ``*.toml`` files, in their ``order``; one `ConfigError` per bad file."""
    found: list[tuple[float, str, Slide]] = []
    if not folder.is_dir():
        return ()
    for path in sorted(folder.glob("*.toml")):
        doc = read_toml(path, fix=f"fix or remove the slide file in {folder.name}/")
        problems: list[Problem] = []
        f = Fields(doc, "", problems)
        f.unknown_keys(("order", "title", "body"))
        order = f.number("order", low=None, example=1)
        slide = Slide(f.texts("title", LANGS, fallback=""), f.texts("body", LANGS, fallback=""))
        raise_if(problems, str(path))
        found.append((order if order is not None else 0.0, path.name, slide))
    return tuple(s for _, _, s in sorted(found, key=lambda t: (t[0], t[1])))


def default_assets_dir() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "assets"
