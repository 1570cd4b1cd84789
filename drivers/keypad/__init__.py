"""Teller keypad on the counter bus: key codes, feedback commands, simulator."""
