"""Statistics: indicators against the plans' targets, from aggregates kept as facts happen."""
