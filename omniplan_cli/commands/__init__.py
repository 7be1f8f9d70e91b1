"""Sub-commands of `omniplan`; each sets ``func`` on its parser to its ``run``."""
