"""Ticket printer: profiles and text encoding, a pure ticket renderer, DLE EOT
status decoding, the ``TicketPrinter`` driver, its simulator and a preview.

Import the submodules directly (``drivers.printer.device``...); this package
file stays empty so importing the status codec never pulls in Pillow or serial.
"""
