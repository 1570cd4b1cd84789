"""Head-office fixtures: a real 3-node NATS JetStream cluster and a private PostgreSQL.

Both start once per module on free loopback ports in a temporary directory
(never the machine's own servers); each test gets a fresh database and a
fresh stream, so tests never see each other's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator

import nats
import nats.js.errors
import pytest

from hq.servers import NatsCluster, PrivatePostgres, ServerError, find_nats_server, find_pg_bin
from hq.stream import STREAM


@pytest.fixture(scope="module")
def cluster() -> Iterator[NatsCluster]:
    if find_nats_server() is None:
        pytest.skip("nats-server is not installed (Debian: apt-get install nats-server)")
    with NatsCluster(3) as c:
        yield c


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    if find_pg_bin() is None:
        pytest.skip("PostgreSQL server is not installed (Debian: apt-get install postgresql)")
    try:
        pg = PrivatePostgres().start()
    except ServerError as exc:
        pytest.skip(f"cannot start a private PostgreSQL here: {exc}")
    try:
        yield pg
    finally:
        pg.close()


async def _drop_stream(urls: list[str]) -> None:
    nc = await nats.connect(servers=urls, connect_timeout=5)
    try:
        js = nc.jetstream()
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(STREAM)
    finally:
        await nc.close()


@pytest.fixture
def dsn(postgres: PrivatePostgres, cluster: NatsCluster) -> str:
    """A fresh database, and no stream left from an earlier test."""
    for node in cluster.nodes:
        if not node.running:
            node.start()
    cluster.wait_jetstream()
    asyncio.run(_drop_stream(cluster.urls))
    return postgres.create_database(f"hq_{uuid.uuid4().hex[:12]}")
