"""The counter bus: one framed protocol for keypads, rating pads and LED displays.

See ``drivers/PROTOCOL.md`` for the wire format and the code tables.
"""
