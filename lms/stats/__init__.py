"""Statistics: indicators against the plans' targets. Aggregates follow certificate events."""

from lms.stats.services import connect_signals

connect_signals()
