"""Pure folds from events to state. Nothing here does I/O or reads a clock."""
