"""A broker restart in the middle of the day loses nothing and doubles nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from drivers.mqtt.client import MqttBus
from drivers.mqtt.request import Requester
from lobbyq.broker import Mosquitto
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol.topics import Topics


def test_commands_sent_across_a_broker_restart_act_exactly_once(tmp_path: Path) -> None:
    broker = Mosquitto(workdir=tmp_path / "broker").start()
    config = BranchConfig.default()
    store = EventStore(tmp_path / "events.db")
    ebus = MqttBus(broker.url, "engine")
    engine = Engine(config, store, ebus, options=EngineOptions(tick_interval_s=3600))
    kbus = MqttBus(broker.url, "kiosk-1")
    try:
        engine.start()
        ebus.start()
        kbus.start()
        assert ebus.wait_connected(10) and kbus.wait_connected(10)
        kiosk = Requester(kbus, Topics(config.branch_id), "kiosk-1", resend_after=0.5)
        before = [kiosk.request("issue_ticket", service="A", timeout=10) for _ in range(3)]
        assert all(r.ok for r in before)

        # The broker goes away while a customer is pressing the button.
        broker.stop()
        results = []
        t = threading.Thread(
            target=lambda: results.append(kiosk.request("issue_ticket", service="A", timeout=30))
        )
        t.start()
        time.sleep(1.0)
        broker.start()
        t.join(40)
        assert results and results[0].ok
        issued = results[0].event("ticket_issued")
        assert issued is not None and issued["number"] == "A004"
        numbers = [b["number"] for _, b in store.events() if b["kind"] == "ticket_issued"]
        assert numbers == ["A001", "A002", "A003", "A004"]
    finally:
        kbus.stop()
        ebus.stop()
        engine.stop()
        store.close()
        broker.close()
