"""Prometheus metrics of one controller instance (its own registry, so tests can run several)."""

from __future__ import annotations

from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily


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
        self.push_failures = Counter("omniplan_push_failures_total", "Pushes that failed (rolled back or not)", registry=r)
        self.rollbacks = Counter("omniplan_rollbacks_total", "Pushes undone by a complete rollback", registry=r)
        self.replans = Counter("omniplan_replans_total", "Replans of the active intent after a network fault", registry=r)
        self.switch_transitions = Counter("omniplan_switch_transitions_total", "Switch health changes (up/down)",
                                          ["device", "state"], registry=r)
        self.link_transitions = Counter("omniplan_link_transitions_total", "Link health changes seen by probes",
                                        ["link", "state"], registry=r)

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
