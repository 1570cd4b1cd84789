"""Customer rating pad on the counter bus: values, reasons, prompt, simulator."""
