"""Resident ID card readers (SAM serial protocol): codec, reader, simulator."""
