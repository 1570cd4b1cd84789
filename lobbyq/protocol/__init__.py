"""The branch wire protocol: every MQTT topic and every payload, pure.

``topics`` builds every topic name (and the ACL patterns), ``messages``
defines and validates every payload's envelope at the edge, and ``events``
and ``views`` decode what the engine sends into its types once (``fields``
reads each field and names it in errors). Nothing here opens a socket: the
paho adapter and the in-process bus live in ``drivers.mqtt``. The tables
are in ``PROTOCOL.md`` beside this file.
"""
