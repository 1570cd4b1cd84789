"""Magnetic-stripe card readers (serial and keyboard wedge): codec, reader, simulator."""
