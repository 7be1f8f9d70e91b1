"""Mininet emulation of planner topologies with OmniPlan software switches (see layout.py, run.py)."""
