"""Shared fixtures: small topologies and workloads built from the real model code."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def line3():
    from omniplan.topology import line

    return line(3)


@pytest.fixture(autouse=True)
def _mininet_lock(request):
    """Tests marked ``root`` (Mininet) hold the machine-wide Mininet lock, like ``flock ... make run``."""
    if request.node.get_closest_marker("root") is None:
        yield
        return
    from mininet_topos.lock import mininet_lock

    with mininet_lock():
        yield
