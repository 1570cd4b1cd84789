"""Technician tools for a branch: provision, scan, address, flash, self-test, watch.

``cli`` is the ``lobbyq device`` subcommand; each tool is a ``*_cli`` module
(arguments and output) over a flow module that does the work:

| module | what |
|---|---|
| ``config`` | the device file every app loads (``load_device_config``); ``CONFIG.md`` |
| ``branchfile`` | the branch file: devices, ports, addresses, broker host |
| ``provision`` | device files, credentials, broker passwd/ACL/config from a branch |
| ``brokerfiles``, ``passwd`` | the mosquitto ACL, config and ``$7$`` password hashes |
| ``status`` | the status board from retained birth / last-will messages |
| ``bustools`` | scan, set-address and flash on ``drivers.bus.master.BusMaster`` |
| ``selftest`` | beep, light, prompt and print on every device, and report |
| ``trace`` | decode a counter bus's frames as they pass |
| ``fields``, ``tomlout``, ``progress``, ``errors`` | validation, TOML out, progress, errors |
"""
