"""lobbyq: the queue system of one bank branch (and of a head office over many).

This package holds the layers every app shares and the composition root:
``core`` (the pure queue model), ``protocol`` (topics and payloads),
``engine`` (the event log and the service that owns the queue), ``runtime``
(systemd plumbing), and at the top ``cli``, ``demo``, ``broker`` and
``device``, the only modules that import the apps. Importing this package
imports nothing else, so ``lobbyq.core`` costs an app nothing more.
"""
