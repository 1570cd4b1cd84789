"""Private head-office servers: a NATS JetStream cluster and a PostgreSQL instance.

The tests and the benchmarks need servers of their own on free loopback
ports in a temporary directory, never the machine's (a PostgreSQL on 5432
belongs to someone else). Production runs the bank's own cluster and
database, configured from ``deploy/``.

Why three NATS nodes by default: JetStream replicates by Raft, so a stream
survives losing a node only while a majority of its replicas is up. Two
nodes cannot lose one (one of two is not a majority); three nodes with
three replicas can.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from lobbyq.core.errors import LobbyqError
from lobbyq.runtime.ports import (
    find_program,
    free_port,
    kill_process,
    stop_process,
    wait_listening,
)

log = logging.getLogger("hq.servers")

PG_BIN_DIRS = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
)


class ServerError(LobbyqError):
    """A private server could not be started."""


def find_nats_server() -> str | None:
    """nats-server, which Debian installs in /usr/sbin."""
    return find_program("nats-server", "/usr/sbin/nats-server", "/usr/local/bin/nats-server")


def find_pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl (Debian keeps them off PATH)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    return next((Path(d) for d in PG_BIN_DIRS if os.access(f"{d}/initdb", os.X_OK)), None)


class NatsNode:
    """One nats-server process of a cluster, with its own JetStream store."""

    def __init__(self, binary: str, name: str, workdir: Path, port: int, route_port: int) -> None:
        self.binary, self.name, self.workdir = binary, name, workdir
        self.port, self.route_port = port, route_port
        self.monitor_port = free_port()
        self.config = workdir / f"{name}.conf"
        self.log_file = workdir / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def write_config(self, routes: list[int], cluster: str) -> None:
        route_urls = ", ".join(f'"nats-route://127.0.0.1:{p}"' for p in routes)
        self.config.write_text(
            f'server_name: "{self.name}"\n'
            f"listen: 127.0.0.1:{self.port}\n"
            f"http: 127.0.0.1:{self.monitor_port}\n"
            f'jetstream {{ store_dir: "{self.workdir / self.name}" }}\n'
            f'cluster {{ name: "{cluster}", listen: 127.0.0.1:{self.route_port}, '
            f"routes: [{route_urls}] }}\n"
        )

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        with self.log_file.open("ab") as out:
            self._proc = subprocess.Popen(
                [self.binary, "-c", str(self.config)], stdout=out, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        stop_process(self._proc, 10)
        self._proc = None

    def kill(self) -> None:
        """Stop abruptly, as a crashed or unplugged node."""
        kill_process(self._proc)
        self._proc = None


class NatsCluster:
    """``nodes`` nats-servers with JetStream, routed into one cluster."""

    def __init__(self, nodes: int = 3, *, workdir: Path | None = None, name: str = "lobbyq-hq"):
        binary = find_nats_server()
        if binary is None:
            raise ServerError("nats-server is not installed (Debian: apt-get install nats-server)")
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lobbyq-nats-"))
        self.nodes = [
            NatsNode(binary, f"n{i + 1}", self.workdir, free_port(), free_port())
            for i in range(nodes)
        ]
        routes = [n.route_port for n in self.nodes]
        for node in self.nodes:
            node.write_config([p for p in routes if p != node.route_port], name)

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def start(self, timeout: float = 20.0) -> NatsCluster:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            if not wait_listening(node.port, timeout):
                self.close()
                raise ServerError(f"nats-server {node.name} did not listen: {self.tail(node)}")
        self.wait_jetstream(timeout)
        log.info("NATS cluster at %s", ",".join(self.urls))
        return self

    def wait_jetstream(self, timeout: float = 20.0) -> None:
        """Wait until a JetStream meta leader sees every running node as a current peer.

        Only then can a stream with as many replicas as nodes be placed.
        """
        import json
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = [n for n in self.nodes if n.running]
            for node in running:
                with contextlib.suppress(OSError, ValueError):
                    with urllib.request.urlopen(
                        f"http://127.0.0.1:{node.monitor_port}/jsz", timeout=1
                    ) as r:
                        meta = json.load(r).get("meta_cluster") or {}
                    peers = [p for p in meta.get("replicas") or [] if p.get("current")]
                    if meta.get("leader") == node.name and len(peers) >= len(running) - 1:
                        return
            time.sleep(0.1)
        raise ServerError(f"the NATS cluster did not form in {timeout:.0f} s")

    def tail(self, node: NatsNode) -> str:
        return node.log_file.read_text(errors="replace")[-800:] if node.log_file.exists() else ""

    def close(self) -> None:
        for node in self.nodes:
            node.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class PrivatePostgres:
    """A PostgreSQL cluster made by initdb in a temporary directory, on a free port.

    PostgreSQL refuses to run as root; as root the server runs as the
    ``postgres`` system user (Debian's package creates it) in a directory
    handed to that user.
    """

    def __init__(self, *, workdir: Path | None = None, port: int | None = None) -> None:
        bin_dir = find_pg_bin()
        if bin_dir is None:
            raise ServerError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        self.bin = bin_dir
        self.port = port or free_port()
        self._own_dir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="lobbyq-pg-"))
        self.data = self.workdir / "data"
        self.log_file = self.workdir / "postgres.log"
        self.user = "lobbyq"
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.workdir, "postgres")

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={dbname}"

    def _run(self, *cmd: str) -> None:
        result = subprocess.run(
            [*self._as, *cmd], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise ServerError(
                f"{Path(cmd[0]).name} failed: {(result.stderr or result.stdout)[-800:]}"
            )

    def start(self) -> PrivatePostgres:
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user,
                "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
        opts = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=100 -c shared_buffers=64MB"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_file),
            "-w", "-t", "60", "-o", opts, "start",
        )  # fmt: skip
        log.info("PostgreSQL at 127.0.0.1:%d", self.port)
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(ServerError):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        """A fresh database; returns its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def close(self) -> None:
        self.stop("immediate")
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
