"""Reports people read: daily and period figures, charts, HTML and CSV.

A library below the services (beside the runtime) that needs only the pure
core, so `lobbyq stats`, `lobbyq report` and the console all give the same
figures from the same code. Nothing is imported here: matplotlib and Jinja2
load only when a report is made (`lobbyq.report.build`).
"""
