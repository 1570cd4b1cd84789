"""LED displays on the counter bus: the counter strip and the hall display."""
