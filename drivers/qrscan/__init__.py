"""QR/barcode scanners in serial mode: codec, reader, simulator."""
