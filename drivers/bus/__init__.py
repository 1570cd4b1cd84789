"""The counter bus: one framed protocol for keypads, rating pads and LED displays.

See ``PROTOCOL.md`` beside this file for the wire format and the code tables.
"""
