"""Branch configuration: services, counters and the rules the core applies.

Built from the `[branch]`, `[[services]]` and `[[counters]]` tables of a TOML
file (see `examples/README.md` for the full table). Validation happens once,
here, so the hot path never re-checks config; one `ConfigError` lists every
problem at once, each naming the field and the fix, because the person
reading it is a technician at a branch. `load_branch_config` is the one
loader the engine, kiosk, counter and display read the file with.

The key-by-key table is in `PROTOCOL.md` beside this file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from lobbyq.core.errors import ConfigError, Problem
from lobbyq.core.fields import Fields, raise_if, read_toml

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

BRANCH_SOURCE = "branch config"
BRANCH_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "policy",
    "no_show_requeues",
    "transfer",
    "rollover",
    "utc_offset",
    "zone",
    "rating_timeout_s",
    "target_wait_min",
    "call_finishes_current",
    "priority_minutes",
)
SERVICE_KEYS: tuple[str, ...] = (
    "code",
    "name",
    "prefix",
    "range",
    "expected_min",
    "over_wait_min",
    "self_service",
    "prepare",
)
COUNTER_KEYS: tuple[str, ...] = ("id", "services", "mode")

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
        problems: list[Problem] = []
        _check_policy(policy, problems)
        raise_if(problems, "--policy")
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
    def from_dict(d: Mapping[str, Any], source: str = BRANCH_SOURCE) -> BranchConfig:
        """Build and validate from a parsed TOML document; `ConfigError` lists every problem."""
        return _parse(d, source)

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


def _parse_offset(f: Fields, key: str, default: str) -> int:
    value = f.string(key, pattern=_OFFSET_RE, fix='write it as "+08:00"', example="+08:00")
    m = _OFFSET_RE.match(value if value is not None else default)
    assert m is not None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return -minutes if m.group(1) == "-" else minutes


def _parse_service(s: Mapping[str, Any], i: int, problems: list[Problem]) -> ServiceConfig | None:
    f = Fields(s, f"services[{i}]", problems)
    before = len(problems)
    f.unknown_keys(SERVICE_KEYS)
    code = f.string(
        "code", required=True, pattern=_CODE_RE, fix="use 1-4 capitals/digits, e.g. A", example="A"
    )
    prefix = f.string("prefix", example="A") if "prefix" in s else code
    if prefix is not None and not 1 <= len(prefix) <= 3:
        f.add("prefix", f"bad prefix {prefix!r}", "use 1-3 characters")
    rng = s.get("range", [1, 999])
    if (
        not isinstance(rng, list | tuple)
        or len(rng) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in rng)
        or not 0 <= rng[0] < rng[1] <= 99999
    ):
        f.add("range", f"bad range {rng!r}", "write range = [1, 999] (first below last, <= 99999)")
        rng = [1, 999]
    names = f.texts("name", LANGS, fallback=code)
    expected = f.number("expected_min", low=0.1, example=5)
    over_wait = f.number("over_wait_min", low=1.0, example=30)
    self_service = f.boolean("self_service")
    prepare = f.texts("prepare", LANGS)
    if len(problems) > before or code is None:
        return None
    return ServiceConfig(
        code=code,
        names=names,
        prefix=prefix if prefix is not None else code,
        first=int(rng[0]),
        last=int(rng[1]),
        expected_min=expected if expected is not None else 5.0,
        over_wait_min=over_wait if over_wait is not None else 30.0,
        self_service=bool(self_service),
        prepare=prepare,
    )


def _parse_counter(
    c: Mapping[str, Any], i: int, codes: set[str] | None, problems: list[Problem]
) -> CounterConfig | None:
    f = Fields(c, f"counters[{i}]", problems)
    before = len(problems)
    f.unknown_keys(COUNTER_KEYS)
    raw_id = c.get("id")
    cid = str(raw_id) if isinstance(raw_id, int) and not isinstance(raw_id, bool) else raw_id
    if not isinstance(cid, str) or not _COUNTER_RE.match(cid):
        f.add("id", f"bad counter id {raw_id!r}", "use e.g. id = \"1\" (letters, digits, '-')")
    services = c.get("services")
    if not isinstance(services, list) or not services:
        f.add("services", "is missing or empty", 'add services = ["A"]')
        services = []
    for code in services:
        if codes is not None and code not in codes:
            f.add("services", f"unknown service {code!r}", "add it to [[services]] first")
    if len(set(map(repr, services))) != len(services):
        f.add("services", "lists a service twice", "list each once")
    mode = f.choice("mode", COUNTER_MODES, default="primary")
    if len(problems) > before or not isinstance(cid, str):
        return None
    return CounterConfig(id=cid, services=tuple(services), mode=mode)


def _unique(items: list[str], where: str, what: str, problems: list[Problem]) -> None:
    if len(set(items)) != len(items):
        problems.append(Problem(where, f"two {where} share {what}", f"give each its own {what}"))


def parse_branch(d: Mapping[str, Any], problems: list[Problem]) -> BranchConfig | None:
    """Validate the queue tables of a parsed document, adding every problem found.

    ``None`` when there is any; other readers of the same file (a scenario's
    ``[simulation]``) add their problems to the same list, so one
    `ConfigError` names them all.
    """
    before = len(problems)
    top = Fields(d, "", problems)
    b = Fields(top.table_of("branch"), "branch", problems)
    b.unknown_keys(BRANCH_KEYS)
    bid = b.string(
        "id",
        required=True,
        pattern=_ID_RE,
        example="b0101",
        fix="use 1-32 lower-case letters, digits or '-'",
    )
    names = b.texts("name", LANGS, fallback=bid)

    raw_services = top.tables("services")
    if not d.get("services") and isinstance(d.get("services", []), list):
        top.add("services", "no services", "add at least one [[services]] table")
    parsed = [_parse_service(s, i, problems) for i, s in enumerate(raw_services)]
    services = tuple(s for s in parsed if s is not None)
    codes = [s.code for s in services]
    _unique(codes, "services", "a code", problems)
    _unique([s.prefix for s in services], "services", "a prefix", problems)
    # Counters are checked against every code written, even of a service with
    # other problems, so a counter's own mistakes show in the same run.
    raw_codes = [s.get("code") for s in raw_services]
    written = {c for c in raw_codes if isinstance(c, str)}
    known = written if len(written) == len(set(map(repr, raw_codes))) else None

    raw_counters = top.tables("counters")
    if not d.get("counters") and isinstance(d.get("counters", []), list):
        top.add("counters", "no counters", "add at least one [[counters]] table")
    counters_parsed = [_parse_counter(c, i, known, problems) for i, c in enumerate(raw_counters)]
    counters = tuple(c for c in counters_parsed if c is not None)
    _unique([c.id for c in counters], "counters", "an id", problems)

    policy = b.string("policy", example="fifo")
    if policy is not None:
        _check_policy(policy, problems)
    transfer = b.choice("transfer", TRANSFER_POLICIES, default="keep_arrival")
    requeues = b.integer("no_show_requeues", low=0, high=5)
    rollover = b.string(
        "rollover", pattern=_HHMM_RE, fix='write it as "03:00" (24-hour clock)', example="03:00"
    )
    m = _HHMM_RE.match(rollover or "03:00")
    assert m is not None
    offset = _parse_offset(b, "utc_offset", "+00:00")
    zone = b.string("zone", example="Asia/Shanghai")
    if zone is not None and not _zone_ok(zone):
        b.add("zone", f"unknown zone {zone!r}", 'use an IANA name, e.g. "Asia/Shanghai"')
    prio = dict(DEFAULT_PRIORITY_MINUTES)
    pf = Fields(b.table_of("priority_minutes"), "branch.priority_minutes", problems)
    for cls in pf.table:
        if cls not in CUSTOMER_CLASSES:
            close = difflib.get_close_matches(str(cls), CUSTOMER_CLASSES, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            pf.add(cls, "unknown class", hint + _one_of(CUSTOMER_CLASSES))
            continue
        minutes = pf.number(cls, example=10)
        if minutes is not None:
            prio[cls] = minutes
    rating_timeout = b.number("rating_timeout_s", low=1.0, example=60)
    target_wait = b.number("target_wait_min", low=1.0, example=15)
    finishes = b.boolean("call_finishes_current")
    if len(problems) > before or bid is None:
        return None
    return BranchConfig(
        branch_id=bid,
        names=names,
        services=services,
        counters=counters,
        policy=policy if policy is not None else "fifo",
        no_show_requeues=requeues if requeues is not None else 1,
        transfer=transfer,
        rollover_min=int(m.group(1)) * 60 + int(m.group(2)),
        utc_offset_min=offset,
        zone=zone,
        rating_timeout_s=rating_timeout if rating_timeout is not None else 60.0,
        target_wait_min=target_wait if target_wait is not None else 15.0,
        call_finishes_current=finishes if finishes is not None else True,
        priority_minutes=prio,
    )


def _parse(d: Mapping[str, Any], source: str = BRANCH_SOURCE) -> BranchConfig:
    problems: list[Problem] = []
    config = parse_branch(d, problems)
    raise_if(problems, source)
    assert config is not None
    return config


def _check_policy(policy: str, problems: list[Problem]) -> None:
    # Imported here: the policy module depends on this one, and a policy
    # registered with `register_policy` must be accepted by name.
    from lobbyq.core.policy import POLICIES

    if policy not in POLICIES:
        names = tuple(POLICIES)
        close = difflib.get_close_matches(policy, names, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            Problem("branch.policy", f"unknown policy {policy!r}", hint + _one_of(names))
        )


def _zone_ok(zone: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def load_branch_and_table(
    path: str | Path | None, table: str, branch_id: str | None = None
) -> tuple[BranchConfig, dict[str, Any]]:
    """The queue config and one app's own table of the same file (``[kiosk]``, ``[display]``).

    Every problem of the queue tables and of the app table's shape comes in
    one `ConfigError`. Without a path: the demo branch and an empty table.
    ``branch_id`` renames the branch (the demo and tests run several
    branches on one broker without their retained topics meeting).
    """
    if path is None:
        config, extra = BranchConfig.default(), {}
    else:
        p = Path(path)
        doc = read_toml(p, fix="pass the branch queue config, e.g. /etc/lobbyq/queue.toml")
        problems: list[Problem] = []
        parsed = parse_branch(doc, problems)
        extra = dict(Fields(doc, "", problems).table_of(table)) if table else {}
        raise_if(problems, str(p))
        assert parsed is not None
        config = parsed
    if branch_id is not None and branch_id != config.branch_id:
        if not _ID_RE.match(branch_id):
            fix = "use 1-32 lower-case letters, digits or '-'"
            raise ConfigError("--branch", [Problem("branch.id", f"bad id {branch_id!r}", fix)])
        config = _replace(config, branch_id=branch_id)
    return config, extra


def load_branch_config(path: str | Path | None, branch_id: str | None = None) -> BranchConfig:
    """The branch's queue config from its TOML file, or the demo branch without one.

    The one loader every service uses (engine, kiosk, counter, display);
    raises `ConfigError` listing every problem of the file at once.
    """
    return load_branch_and_table(path, "", branch_id)[0]


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
