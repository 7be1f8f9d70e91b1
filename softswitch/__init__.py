"""omniplan-switch: our embedded P4Runtime v1 target (a software switch).

It exists so the controller can be developed, tested and benchmarked against a real gRPC
P4Runtime server without BMv2: the control plane enforces the pushed P4Info as PI/BMv2 do, and
the data plane runs the Python pipeline twin (p4src.pipeline) when the pushed program is ours.

Run it like simple_switch_grpc::

    omniplan-switch --device-id 1 --grpc-port 9559 -i 1@veth0 -i 2@veth2 --cpu-port 255

Behaviour worth knowing (see the modules for the why):

* Write errors follow PI/BMv2: the RPC fails with UNKNOWN and the status details carry one
  p4.v1.Error per update (OK for the ones that succeeded). CONTINUE_ON_ERROR applies the good
  updates; ROLLBACK_ON_ERROR and DATAPLANE_ATOMIC undo the whole batch (others marked ABORTED).
  A batch never interleaves with packet processing.
* Arbitration: highest election id per (device, role) is primary; when it leaves, the next
  highest is promoted and told OK (as PI does). Only the primary may Write, push a pipeline or
  send PacketOut.
* Byte strings: canonical and padded forms are both accepted; reads answer canonical ones.
* VERIFY_AND_SAVE holds the new config and refuses writes until COMMIT; RECONCILE_AND_COMMIT
  keeps every entry that still validates against the new P4Info, or changes nothing.
* Only table entries are writable; reads of object kinds the program does not declare
  (counters, action profiles, replication engine, ...) answer empty.

Modules: main (CLI), server (gRPC), switch (device model), tables, codec, p4info, arbitration,
dataplane, client (minimal test/bench client), embedded (in-process server), bmv2 (launcher),
demo_p4info (a program that is not ours).
"""
