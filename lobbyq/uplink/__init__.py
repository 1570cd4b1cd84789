"""The branch uplink: sends the branch's event log to head office, in order, losing nothing.

It runs beside the engine as its own service (``lobbyq uplink``), reads the
log read-only, and keeps its own cursor; the engine neither knows nor waits
for it, so a branch with no head-office link serves on unchanged.
"""
