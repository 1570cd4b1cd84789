"""The few branch settings a counter needs, read from the branch TOML itself.

The counter must not import the kiosk (where the queue engine lives), so it
reads just what it uses: the branch id, the rating timeout, and each
service's code, ticket prefix and number width (for typed tickets and
transfer targets). The engine validates the whole file; here a missing or
wrong field falls back to the engine's documented default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counter.flow import FlowError


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    code: str
    prefix: str
    width: int = 3


@dataclass(frozen=True, slots=True)
class CounterBranch:
    """Satisfies ``counter.app.BranchLike``."""

    branch_id: str = "demo"
    rating_timeout_s: float = 60.0
    services: tuple[ServiceInfo, ...] = tuple(ServiceInfo(c, c) for c in "ABCD")

    @staticmethod
    def from_dict(d: dict[str, Any]) -> CounterBranch:
        b = d.get("branch", {})
        if not isinstance(b, dict) or not isinstance(b.get("id"), str):
            raise FlowError("branch config: [branch] id is required")
        services = []
        for s in d.get("services", []):
            code = s.get("code") if isinstance(s, dict) else None
            if not isinstance(code, str):
                raise FlowError("branch config: every [[services]] needs a code")
            prefix = s.get("prefix", code)
            rng = s.get("range", [1, 999])
            last = rng[1] if isinstance(rng, list) and len(rng) == 2 else 999
            services.append(ServiceInfo(code, str(prefix), len(str(int(last)))))
        timeout = b.get("rating_timeout_s", 60.0)
        return CounterBranch(
            branch_id=b["id"],
            rating_timeout_s=float(timeout) if isinstance(timeout, int | float) else 60.0,
            services=tuple(services) or CounterBranch().services,
        )

    @staticmethod
    def load(path: str | None, branch: str | None = None) -> CounterBranch:
        cfg = CounterBranch()
        if path is not None:
            with Path(path).open("rb") as fh:
                cfg = CounterBranch.from_dict(tomllib.load(fh))
        if branch is not None:
            cfg = CounterBranch(branch, cfg.rating_timeout_s, cfg.services)
        return cfg
