"""Branch configuration: services, counters and the rules the core applies.

Built from the `[branch]`, `[[services]]` and `[[counters]]` tables of a TOML
file (see `examples/README.md` for the full table). Validation happens once,
here, so the hot path never re-checks config; every error names the field and
the fix, because the person reading it is a technician at a branch.

The key-by-key table is in `PROTOCOL.md` beside this file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from lobbyq.core.errors import ConfigError

CUSTOMER_CLASSES: tuple[str, ...] = ("normal", "vip", "care", "appointment")
LANGS: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en", "es")
POLICY_NAMES: tuple[str, ...] = ("fifo", "priority-aging", "shortest-first", "longest-first")
TRANSFER_POLICIES: tuple[str, ...] = ("keep_arrival", "front")
COUNTER_MODES: tuple[str, ...] = ("primary", "pooled")
DEFAULT_PRIORITY_MINUTES: Mapping[str, float] = {
    "normal": 0.0,
    "vip": 10.0,
    "care": 15.0,
    "appointment": 10.0,
}

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{0,3}$")
_COUNTER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_OFFSET_RE = re.compile(r"^([+-])([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """One business type (a queue) with its numbering and time estimates."""

    code: str
    names: Mapping[str, str]
    prefix: str
    first: int
    last: int
    expected_min: float
    over_wait_min: float
    self_service: bool = False
    prepare: Mapping[str, str] = field(default_factory=dict)

    _format: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "_format", f"{self.prefix}{{:0{self.width}d}}")

    @property
    def width(self) -> int:
        """Digits printed: at least 3 (A001), more if the range needs them."""
        return max(3, len(str(self.last)))

    def display(self, number: int) -> str:
        """The number as printed and announced: prefix plus zero-padded digits."""
        return self._format.format(number)

    def name(self, lang: str = "en") -> str:
        """Name in `lang`, falling back to English, then any, then the code."""
        return (
            self.names.get(lang)
            or self.names.get("en")
            or next(iter(self.names.values()), self.code)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": dict(self.names),
            "prefix": self.prefix,
            "range": [self.first, self.last],
            "expected_min": self.expected_min,
            "over_wait_min": self.over_wait_min,
            "self_service": self.self_service,
            "prepare": dict(self.prepare),
        }


@dataclass(frozen=True, slots=True)
class CounterConfig:
    """A counter (window) and the services it serves, primary first."""

    id: str
    services: tuple[str, ...]
    mode: str = "primary"

    def serves(self, service: str) -> bool:
        return service in self.services

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "services": list(self.services), "mode": self.mode}


@dataclass(frozen=True, slots=True)
class BranchConfig:
    """Everything the core needs to know about one branch; immutable once built."""

    branch_id: str
    names: Mapping[str, str]
    services: tuple[ServiceConfig, ...]
    counters: tuple[CounterConfig, ...]
    policy: str = "fifo"
    no_show_requeues: int = 1
    transfer: str = "keep_arrival"
    rollover_min: int = 180
    utc_offset_min: int = 0
    zone: str | None = None
    rating_timeout_s: float = 60.0
    target_wait_min: float = 15.0
    call_finishes_current: bool = True
    priority_minutes: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_MINUTES)
    )
    # Derived lookups, filled in __post_init__ so the hot path is dict access.
    service: Mapping[str, ServiceConfig] = field(init=False, repr=False, compare=False)
    counter: Mapping[str, CounterConfig] = field(init=False, repr=False, compare=False)
    counters_for: Mapping[str, tuple[CounterConfig, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "service", {s.code: s for s in self.services})
        object.__setattr__(self, "counter", {c.id: c for c in self.counters})
        object.__setattr__(
            self,
            "counters_for",
            {
                s.code: tuple(c for c in self.counters if s.code in c.services)
                for s in self.services
            },
        )

    def with_policy(self, policy: str) -> BranchConfig:
        """Same branch under another dispatch policy (the simulator's --policy)."""
        _check_policy(policy)
        return _replace(self, policy=policy)

    def to_dict(self) -> dict[str, Any]:
        """The TOML-shaped dict `from_dict` accepts (round trip)."""
        sign = "-" if self.utc_offset_min < 0 else "+"
        off = abs(self.utc_offset_min)
        branch: dict[str, Any] = {
            "id": self.branch_id,
            "name": dict(self.names),
            "policy": self.policy,
            "no_show_requeues": self.no_show_requeues,
            "transfer": self.transfer,
            "rollover": f"{self.rollover_min // 60:02d}:{self.rollover_min % 60:02d}",
            "utc_offset": f"{sign}{off // 60:02d}:{off % 60:02d}",
            "rating_timeout_s": self.rating_timeout_s,
            "target_wait_min": self.target_wait_min,
            "call_finishes_current": self.call_finishes_current,
            "priority_minutes": dict(self.priority_minutes),
        }
        if self.zone is not None:
            branch["zone"] = self.zone
        return {
            "branch": branch,
            "services": [s.to_dict() for s in self.services],
            "counters": [c.to_dict() for c in self.counters],
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> BranchConfig:
        """Build and validate from a parsed TOML document; raises `ConfigError`."""
        return _parse(d)

    @staticmethod
    def default() -> BranchConfig:
        """A realistic demo branch: the four counter classes of seed 002."""
        return _parse(_DEFAULT)


def _replace(cfg: BranchConfig, **changes: Any) -> BranchConfig:
    values = {f.name: getattr(cfg, f.name) for f in fields(cfg) if f.init}
    values.update(changes)
    return BranchConfig(**values)


def _one_of(options: tuple[str, ...]) -> str:
    return "use one of " + ", ".join(repr(o) for o in options)


def _table(d: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = d.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}{key}", "must be a table", f"write it as [{key}]")
    return value


def _str(d: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = d.get(key, default)
    if value is None:
        raise ConfigError(f"{where}{key}", "is missing", f'add {key} = "..."')
    if not isinstance(value, str):
        raise ConfigError(f"{where}{key}", f"must be a string, got {value!r}", "quote it")
    return value


def _num(
    d: Mapping[str, Any], key: str, where: str, default: float, *, minimum: float = 0.0
) -> float:
    value = d.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}{key}", f"must be a number, got {value!r}", "write a number")
    if value < minimum:
        raise ConfigError(f"{where}{key}", f"must be >= {minimum}, got {value}", "raise it")
    return float(value)


def _bool(d: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}{key}", f"must be true or false, got {value!r}", "use true")
    return value


def _langs(value: Any, field_name: str, fallback: str | None) -> dict[str, str]:
    if value is None:
        return {"en": fallback} if fallback is not None else {}
    if isinstance(value, str):
        return {"en": value}
    if not isinstance(value, Mapping):
        raise ConfigError(
            field_name, "must be a string or a {lang = text} table", 'name.en = "..."'
        )
    out: dict[str, str] = {}
    for lang, text in value.items():
        if lang not in LANGS:
            raise ConfigError(f"{field_name}.{lang}", "unknown language", _one_of(LANGS))
        if not isinstance(text, str):
            raise ConfigError(f"{field_name}.{lang}", "must be a string", "quote it")
        out[lang] = text
    return out


def _parse_offset(value: str, where: str) -> int:
    m = _OFFSET_RE.match(value)
    if m is None:
        raise ConfigError(where, f"bad UTC offset {value!r}", 'write it as "+08:00"')
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return -minutes if m.group(1) == "-" else minutes


def _parse_service(s: Any, i: int) -> ServiceConfig:
    where = f"services[{i}]."
    if not isinstance(s, Mapping):
        raise ConfigError(f"services[{i}]", "must be a table", "write it as [[services]]")
    code = _str(s, "code", where)
    if not _CODE_RE.match(code):
        raise ConfigError(f"{where}code", f"bad code {code!r}", "use 1-4 capitals/digits, e.g. A")
    prefix = _str(s, "prefix", where, code)
    if not 1 <= len(prefix) <= 3:
        raise ConfigError(f"{where}prefix", f"bad prefix {prefix!r}", "use 1-3 characters")
    rng = s.get("range", [1, 999])
    if (
        not isinstance(rng, list | tuple)
        or len(rng) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in rng)
        or not 0 <= rng[0] < rng[1] <= 99999
    ):
        raise ConfigError(f"{where}range", f"bad range {rng!r}", "write range = [1, 999]")
    return ServiceConfig(
        code=code,
        names=_langs(s.get("name"), f"{where}name", code),
        prefix=prefix,
        first=int(rng[0]),
        last=int(rng[1]),
        expected_min=_num(s, "expected_min", where, 5.0, minimum=0.1),
        over_wait_min=_num(s, "over_wait_min", where, 30.0, minimum=1.0),
        self_service=_bool(s, "self_service", where, False),
        prepare=_langs(s.get("prepare", {}), f"{where}prepare", None),
    )


def _parse_counter(c: Any, i: int, codes: set[str]) -> CounterConfig:
    where = f"counters[{i}]."
    if not isinstance(c, Mapping):
        raise ConfigError(f"counters[{i}]", "must be a table", "write it as [[counters]]")
    raw_id = c.get("id")
    cid = str(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else raw_id
    if not isinstance(cid, str) or not _COUNTER_RE.match(cid):
        raise ConfigError(f"{where}id", f"bad counter id {raw_id!r}", 'use e.g. id = "1"')
    services = c.get("services")
    if not isinstance(services, list) or not services:
        raise ConfigError(f"{where}services", "is missing or empty", 'add services = ["A"]')
    for code in services:
        if code not in codes:
            raise ConfigError(
                f"{where}services", f"unknown service {code!r}", "add it to [[services]] first"
            )
    if len(set(services)) != len(services):
        raise ConfigError(f"{where}services", "lists a service twice", "list each once")
    mode = _str(c, "mode", where, "primary")
    if mode not in COUNTER_MODES:
        raise ConfigError(f"{where}mode", f"unknown mode {mode!r}", _one_of(COUNTER_MODES))
    return CounterConfig(id=cid, services=tuple(services), mode=mode)


def _parse(d: Mapping[str, Any]) -> BranchConfig:
    b = _table(d, "branch", "")
    bid = _str(b, "id", "branch.")
    if not _ID_RE.match(bid):
        raise ConfigError("branch.id", f"bad id {bid!r}", "use lower-case letters, digits, '-'")
    raw_services = d.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        raise ConfigError("services", "no services", "add at least one [[services]] table")
    services = tuple(_parse_service(s, i) for i, s in enumerate(raw_services))
    codes = [s.code for s in services]
    if len(set(codes)) != len(codes):
        raise ConfigError("services", "two services share a code", "give each a unique code")
    prefixes = [s.prefix for s in services]
    if len(set(prefixes)) != len(prefixes):
        raise ConfigError("services", "two services share a prefix", "give each its own prefix")
    raw_counters = d.get("counters")
    if not isinstance(raw_counters, list) or not raw_counters:
        raise ConfigError("counters", "no counters", "add at least one [[counters]] table")
    counters = tuple(_parse_counter(c, i, set(codes)) for i, c in enumerate(raw_counters))
    ids = [c.id for c in counters]
    if len(set(ids)) != len(ids):
        raise ConfigError("counters", "two counters share an id", "give each a unique id")
    policy = _str(b, "policy", "branch.", "fifo")
    _check_policy(policy)
    transfer = _str(b, "transfer", "branch.", "keep_arrival")
    if transfer not in TRANSFER_POLICIES:
        raise ConfigError("branch.transfer", f"unknown {transfer!r}", _one_of(TRANSFER_POLICIES))
    requeues = b.get("no_show_requeues", 1)
    if isinstance(requeues, bool) or not isinstance(requeues, int) or not 0 <= requeues <= 5:
        raise ConfigError("branch.no_show_requeues", f"bad value {requeues!r}", "use 0..5")
    rollover = _str(b, "rollover", "branch.", "03:00")
    m = _HHMM_RE.match(rollover)
    if m is None:
        raise ConfigError("branch.rollover", f"bad time {rollover!r}", 'write it as "03:00"')
    zone = b.get("zone")
    if zone is not None:
        if not isinstance(zone, str):
            raise ConfigError("branch.zone", "must be a string", 'e.g. zone = "Asia/Shanghai"')
        _check_zone(zone)
    prio_raw = _table(b, "priority_minutes", "branch.")
    prio = dict(DEFAULT_PRIORITY_MINUTES)
    for cls in prio_raw:
        if cls not in CUSTOMER_CLASSES:
            raise ConfigError(
                f"branch.priority_minutes.{cls}", "unknown class", _one_of(CUSTOMER_CLASSES)
            )
        prio[cls] = _num(prio_raw, cls, "branch.priority_minutes.", 0.0)
    return BranchConfig(
        branch_id=bid,
        names=_langs(b.get("name"), "branch.name", bid),
        services=services,
        counters=counters,
        policy=policy,
        no_show_requeues=requeues,
        transfer=transfer,
        rollover_min=int(m.group(1)) * 60 + int(m.group(2)),
        utc_offset_min=_parse_offset(
            _str(b, "utc_offset", "branch.", "+00:00"), "branch.utc_offset"
        ),
        zone=zone,
        rating_timeout_s=_num(b, "rating_timeout_s", "branch.", 60.0, minimum=1.0),
        target_wait_min=_num(b, "target_wait_min", "branch.", 15.0, minimum=1.0),
        call_finishes_current=_bool(b, "call_finishes_current", "branch.", True),
        priority_minutes=prio,
    )


def _check_policy(policy: str) -> None:
    # Imported here: the policy module depends on this one, and a policy
    # registered with `register_policy` must be accepted by name.
    from lobbyq.core.policy import POLICIES

    if policy not in POLICIES:
        names = tuple(POLICIES)
        raise ConfigError("branch.policy", f"unknown policy {policy!r}", _one_of(names))


def _check_zone(zone: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("branch.zone", f"unknown zone {zone!r}", "use an IANA name") from exc


_DEFAULT: dict[str, Any] = {
    "branch": {
        "id": "demo",
        "name": {
            "zh-Hans": "演示网点",
            "zh-Hant": "演示網點",
            "en": "Demo branch",
            "es": "Sucursal demo",
        },
        "policy": "priority-aging",
        "utc_offset": "+08:00",
        "rollover": "03:00",
        "target_wait_min": 15,
        "rating_timeout_s": 60,
    },
    "services": [
        {
            "code": "A",
            "name": {
                "zh-Hans": "开户·挂失·电子银行",
                "zh-Hant": "開戶·掛失·電子銀行",
                "en": "Accounts, cards and e-banking",
                "es": "Cuentas, tarjetas y banca en línea",
            },
            "expected_min": 12,
            "over_wait_min": 30,
            "prepare": {
                "zh-Hans": "请准备身份证原件，并提前填写开户申请表。",
                "zh-Hant": "請準備身份證原件，並提前填寫開戶申請表。",
                "en": "Bring your ID card and fill in the account form while you wait.",
                "es": "Traiga su documento de identidad y rellene el formulario mientras espera.",
            },
        },
        {
            "code": "B",
            "name": {
                "zh-Hans": "理财·基金·保险",
                "zh-Hant": "理財·基金·保險",
                "en": "Wealth, funds and insurance",
                "es": "Inversiones, fondos y seguros",
            },
            "expected_min": 15,
            "over_wait_min": 30,
            "prepare": {
                "zh-Hans": "请携带银行卡和身份证，可先阅读产品说明书。",
                "zh-Hant": "請攜帶銀行卡和身份證，可先閱讀產品說明書。",
                "en": "Bring your card and ID; you may read the product leaflet first.",
                "es": "Traiga su tarjeta y su documento; puede leer el folleto del producto.",
            },
        },
        {
            "code": "C",
            "name": {
                "zh-Hans": "对公结算·汇款",
                "zh-Hant": "對公結算·匯款",
                "en": "Payments and settlement",
                "es": "Pagos y liquidaciones",
            },
            "expected_min": 8,
            "over_wait_min": 25,
            "prepare": {
                "zh-Hans": "请提前填写汇款单或结算凭证。",
                "zh-Hant": "請提前填寫匯款單或結算憑證。",
                "en": "Fill in the transfer or settlement slip before your turn.",
                "es": "Rellene la orden de transferencia antes de su turno.",
            },
        },
        {
            "code": "D",
            "name": {
                "zh-Hans": "小额现金",
                "zh-Hant": "小額現金",
                "en": "Small cash",
                "es": "Efectivo (importes pequeños)",
            },
            "expected_min": 3,
            "over_wait_min": 20,
            "prepare": {
                "zh-Hans": "小额存取款也可使用自助设备。",
                "zh-Hant": "小額存取款也可使用自助設備。",
                "en": "Small deposits and withdrawals can also be done at the machines.",
                "es": "Los depósitos y retiros pequeños también se hacen en los cajeros.",
            },
        },
    ],
    "counters": [
        {"id": "1", "services": ["A", "D"]},
        {"id": "2", "services": ["B", "A"]},
        {"id": "3", "services": ["C", "D"]},
        {"id": "4", "services": ["D", "C", "A"]},
    ],
}
