"""The branch simulator: scenario files driven through the real core with simpy."""

from lobbyq.engine.sim.run import SimRun, simulate, summarize
from lobbyq.engine.sim.scenario import Scenario, load_scenario, scenario_from_dict

__all__ = [
    "Scenario",
    "SimRun",
    "load_scenario",
    "scenario_from_dict",
    "simulate",
    "summarize",
]
