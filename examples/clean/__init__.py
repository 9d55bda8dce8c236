"""The same agent written carefully: nothing here should be flagged."""
