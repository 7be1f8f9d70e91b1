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
