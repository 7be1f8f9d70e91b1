"""Prometheus metrics of one controller instance (its own registry, so tests can run several).

Names an operator alerts on (GET /metrics):

* ``omniplan_push_failures_total{switch}``: pushes that failed because a write to ``switch`` failed
  (whether or not the rollback then succeeded);
* ``omniplan_rollbacks_total{outcome}``: rollbacks after a failed push, ``outcome`` = ``complete`` or
  ``incomplete`` (some switch could not be restored and is reconciled when it answers);
* ``omniplan_switch_transitions_total{switch,state}`` and ``omniplan_switch_up{switch}`` (1 up, else 0);
  ``state`` is ``up``, ``down`` or ``backup`` (another controller is primary);
* ``omniplan_link_transitions_total{link,state}`` and ``omniplan_link_up{link}`` (``state``: ``up``,
  ``down``, ``miswired``); ``link`` is the two
  devices in sorted order joined by ``-`` (``s1-s2``), so both directions are one series;
* ``omniplan_switch_entries{switch}``: table entries the controller has committed on each switch;
* ``omniplan_replans_total``: replans of the active intent after a network fault.

The failure detector drives the switch and link series through ``switch_state`` / ``link_state``.
"""

from __future__ import annotations

from typing import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily


def link_name(a: str, b: str) -> str:
    """One label value per undirected link, whichever end reports it."""
    return "-".join(sorted((a, b)))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.intents = Counter("omniplan_intent_transitions_total", "Intent lifecycle transitions by state", ["state"], registry=r)
        self.step_seconds = Histogram("omniplan_step_seconds", "Duration of lifecycle steps", ["step"], registry=r,
                                      buckets=(0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
        self.entries_written = Counter("omniplan_entries_written_total", "P4Runtime table updates written", registry=r)
        self.queue_depth = Gauge("omniplan_planning_queue_depth", "Jobs waiting in the planning queue", registry=r)
        self.http_requests = Counter("omniplan_http_requests_total", "API requests", ["method", "route", "status"], registry=r)
        self.http_seconds = Histogram("omniplan_http_request_seconds", "API request latency", ["route"], registry=r,
                                      buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1))
        self.switches_up = Gauge("omniplan_switches_connected", "Switches with a ready P4Runtime channel", registry=r)
        self.push_failures = Counter("omniplan_push_failures_total", "Pushes that failed, by the switch whose write failed",
                                     ["switch"], registry=r)
        self.rollbacks = Counter("omniplan_rollbacks_total", "Rollbacks after a failed push, by outcome",
                                 ["outcome"], registry=r)
        self.switch_transitions = Counter("omniplan_switch_transitions_total", "Switch up/down transitions",
                                          ["switch", "state"], registry=r)
        self.switch_up = Gauge("omniplan_switch_up", "1 if the switch is up (reachable, healthy), else 0",
                               ["switch"], registry=r)
        self.link_transitions = Counter("omniplan_link_transitions_total", "Link up/down transitions",
                                        ["link", "state"], registry=r)
        self.link_up = Gauge("omniplan_link_up", "1 if the link is up (probes answered), else 0", ["link"], registry=r)
        self.switch_entries = Gauge("omniplan_switch_entries", "Table entries committed on each switch",
                                    ["switch"], registry=r)
        self.replans = Counter("omniplan_replans_total", "Replans of the active intent after a network fault", registry=r)

    # ---------------------------------------------------------------- helpers the controller calls
    def push_failed(self, switch: str, *, rolled_back: bool | None) -> None:
        """A push failed on ``switch``; ``rolled_back`` None = no rollback was attempted."""
        self.push_failures.labels(switch).inc()
        if rolled_back is not None:
            self.rollbacks.labels("complete" if rolled_back else "incomplete").inc()

    def switch_state(self, switch: str, state: str) -> None:
        """A health change of ``switch`` (``up``, ``down``, or e.g. ``backup`` when another controller is primary)."""
        self.switch_transitions.labels(switch, state).inc()
        self.switch_up.labels(switch).set(1 if state == "up" else 0)

    def link_state(self, a: str, b: str, state: str) -> None:
        """A health change of link a-b seen by the probes (``up``, ``down``, or ``miswired``)."""
        name = link_name(a, b)
        self.link_transitions.labels(name, state).inc()
        self.link_up.labels(name).set(1 if state == "up" else 0)

    def set_entries(self, counts: Mapping[str, int], switches: list[str]) -> None:
        """Per-switch committed entry counts (switches with none show 0, so a wipe is visible)."""
        for name in switches:
            self.switch_entries.labels(name).set(counts.get(name, 0))

    def watch_inference(self, counts: Callable[[], dict[str, dict[str, dict[str, int]]]]) -> None:
        """Export ``omniplan_inference_packets_total{task,label,switch}`` from the switches' own
        counters (switch -> task -> label -> packets, as last read): the switch counts, we relay."""
        self.registry.register(_InferenceCollector(counts))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _InferenceCollector:
    """Prometheus collector over the last read of the switches' per-class direct counters."""

    def __init__(self, counts: Callable[[], dict[str, dict[str, dict[str, int]]]]):
        self.counts = counts

    def describe(self):
        return []

    def collect(self):
        family = CounterMetricFamily("omniplan_inference_packets", "Packets classified and delivered, per task "
                                     "and class label, as counted by each switch (inml.p4 label_packets)",
                                     labels=["task", "label", "switch"])
        for switch, tasks in sorted(self.counts().items()):
            for task, labels in sorted(tasks.items()):
                for label, packets in sorted(labels.items()):
                    family.add_metric([task, label, switch], packets)
        yield family
