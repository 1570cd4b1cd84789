"""The one wire protocol every lobbyq app speaks: MQTT topics, messages, client.

``topics`` builds every topic name, ``messages`` defines and validates every
payload (both pure), ``client`` adapts paho-mqtt, and ``memory`` is an
in-process bus with the same interface for unit tests. See ``PROTOCOL.md``.
"""
