"""``detour``: a small network whose plans cross a switch that holds no table, with a way around it.

Why it exists: the fault campaign (bench/bench_faults.py) must kill a switch the plan only routes
through. On a line the planner's power plan (``power=1``: consolidate onto the most central
device) sits next to the sender, so nothing is crossed without being used. Here the most central
device, s4, is two hops from the ingress s1, reached over s2 (the preferred, lower-latency leg) or
over s3 (the detour)::

        s2          s5
       /  \\        /
    s1      s4 --
       \\  /        \\
        s3          s6

A ``power=1`` plan puts every MAT on s4 and routes s1 -> s2 -> s4; s2 holds only the forwarding
(route) entries of the transit pass. Killing s2 leaves s4 the most central device, so a correct
replan keeps the MATs where they are and only re-routes over s3. (Two tails on s4, not one: with a
single tail, s1-s3-s4-s5 would be a chain whose two middle devices are equally central once s2 is
gone, and the tie would move the tables to s3.)
"""

from __future__ import annotations

from omniplan.topology import TOFINO, Device, DeviceProfile, Link, Topology

#: Planner latency of the preferred legs (us); the same as ``omniplan.topology.line``'s links.
LEG_LATENCY_US = 5.0
#: The detour over s3 is a little slower, so shortest paths (and the planner's routes) take s2
#: deterministically instead of breaking a tie by node order.
DETOUR_LATENCY_US = 6.0
NAME = "detour"


def detour(*, profile: DeviceProfile = TOFINO, bandwidth_gbps: float = 10.0) -> Topology:
    """The six-switch detour network of the module docstring (device names s1..s6)."""
    devices = tuple(Device(f"s{i}", profile, f"s{i}") for i in range(1, 7))
    links = (
        Link("s1", "s2", bandwidth_gbps, LEG_LATENCY_US),
        Link("s2", "s4", bandwidth_gbps, LEG_LATENCY_US),
        Link("s1", "s3", bandwidth_gbps, DETOUR_LATENCY_US),
        Link("s3", "s4", bandwidth_gbps, DETOUR_LATENCY_US),
        Link("s4", "s5", bandwidth_gbps, LEG_LATENCY_US),
        Link("s4", "s6", bandwidth_gbps, LEG_LATENCY_US),
    )
    return Topology(name=NAME, devices=devices, links=links, kind="custom")
