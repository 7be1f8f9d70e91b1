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
* Arbitration follows P4Runtime v1.4.1 section 5: per (device, role) the primary is the client
  whose election id equals the highest id ever received; when it leaves nobody is promoted (all
  are told NOT_FOUND) until a client re-arbitrates with an id at least that high. An unset
  election id is a backup forever. Only the primary may Write, push a pipeline or send PacketOut.
* Byte strings: canonical and padded forms are both accepted; reads answer canonical ones.
* VERIFY_AND_SAVE: Read/Write act on the saved config until COMMIT realizes it with those writes;
  RECONCILE_AND_COMMIT keeps every entry that still validates against the new P4Info, or changes
  nothing.
* Writable: table entries (with direct counters/meters and idle timeout), counters, meters,
  registers, direct counter/meter entries, digest configs. DigestLists and idle-timeout
  notifications go to the primary on the stream. Action profiles, the replication engine and value
  sets are not implemented (reads answer empty when the program declares none).
* Every difference from BMv2's PI server is listed in docs/p4runtime-conformance.md.

Modules: main (CLI), server (gRPC), switch (device model), tables, externs (counters, meters,
registers, digest configs), notifications (digest lists, idle timeouts), codec, p4info,
arbitration, dataplane, client (minimal test/bench client), embedded (in-process server), bmv2
(launcher), reference (start omniplan-switch or BMv2 side by side), demo_p4info (a program that is
not ours).
"""
