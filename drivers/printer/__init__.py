"""Ticket printer: profiles and text encoding, a pure ticket renderer, DLE EOT
status decoding, the ``TicketPrinter`` driver, its simulator and a preview.

| module | what |
|---|---|
| ``ticket`` | ``TicketData`` and ``render_ticket`` (pure, golden-byte tested) |
| ``profiles`` | printer models as a table, the per-profile CJK encoder |
| ``status`` | DLE EOT answers to ``PrinterStatus`` and back |
| ``stream`` | incremental ESC/POS parser (simulator, preview, fuzzing) |
| ``driver`` | ``TicketPrinter``: status, printing, reconnect, health callbacks |
| ``sim`` | ``PrinterSim`` on a pty; ``python -m drivers.printer.sim LINK`` |
| ``preview`` | ESC/POS to PNG; ``python -m drivers.printer.preview IN OUT`` |
| ``fonts`` | regional CJK face lookup (SC/TC/HK) |
| ``privacy`` | refuses card and ID numbers on paper |

Import the submodules directly; this file stays empty of imports so that
importing the status codec never pulls in Pillow or pyserial.
"""
