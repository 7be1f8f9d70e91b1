"""The P4_16 inference pipeline, its P4Info, and the Python twin that executes it."""
