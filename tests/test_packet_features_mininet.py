"""In Mininet: an IDS model trained on host-side features of generated flows classifies live
plain-IPv4 packets by their real headers and flow state, split over three omniplan-switch nodes
(mininet_topos.packet_demo: h1 replays a held-out trace with no inference header, h3 captures).

References: sklearn's prediction on the feature vector the switches computed (carried to h3 in
the inml header the last switch keeps): equal on every packet; host-side extraction of the sent
trace: the time-free features equal (the switches' own clock sets flow.iat and flow.duration);
the packet h1 sent: intact behind the header."""

from __future__ import annotations

import pytest

from mininet_topos.preflight import mininet_skip_reason

pytestmark = [pytest.mark.root, pytest.mark.slow,
              pytest.mark.skipif(mininet_skip_reason() is not None, reason=str(mininet_skip_reason()))]


def test_mininet_switches_classify_plain_ipv4_like_sklearn(tmp_path):
    from mininet_topos.packet_demo import run_demo

    rep = run_demo(tmp_path, packets=1100)  # at the trace's own timing
    assert rep.sent == rep.received == 1100, rep.lines()
    assert rep.intact == rep.labels_equal_sklearn == rep.features_equal_host == 1100, rep.lines()
    assert rep.ok
    assert len(rep.label_counts) >= 4 and rep.accuracy > 0.9, rep.lines()  # traffic classes told apart
