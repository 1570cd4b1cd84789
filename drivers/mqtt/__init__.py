"""The MQTT link every lobbyq service talks through.

``bus`` is the interface (and an in-process ``MemoryBus`` for unit tests),
``client`` adapts paho-mqtt, ``request`` is request/reply by payload id.
Topics and payloads are the protocol's (``lobbyq.protocol``).
"""
