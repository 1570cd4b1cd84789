"""What every long-running lobbyq service shares with the others.

systemd notification and watchdog (``sdnotify``), the version every service
reports (``version``) and its presence on the bus (``presence``). The engine
and every app import it; it imports no app, so none of them has to copy it.
"""
