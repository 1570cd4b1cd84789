"""The lobby manager's console: the branch live in a browser, and the actions that fix the queue.

One more device on the bus (client id ``console``): ``model`` folds the
retained views, events and device statuses into one picture, ``link`` feeds
it from MQTT, ``actions`` turns a manager's form into an engine command,
``auth`` and ``throttle`` keep the door, and ``web`` serves it all with
Starlette on uvicorn (``cli`` is ``lobbyq console``).
"""
