"""A branch broker started from provisioning output: generated passwd, ACL, config and certs.

The broker runs the exact ``mosquitto.conf`` that ``lobbyq device provision``
writes for a branch (only the folder, ports and bind address differ), with a
TLS listener whose certificate comes from ``deploy/mkcerts.sh``. One broker
per module keeps the suite fast; tests use a fresh device to avoid crosstalk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lobbyq.broker import find_mosquitto, free_port, wait_listening
from lobbyq.device.branchfile import BranchFile, parse_branch_file
from lobbyq.device.brokerfiles import BrokerLayout, render_mosquitto_conf
from lobbyq.device.config import BrokerSettings, broker_url, read_credentials
from lobbyq.device.provision import provision

REPO = Path(__file__).resolve().parents[2]


def _branch(branch_id: str) -> BranchFile:
    bus = {"bus": "/dev/lobbyq-bus"}
    return parse_branch_file(
        {
            "branch": {"id": branch_id, "broker_host": "localhost"},
            "devices": [
                {"id": "engine", "role": "engine"},
                {
                    "id": "kiosk-1",
                    "role": "kiosk",
                    "serial": {"printer": "/dev/lobbyq-printer"},
                    "printer": {"profile": "cn80"},
                },
                *(
                    {
                        "id": f"counter-{n}",
                        "role": "counter",
                        "serial": bus,
                        "bus": {"keypad": 1, "strip": 3},
                        "counter": {"id": str(n)},
                    }
                    for n in range(1, 6)
                ),
                {
                    "id": "display-hall",
                    "role": "display",
                    "serial": {"bus": "/dev/lobbyq-hall"},
                    "bus": {"hall": 1},
                },
            ],
        }
    )


@dataclass
class BranchBroker:
    """A running broker with a provisioned branch; URLs for any account."""

    branch: BranchFile
    out: Path
    tls_port: int
    local_port: int

    @property
    def ca(self) -> Path:
        return self.out / "ca.crt"

    def cred_file(self, user: str) -> Path:
        return self.out / ("tech.cred" if user == "tech" else f"{user}/{user}.cred")

    def url(self, user: str, *, tls: bool = True) -> str:
        """A broker URL logged in as ``user`` (a device id or ``tech``)."""
        creds = read_credentials(self.cred_file(user))
        if tls:
            settings = BrokerSettings(
                f"mqtts://localhost:{self.tls_port}", self.cred_file(user), self.ca
            )
        else:
            settings = BrokerSettings(f"mqtt://127.0.0.1:{self.local_port}", self.cred_file(user))
        return broker_url(settings, creds)


@pytest.fixture(scope="module")
def branch_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BranchBroker]:
    binary = find_mosquitto()
    if binary is None or shutil.which("openssl") is None:
        pytest.skip("mosquitto and openssl are needed for the broker tests")
    out = tmp_path_factory.mktemp("provisioned")
    branch = _branch("b0101")
    subprocess.run(
        [str(REPO / "deploy" / "mkcerts.sh"), str(out), "localhost", "127.0.0.1"], check=True
    )
    provision(branch, out)
    conf_dir = out / "broker"
    for name in ("ca.crt", "server.crt", "server.key"):
        shutil.copy(out / name, conf_dir / name)
    data = out / "data"
    data.mkdir()
    layout = BrokerLayout(
        conf_dir=str(conf_dir),
        data_dir=f"{data}/",
        tls_port=free_port(),
        tls_bind="127.0.0.1",
        local_port=free_port(),
    )
    conf = out / "broker" / "test-mosquitto.conf"
    text = render_mosquitto_conf(layout)
    if os.geteuid() == 0:
        text += "user root\n"  # else mosquitto drops to a user that cannot read tmp files
    conf.write_text(text)
    log = (out / "mosquitto.log").open("wb")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    try:
        assert layout.local_port is not None
        if not (wait_listening(layout.tls_port, 10) and wait_listening(layout.local_port, 10)):
            pytest.fail(f"mosquitto did not start: {(out / 'mosquitto.log').read_text()}")
        yield BranchBroker(branch, out, layout.tls_port, layout.local_port)
    finally:
        proc.terminate()
        proc.wait(5)
        log.close()
