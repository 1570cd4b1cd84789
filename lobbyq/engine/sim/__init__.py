"""The branch simulator: scenario files driven through the real core with simpy."""

from kiosk.engine.sim.run import SimRun, simulate, summarize
from kiosk.engine.sim.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict

__all__ = [
    "Scenario",
    "ScenarioError",
    "SimRun",
    "load_scenario",
    "scenario_from_dict",
    "simulate",
    "summarize",
]
