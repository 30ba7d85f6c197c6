"""The learning bridge: LMS events -> xAPI statements; incoming statements -> progress."""
