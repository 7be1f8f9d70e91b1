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


@pytest.fixture(scope="session")
def bmv2_program():
    """The p4c-compiled inml.p4 (p4src/build/inml.json), compiled now if missing or stale; skips
    with the reason when the toolchain or root/netns (BMv2 runs in a namespace we create) is missing."""
    from p4src.toolchain import HOW_TO_GET, built_json, compile_inml, find_toolchain
    from softswitch.netns_network import netns_available

    tc = find_toolchain()
    if tc.compiler is None or tc.bmv2 is None:
        pytest.skip(f"P4 toolchain not installed (p4c-bm2-ss/simple_switch_grpc): {HOW_TO_GET}")
    reason = netns_available()
    if reason:
        pytest.skip(f"BMv2 tests: {reason}")
    path = built_json()
    if path is None:
        res = compile_inml(toolchain=tc)
        assert res.returncode == 0, res.output
        path = res.json_path
    return path
