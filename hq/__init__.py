"""Head office: every branch's event log, complete and checked, in PostgreSQL.

``hq.ingest`` workers consume the branches' events from NATS JetStream and
write them idempotently; ``hq.schema`` holds the versioned migrations;
``hq.servers`` starts private servers for tests and benchmarks.
"""
