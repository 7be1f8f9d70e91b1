// A small v1model program for the P4Runtime conformance tests (tests/test_p4runtime_conformance.py).
// It declares one of every object the tests exercise, so omniplan-switch and BMv2
// simple_switch_grpc load the same P4Info: exact/LPM/ternary tables, a keyless table, action
// scopes, an indexed counter, a direct counter, an indexed meter, a direct meter, a register,
// a digest and a table with idle timeout.
#include <core.p4>
#include <v1model.p4>

header ethernet_t { bit<48> dst; bit<48> src; bit<16> etype; }
struct digest_t { bit<48> src; bit<9> port; }
struct metadata_t { bit<32> color; }
struct headers_t { ethernet_t eth; }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    state start { pkt.extract(hdr.eth); transition accept; }
}
control VC(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) {
    counter(64, CounterType.packets_and_bytes) port_counter;
    direct_counter(CounterType.packets_and_bytes) fwd_counter;
    meter(32, MeterType.bytes) port_meter;
    direct_meter<bit<32>>(MeterType.packets) acl_meter;
    register<bit<32>>(16) last_len;

    action forward(bit<9> port) { std.egress_spec = port; fwd_counter.count(); }
    action drop() { mark_to_drop(std); }
    action fwd_miss() { fwd_counter.count(); }
    action learn() { digest<digest_t>(1, { hdr.eth.src, std.ingress_port }); }
    action set_color() { acl_meter.read(meta.color); }
    action route(bit<9> port) { std.egress_spec = port; }

    table fwd {
        key = { hdr.eth.dst : exact; }
        actions = { forward; @defaultonly fwd_miss; }
        default_action = fwd_miss();
        counters = fwd_counter;
        size = 1024;
    }
    table acl {
        key = { hdr.eth.src : ternary; hdr.eth.etype : ternary; }
        actions = { set_color; @tableonly drop; NoAction; }
        meters = acl_meter;
        default_action = NoAction();
        size = 256;
    }
    table routes {
        key = { hdr.eth.dst[31:0] : lpm @name("dst32"); }
        actions = { route; NoAction; }
        default_action = NoAction();
        size = 131072;
    }
    table smac {
        key = { hdr.eth.src : exact; }
        actions = { NoAction; learn; }
        default_action = learn();
        support_timeout = true;
        size = 1024;
    }
    table keyless {
        actions = { drop; NoAction; }
        default_action = NoAction();
    }
    apply {
        port_counter.count((bit<32>) std.ingress_port);
        port_meter.execute_meter((bit<32>) std.ingress_port, meta.color);
        last_len.write((bit<32>) std.ingress_port[3:0], std.packet_length);
        smac.apply();
        fwd.apply();
        acl.apply();
        routes.apply();
        keyless.apply();
    }
}
control Eg(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t std) { apply { } }
control CC(inout headers_t hdr, inout metadata_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.eth); } }

V1Switch(P(), VC(), Ing(), Eg(), CC(), D()) main;
