"""Screen support shared by the kiosk touch screen and the hall display's HDMI screen."""
