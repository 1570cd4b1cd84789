"""Start a private MQTT broker: mosquitto when installed, else an embedded one.

The demo and the tests need a broker of their own on a free loopback port,
with a generated config, so they never touch a broker the machine already
runs. Production uses the system mosquitto configured from ``deploy/``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from lobbyq.core.errors import LobbyqError
from lobbyq.device.brokerfiles import MAX_PACKET_SIZE
from lobbyq.runtime.ports import (
    find_program,
    free_port,
    kill_process,
    stop_process,
    wait_listening,
)

log = logging.getLogger("lobbyq.broker")


class BrokerError(LobbyqError):
    """No broker could be started."""


def find_mosquitto() -> str | None:
    """The mosquitto binary, which Debian installs outside a user's PATH."""
    return find_program("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")


class Mosquitto:
    """A mosquitto process on a free loopback port with its own config and data dir.

    ``extra_config`` lines are appended (password file, ACL) so provisioning
    tests run the broker exactly as a branch would. ``restart()`` keeps the
    port and the persistence file, like a broker reboot.
    """

    kind = "mosquitto"

    def __init__(
        self,
        port: int | None = None,
        *,
        workdir: Path | None = None,
        extra_config: str = "",
        allow_anonymous: bool = True,
        persistence: bool = True,
    ) -> None:
        binary = find_mosquitto()
        if binary is None:
            raise BrokerError("mosquitto is not installed (Debian: apt-get install mosquitto)")
        self.binary = binary
        self.port = port or free_port()
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lobbyq-mosquitto-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = self.workdir / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"allow_anonymous {'true' if allow_anonymous else 'false'}",
            f"persistence {'true' if persistence else 'false'}",
            f"persistence_location {self.workdir}/",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "max_queued_messages 10000",
            # As a branch broker does: the 4 MiB queue view fits, a 10 MB message never
            # reaches the engine (``lobbyq.device.brokerfiles.MAX_PACKET_SIZE``).
            f"max_packet_size {MAX_PACKET_SIZE}",
            "set_tcp_nodelay true",
            # As root, mosquitto drops to user mosquitto, which could not read
            # our temporary files; a branch's real broker runs from deploy/.
            "user root" if os.geteuid() == 0 else "",
            extra_config,
        ]
        self.config.write_text("\n".join(lines) + "\n")
        self._proc: subprocess.Popen[bytes] | None = None
        self.log_file = self.workdir / "mosquitto.log"

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> Mosquitto:
        cmd = [self.binary, "-c", str(self.config)]
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        if not wait_listening(self.port, timeout):
            self.stop()
            raise BrokerError(
                f"mosquitto did not listen on port {self.port}: "
                f"{self.log_file.read_text(errors='replace')[-500:]}"
            )
        log.info("mosquitto listening at %s", self.url)
        return self

    def stop(self) -> None:
        stop_process(self._proc, 5)
        self._proc = None

    def kill(self) -> None:
        """Stop abruptly, as in a crash or power cut."""
        kill_process(self._proc)
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class EmbeddedBroker:
    """An amqtt broker in a thread: the demo's fallback where mosquitto is absent.

    amqtt speaks MQTT 3.1.1 only and is looser than mosquitto about retained
    messages, so it is never used in production or in the tests.
    """

    kind = "embedded"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._thread: threading.Thread | None = None
        self._stop: object = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        try:
            import asyncio

            from amqtt.broker import Broker
        except ImportError as exc:
            raise BrokerError("neither mosquitto nor amqtt is installed") from exc
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "sys_interval": 0,
            "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
            "topic-check": {"enabled": False},
        }
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()

        async def main() -> None:
            broker = Broker(config, loop=loop)
            await broker.start()
            await stop.wait()
            await broker.shutdown()

        def runner() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(main())
            except Exception:
                log.exception("embedded broker stopped")

        self._loop = loop
        self._stop = stop
        self._thread = threading.Thread(target=runner, name="embedded-broker", daemon=True)
        self._thread.start()
        if not wait_listening(self.port, timeout):
            raise BrokerError(f"embedded broker did not listen on port {self.port}")
        log.info("embedded broker listening at %s", self.url)
        return self

    def close(self) -> None:
        if self._thread is not None:
            import asyncio

            stop = self._stop
            if isinstance(stop, asyncio.Event):
                self._loop.call_soon_threadsafe(stop.set)
            self._thread.join(5)
            self._thread = None


def start_local_broker() -> Mosquitto | EmbeddedBroker:
    """Mosquitto on a free port if installed, else the embedded broker; logs which."""
    if find_mosquitto() is not None:
        return Mosquitto().start()
    log.warning("mosquitto not found; falling back to the embedded broker (demo only)")
    return EmbeddedBroker().start()
