"""An app that cannot reach its broker says why: a refused port, an untrusted CA, a bad password."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.mqtt.client import BrokerUrlError, MqttBus
from lobbyq.broker import free_port
from lobbyq.device.config import BrokerSettings, broker_url, read_credentials
from tests.deploy.conftest import BranchBroker
from tests.support import eventually

SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")


def _reason(url: str, client_id: str) -> str | None:
    bus = MqttBus(url, client_id)
    bus.start()
    try:
        assert eventually(lambda: bus.last_error is not None, 10.0)
        assert not bus.connected
        return bus.last_error
    finally:
        bus.stop()


def test_nothing_on_the_port() -> None:
    reason = _reason(f"mqtt://127.0.0.1:{free_port()}", "counter-x")
    assert reason == "connection refused (nothing listens on that port)"


@pytest.mark.skipif(not SYSTEM_CAS.exists(), reason="no system CA bundle to trust instead")
def test_a_ca_that_did_not_sign_the_broker(branch_broker: BranchBroker) -> None:
    cred = branch_broker.cred_file("counter-2")
    settings = BrokerSettings(f"mqtts://localhost:{branch_broker.tls_port}", cred, SYSTEM_CAS)
    reason = _reason(broker_url(settings, read_credentials(cred)), "counter-2")
    assert reason is not None and reason.startswith("TLS: the broker's certificate is not trusted")


def test_a_wrong_password(branch_broker: BranchBroker) -> None:
    url = branch_broker.url("counter-2").replace("counter-2:", "counter-2:x", 1)
    reason = _reason(url, "counter-2")
    assert reason is not None and reason.startswith("the broker refused the connection")


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BrokerUrlError, match="cannot use the CA file"):
        MqttBus(f"mqtts://localhost:8883?ca={tmp_path / 'nope.crt'}", "counter-2")
