"""A small P4Info that exercises every match kind, action scope and packet I/O header.

Why it exists: tests, the benchmark and operators trying the switch by hand need a program that
is not ours (the data plane then drops, the control plane must still enforce everything), and one
with ternary/range/optional tables, which the inference program may not have.
"""

from __future__ import annotations

from softswitch.p4info import parse_p4info_text
from softswitch.proto import p4i

# Ids carry the P4Info type prefix in their top byte (0x01 action, 0x02 table, 0x04 controller
# header) as p4c assigns them; some clients (finsy) check it.
FWD, ACL, ROUTE = 0x02000001, 0x02000002, 0x02000003
FORWARD, DROP, NO_ACTION = 0x01000001, 0x01000002, 0x01000063
PACKET_IN, PACKET_OUT = 0x04000001, 0x04000002

DEMO_P4INFO_TEXT = """
pkg_info { name: "omniplan_demo" arch: "v1model" }
tables {
  preamble { id: 33554433 name: "Ingress.fwd" alias: "fwd" }
  match_fields { id: 1 name: "hdr.eth.dst" bitwidth: 48 match_type: EXACT }
  match_fields { id: 2 name: "std.ingress_port" bitwidth: 9 match_type: EXACT }
  action_refs { id: 16777217 }
  action_refs { id: 16777218 }
  action_refs { id: 16777315 scope: DEFAULT_ONLY }
  size: 100000
}
tables {
  preamble { id: 33554434 name: "Ingress.acl" alias: "acl" }
  match_fields { id: 1 name: "hdr.ipv4.src" bitwidth: 32 match_type: TERNARY }
  match_fields { id: 2 name: "hdr.tcp.dport" bitwidth: 16 match_type: RANGE }
  match_fields { id: 3 name: "hdr.ipv4.proto" bitwidth: 8 match_type: OPTIONAL }
  action_refs { id: 16777217 }
  action_refs { id: 16777218 scope: TABLE_ONLY }
  size: 4
}
tables {
  preamble { id: 33554435 name: "Ingress.route" alias: "route" }
  match_fields { id: 1 name: "hdr.ipv4.dst" bitwidth: 32 match_type: LPM }
  action_refs { id: 16777217 }
  action_refs { id: 16777218 }
  const_default_action_id: 16777218
  size: 1024
}
actions { preamble { id: 16777217 name: "Ingress.forward" alias: "forward" }
  params { id: 1 name: "port" bitwidth: 9 } }
actions { preamble { id: 16777218 name: "Ingress.drop" alias: "drop" } }
actions { preamble { id: 16777315 name: "NoAction" alias: "NoAction" } }
controller_packet_metadata {
  preamble { id: 67108865 name: "packet_in" alias: "packet_in" }
  metadata { id: 1 name: "ingress_port" bitwidth: 9 }
  metadata { id: 2 name: "_pad" bitwidth: 7 }
}
controller_packet_metadata {
  preamble { id: 67108866 name: "packet_out" alias: "packet_out" }
  metadata { id: 1 name: "egress_port" bitwidth: 9 }
  metadata { id: 2 name: "_pad" bitwidth: 7 }
}
"""


def demo_p4info() -> "p4i.P4Info":
    return parse_p4info_text(DEMO_P4INFO_TEXT, "demo P4Info")
