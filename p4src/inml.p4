/*
 * inml.p4 -- OmniPlan's generic in-network ML inference pipeline (P4_16, v1model, BMv2).
 *
 * Compiled by p4c (`make p4`):
 *     p4c-bm2-ss --arch v1model --p4runtime-files inml.p4info.txtpb -o build/inml.json inml.p4
 * with no errors or warnings; the committed P4Info beside it (inml.p4info.txtpb) is the compiler's
 * output, byte for byte (tests/test_p4_program.py recompiles and compares when p4c is present).
 * BMv2 simple_switch_grpc runs the JSON; the Python twin p4src/pipeline.py executes the same
 * semantics and the differential tests (tests/test_bmv2_differential.py) compare the two packet
 * for packet. Widths are mirrored in p4src/layout.py. Wide fields (regs 1536 bits) rely on BMv2's
 * arbitrary-width fields; a Tofino build would split them.
 *
 * Packet: Ethernet / inml header (EtherType 0x88B5, IEEE local experimental 1) carrying the task
 * id, a config version (make-before-break: entries of two versions coexist, the dispatch entry at
 * the ingress picks one), a visit counter (one per pipeline pass; keys every table so repeated
 * passes through a device or its recirculation port run different entries), the label, the
 * quantised features (64 x 16 bits, feature 0 first), and `regs`: interval code words (bits
 * 1024..1535) and sixteen 64-bit partial-sum lanes (lane k at bits 64k..64k+63). regs is the
 * state that travels between switches when a task is split: the coordination cost the planner counts.
 *
 * Per pass: dispatch (fresh packets only) -> key_select (stages the feature each stage table's
 * range key reads) -> stage0..stage15 (generic MATs: set/add into regs, set label, argmax) ->
 * route (forward to the next device / recirculate / deliver / to CPU). Plain traffic: l2_fwd.
 *
 * Packet features: hosts may send plain Ethernet/IPv4/TCP|UDP. At a task's first switch
 * task_select (on the IPv4 addresses and protocol) starts the task: the flow registers
 * (indexed by CRC-32 of the 5-tuple) are updated, and the inml header is inserted between
 * Ethernet and IPv4 with the catalogue's features (header fields, flow state) in
 * hdr.features[0..12]; p4src/features.py defines them and tests/test_packet_features_differential.py
 * checks BMv2 against the twin on generated traffic. The last switch's deliver_plain removes the
 * header again (deliver keeps it, for a monitor).
 */
#include <core.p4>
#include <v1model.p4>

const bit<16> TYPE_INML = 0x88B5;
const bit<16> TYPE_IPV4 = 0x0800;
const bit<8>  PROTO_TCP = 6;
const bit<8>  PROTO_UDP = 17;
/* Packet features (p4src/features.py is the reference): flow-state slots and the shifts that
 * reduce wide flow state to 16-bit features before saturation. */
#define FLOW_SLOTS 4096
const bit<8>  MEAN_SHIFT     = 3;
const bit<8>  MEAN_FRAC      = 4;
const bit<8>  BYTES_SHIFT    = 6;
const bit<8>  IAT_SHIFT      = 8;
const bit<8>  DURATION_SHIFT = 10;
const bit<9>  CPU_PORT  = 255;
const bit<8>  FLAG_DONE = 0x01;
#define STAGE_TABLE_SIZE 65536
#define NUM_FEATURES 64

typedef bit<9>  port_t;
typedef bit<48> mac_t;

@controller_header("packet_in")
header packet_in_t {
    bit<9> ingress_port;
    bit<7> _pad;
}

@controller_header("packet_out")
header packet_out_t {
    bit<9> egress_port;
    bit<7> _pad;
}

header ethernet_t {
    mac_t   dstAddr;
    mac_t   srcAddr;
    bit<16> etherType;
}

header inml_t {
    bit<16>   task_id;
    bit<8>    version;
    bit<16>   visit;
    bit<16>   label;
    bit<8>    flags;
}

/* The 64 quantised features follow inml_t on the wire, feature 0 first. A header stack, so
 * key_select can pick feature i by index (a standard P4_16 construct) instead of shifting a
 * 1024-bit field by a runtime amount, which p4c's BMv2 backend rejects (shift amount > 8 bits). */
header feature_t {
    bit<16> value;
}

header inml_regs_t {
    bit<1536> regs;       // [1535:1024] code words | [1023:0] 16 x 64-bit lanes
}

header ipv4_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  tos;
    bit<16> totalLen;
    bit<16> identification;
    bit<3>  flags;
    bit<13> fragOffset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdrChecksum;
    bit<32> srcAddr;
    bit<32> dstAddr;
}

header tcp_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<32> seqNo;
    bit<32> ackNo;
    bit<4>  dataOffset;
    bit<4>  res;
    bit<8>  flags;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgentPtr;
}

header udp_t {
    bit<16> srcPort;
    bit<16> dstPort;
    bit<16> length;
    bit<16> checksum;
}

struct headers_t {
    packet_out_t packet_out;
    packet_in_t  packet_in;
    ethernet_t   ethernet;
    inml_t       inml;
    feature_t[NUM_FEATURES] features;
    inml_regs_t  inml_regs;
    ipv4_t       ipv4;
    tcp_t        tcp;
    udp_t        udp;
}

/* Digest sent to the controller for a fresh packet of a task the switch has no dispatch entry for:
 * traffic that arrives before its tables do (P4Runtime DigestList on the stream). */
struct unknown_task_t {
    bit<16> task_id;
    port_t  ingress_port;
}

struct metadata_t {
    bit<16> key0;
    bit<16> key1;
    bit<16> key2;
    bit<16> key3;
    bit<16> key4;
    bit<16> key5;
    bit<16> key6;
    bit<16> key7;
    bit<16> key8;
    bit<16> key9;
    bit<16> key10;
    bit<16> key11;
    bit<16> key12;
    bit<16> key13;
    bit<16> key14;
    bit<16> key15;
    /* which feature each key reads: key_select's parameters (0 when it misses), turned into
     * key0..key15 by read_keys */
    bit<6>  feature0;
    bit<6>  feature1;
    bit<6>  feature2;
    bit<6>  feature3;
    bit<6>  feature4;
    bit<6>  feature5;
    bit<6>  feature6;
    bit<6>  feature7;
    bit<6>  feature8;
    bit<6>  feature9;
    bit<6>  feature10;
    bit<6>  feature11;
    bit<6>  feature12;
    bit<6>  feature13;
    bit<6>  feature14;
    bit<6>  feature15;
    bit<1>  argmax_go;
    bit<8>  argmax_n;
    bit<1>  task_hit;
    bit<16> task_id;
    bit<8>  features_parsed;
    /* BMv2 needs one tagged field for field list 0; nothing must survive a pass (the header
     * carries all state) and the ingress clears it, so preserving it changes nothing. */
    @field_list(0)
    bit<1>  recirc;
    bit<1>  final;  /* route delivered the packet (host or CPU): label_count counts its class */
    bit<16> final_task;   /* the delivered packet's task and label, kept before deliver_plain */
    bit<16> final_label;  /* strips the inference header: label_count's key */
}

parser MyParser(packet_in packet, out headers_t hdr, inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        transition select(standard_metadata.ingress_port) {
            CPU_PORT: parse_packet_out;
            default:  parse_ethernet;
        }
    }
    state parse_packet_out {
        packet.extract(hdr.packet_out);
        transition parse_ethernet;
    }
    state parse_ethernet {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.etherType) {
            TYPE_INML: parse_inml;
            TYPE_IPV4: parse_ipv4;
            default:   accept;
        }
    }
    /* L4 only behind an option-less, unfragmented (or first-fragment) IPv4 header; anything else
     * is accepted with the L4 fields absent (features 0). */
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.ihl, hdr.ipv4.fragOffset, hdr.ipv4.protocol) {
            (4w5, 13w0, PROTO_TCP): parse_tcp;
            (4w5, 13w0, PROTO_UDP): parse_udp;
            default: accept;
        }
    }
    state parse_tcp {
        packet.extract(hdr.tcp);
        transition accept;
    }
    state parse_udp {
        packet.extract(hdr.udp);
        transition accept;
    }
    state parse_inml {
        packet.extract(hdr.inml);
        meta.features_parsed = 0;
        transition parse_features;
    }
    state parse_features {
        /* a counter, not hdr.features.lastIndex: BMv2 cannot select on lastIndex */
        packet.extract(hdr.features.next);
        meta.features_parsed = meta.features_parsed + 1;
        transition select(meta.features_parsed) {
            NUM_FEATURES: parse_regs;
            default:      parse_features;
        }
    }
    state parse_regs {
        packet.extract(hdr.inml_regs);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

/* Label = index of the largest of the first argmax_n lanes; ties go to the lowest index. */
control ArgmaxLanes(inout inml_t inml, in inml_regs_t inml_regs, inout metadata_t meta) {
    apply {
        bit<64> best = inml_regs.regs[63:0];
        bit<16> idx = 0;
        if (meta.argmax_n > 1 && inml_regs.regs[127:64] > best) { best = inml_regs.regs[127:64]; idx = 1; }
        if (meta.argmax_n > 2 && inml_regs.regs[191:128] > best) { best = inml_regs.regs[191:128]; idx = 2; }
        if (meta.argmax_n > 3 && inml_regs.regs[255:192] > best) { best = inml_regs.regs[255:192]; idx = 3; }
        if (meta.argmax_n > 4 && inml_regs.regs[319:256] > best) { best = inml_regs.regs[319:256]; idx = 4; }
        if (meta.argmax_n > 5 && inml_regs.regs[383:320] > best) { best = inml_regs.regs[383:320]; idx = 5; }
        if (meta.argmax_n > 6 && inml_regs.regs[447:384] > best) { best = inml_regs.regs[447:384]; idx = 6; }
        if (meta.argmax_n > 7 && inml_regs.regs[511:448] > best) { best = inml_regs.regs[511:448]; idx = 7; }
        if (meta.argmax_n > 8 && inml_regs.regs[575:512] > best) { best = inml_regs.regs[575:512]; idx = 8; }
        if (meta.argmax_n > 9 && inml_regs.regs[639:576] > best) { best = inml_regs.regs[639:576]; idx = 9; }
        if (meta.argmax_n > 10 && inml_regs.regs[703:640] > best) { best = inml_regs.regs[703:640]; idx = 10; }
        if (meta.argmax_n > 11 && inml_regs.regs[767:704] > best) { best = inml_regs.regs[767:704]; idx = 11; }
        if (meta.argmax_n > 12 && inml_regs.regs[831:768] > best) { best = inml_regs.regs[831:768]; idx = 12; }
        if (meta.argmax_n > 13 && inml_regs.regs[895:832] > best) { best = inml_regs.regs[895:832]; idx = 13; }
        if (meta.argmax_n > 14 && inml_regs.regs[959:896] > best) { best = inml_regs.regs[959:896]; idx = 14; }
        if (meta.argmax_n > 15 && inml_regs.regs[1023:960] > best) { best = inml_regs.regs[1023:960]; idx = 15; }
        inml.label = idx;
        inml.flags = inml.flags | FLAG_DONE;
        meta.argmax_go = 0;
    }
}

control MyIngress(inout headers_t hdr, inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    ArgmaxLanes() argmax0;
    ArgmaxLanes() argmax1;
    ArgmaxLanes() argmax2;
    ArgmaxLanes() argmax3;
    ArgmaxLanes() argmax4;
    ArgmaxLanes() argmax5;
    ArgmaxLanes() argmax6;
    ArgmaxLanes() argmax7;
    ArgmaxLanes() argmax8;
    ArgmaxLanes() argmax9;
    ArgmaxLanes() argmax10;
    ArgmaxLanes() argmax11;
    ArgmaxLanes() argmax12;
    ArgmaxLanes() argmax13;
    ArgmaxLanes() argmax14;
    ArgmaxLanes() argmax15;

    action drop() {
        mark_to_drop(standard_metadata);
    }
    action send_to_cpu() {
        standard_metadata.egress_spec = CPU_PORT;
        meta.final = 1;
        meta.final_task = hdr.inml.task_id;
        meta.final_label = hdr.inml.label;
    }

    /* ---- per-task inference counters, read by the controller over P4Runtime (DirectCounterEntry):
     * dispatch_packets counts the fresh packets of each task (one dispatch entry per task),
     * label_packets the delivered packets of each (task, class label). */
    direct_counter(CounterType.packets_and_bytes) dispatch_packets;
    direct_counter(CounterType.packets_and_bytes) label_packets;

    /* ---- packet features: the first switch of a task turns an IPv4 packet into an inference
     * packet. task_select picks the task; the flow registers (indexed by CRC-32 of the 5-tuple,
     * holding the 5-tuple itself so a colliding flow evicts rather than mixes) are updated; the
     * inml header is inserted between Ethernet and IPv4 with the catalogue's features in
     * hdr.features[0..12] (p4src/features.py). */
    register<bit<32>>(FLOW_SLOTS) flow_src;
    register<bit<32>>(FLOW_SLOTS) flow_dst;
    register<bit<40>>(FLOW_SLOTS) flow_l4;      // protocol ++ sport ++ dport
    register<bit<32>>(FLOW_SLOTS) flow_pkts;
    register<bit<32>>(FLOW_SLOTS) flow_bytes;
    register<bit<32>>(FLOW_SLOTS) flow_mean16;  // EWMA of IPv4 lengths, 4 fractional bits
    register<bit<48>>(FLOW_SLOTS) flow_first;   // ingress_global_timestamp, microseconds
    register<bit<48>>(FLOW_SLOTS) flow_last;

    action start_task(bit<16> task_id) {
        meta.task_hit = 1;
        meta.task_id = task_id;
    }
    table task_select {
        key = {
            hdr.ipv4.srcAddr  : ternary;
            hdr.ipv4.dstAddr  : ternary;
            hdr.ipv4.protocol : ternary;
        }
        actions = { start_task; NoAction; }
        default_action = NoAction();
        size = 1024;
    }

    action insert_inml() {
        hdr.inml.setValid();
        hdr.inml.task_id = meta.task_id;
        hdr.inml.version = 0;
        hdr.inml.visit = 0;
        hdr.inml.label = 0;
        hdr.inml.flags = 0;
        hdr.features[0].setValid();
        hdr.features[0].value = 0;
        hdr.features[1].setValid();
        hdr.features[1].value = 0;
        hdr.features[2].setValid();
        hdr.features[2].value = 0;
        hdr.features[3].setValid();
        hdr.features[3].value = 0;
        hdr.features[4].setValid();
        hdr.features[4].value = 0;
        hdr.features[5].setValid();
        hdr.features[5].value = 0;
        hdr.features[6].setValid();
        hdr.features[6].value = 0;
        hdr.features[7].setValid();
        hdr.features[7].value = 0;
        hdr.features[8].setValid();
        hdr.features[8].value = 0;
        hdr.features[9].setValid();
        hdr.features[9].value = 0;
        hdr.features[10].setValid();
        hdr.features[10].value = 0;
        hdr.features[11].setValid();
        hdr.features[11].value = 0;
        hdr.features[12].setValid();
        hdr.features[12].value = 0;
        hdr.features[13].setValid();
        hdr.features[13].value = 0;
        hdr.features[14].setValid();
        hdr.features[14].value = 0;
        hdr.features[15].setValid();
        hdr.features[15].value = 0;
        hdr.features[16].setValid();
        hdr.features[16].value = 0;
        hdr.features[17].setValid();
        hdr.features[17].value = 0;
        hdr.features[18].setValid();
        hdr.features[18].value = 0;
        hdr.features[19].setValid();
        hdr.features[19].value = 0;
        hdr.features[20].setValid();
        hdr.features[20].value = 0;
        hdr.features[21].setValid();
        hdr.features[21].value = 0;
        hdr.features[22].setValid();
        hdr.features[22].value = 0;
        hdr.features[23].setValid();
        hdr.features[23].value = 0;
        hdr.features[24].setValid();
        hdr.features[24].value = 0;
        hdr.features[25].setValid();
        hdr.features[25].value = 0;
        hdr.features[26].setValid();
        hdr.features[26].value = 0;
        hdr.features[27].setValid();
        hdr.features[27].value = 0;
        hdr.features[28].setValid();
        hdr.features[28].value = 0;
        hdr.features[29].setValid();
        hdr.features[29].value = 0;
        hdr.features[30].setValid();
        hdr.features[30].value = 0;
        hdr.features[31].setValid();
        hdr.features[31].value = 0;
        hdr.features[32].setValid();
        hdr.features[32].value = 0;
        hdr.features[33].setValid();
        hdr.features[33].value = 0;
        hdr.features[34].setValid();
        hdr.features[34].value = 0;
        hdr.features[35].setValid();
        hdr.features[35].value = 0;
        hdr.features[36].setValid();
        hdr.features[36].value = 0;
        hdr.features[37].setValid();
        hdr.features[37].value = 0;
        hdr.features[38].setValid();
        hdr.features[38].value = 0;
        hdr.features[39].setValid();
        hdr.features[39].value = 0;
        hdr.features[40].setValid();
        hdr.features[40].value = 0;
        hdr.features[41].setValid();
        hdr.features[41].value = 0;
        hdr.features[42].setValid();
        hdr.features[42].value = 0;
        hdr.features[43].setValid();
        hdr.features[43].value = 0;
        hdr.features[44].setValid();
        hdr.features[44].value = 0;
        hdr.features[45].setValid();
        hdr.features[45].value = 0;
        hdr.features[46].setValid();
        hdr.features[46].value = 0;
        hdr.features[47].setValid();
        hdr.features[47].value = 0;
        hdr.features[48].setValid();
        hdr.features[48].value = 0;
        hdr.features[49].setValid();
        hdr.features[49].value = 0;
        hdr.features[50].setValid();
        hdr.features[50].value = 0;
        hdr.features[51].setValid();
        hdr.features[51].value = 0;
        hdr.features[52].setValid();
        hdr.features[52].value = 0;
        hdr.features[53].setValid();
        hdr.features[53].value = 0;
        hdr.features[54].setValid();
        hdr.features[54].value = 0;
        hdr.features[55].setValid();
        hdr.features[55].value = 0;
        hdr.features[56].setValid();
        hdr.features[56].value = 0;
        hdr.features[57].setValid();
        hdr.features[57].value = 0;
        hdr.features[58].setValid();
        hdr.features[58].value = 0;
        hdr.features[59].setValid();
        hdr.features[59].value = 0;
        hdr.features[60].setValid();
        hdr.features[60].value = 0;
        hdr.features[61].setValid();
        hdr.features[61].value = 0;
        hdr.features[62].setValid();
        hdr.features[62].value = 0;
        hdr.features[63].setValid();
        hdr.features[63].value = 0;
        hdr.inml_regs.setValid();
        hdr.inml_regs.regs = 0;
        hdr.ethernet.etherType = TYPE_INML;
    }

    /* ---- dispatch: stamp fresh (visit 0) packets of a task with the active config version */
    action stamp(bit<8> version, bit<16> visit) {
        hdr.inml.version = version;
        hdr.inml.visit = visit;
    }
    table dispatch {
        key = {
            hdr.inml.task_id : exact;
        }
        actions = { stamp; drop; NoAction; }
        default_action = NoAction();
        counters = dispatch_packets;
        size = 1024;
    }

    /* ---- key staging: which feature each stage table's range key reads in this pass */
    action select_keys(bit<6> feature0, bit<6> feature1, bit<6> feature2, bit<6> feature3, bit<6> feature4, bit<6> feature5, bit<6> feature6, bit<6> feature7, bit<6> feature8, bit<6> feature9, bit<6> feature10, bit<6> feature11, bit<6> feature12, bit<6> feature13, bit<6> feature14, bit<6> feature15) {
        meta.feature0 = feature0;
        meta.feature1 = feature1;
        meta.feature2 = feature2;
        meta.feature3 = feature3;
        meta.feature4 = feature4;
        meta.feature5 = feature5;
        meta.feature6 = feature6;
        meta.feature7 = feature7;
        meta.feature8 = feature8;
        meta.feature9 = feature9;
        meta.feature10 = feature10;
        meta.feature11 = feature11;
        meta.feature12 = feature12;
        meta.feature13 = feature13;
        meta.feature14 = feature14;
        meta.feature15 = feature15;
    }
    /* Called from the apply block, not by key_select: BMv2 rejects an action parameter used
     * directly as a header stack index (p4c emits it as runtime_data inside an expression). */
    @hidden action read_keys() {
        meta.key0 = hdr.features[meta.feature0].value;
        meta.key1 = hdr.features[meta.feature1].value;
        meta.key2 = hdr.features[meta.feature2].value;
        meta.key3 = hdr.features[meta.feature3].value;
        meta.key4 = hdr.features[meta.feature4].value;
        meta.key5 = hdr.features[meta.feature5].value;
        meta.key6 = hdr.features[meta.feature6].value;
        meta.key7 = hdr.features[meta.feature7].value;
        meta.key8 = hdr.features[meta.feature8].value;
        meta.key9 = hdr.features[meta.feature9].value;
        meta.key10 = hdr.features[meta.feature10].value;
        meta.key11 = hdr.features[meta.feature11].value;
        meta.key12 = hdr.features[meta.feature12].value;
        meta.key13 = hdr.features[meta.feature13].value;
        meta.key14 = hdr.features[meta.feature14].value;
        meta.key15 = hdr.features[meta.feature15].value;
    }
    table key_select {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
        }
        actions = { select_keys; NoAction; }
        default_action = NoAction();
        size = 4096;
    }

    /* ---- generic MAT actions shared by every stage table */
    action set_bits(bit<1536> mask, bit<1536> value) {
        hdr.inml_regs.regs = (hdr.inml_regs.regs & ~mask) | (value & mask);
    }
    action add_vec(bit<1536> value) {
        hdr.inml_regs.regs = hdr.inml_regs.regs + value;
    }
    action set_label(bit<16> label) {
        hdr.inml.label = label;
        hdr.inml.flags = hdr.inml.flags | FLAG_DONE;
    }
    action argmax_label(bit<8> lanes) {
        meta.argmax_n = lanes;
        meta.argmax_go = 1;
    }

    table stage0 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key0       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage1 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key1       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage2 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key2       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage3 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key3       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage4 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key4       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage5 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key5       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage6 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key6       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage7 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key7       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage8 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key8       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage9 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key9       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage10 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key10       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage11 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key11       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage12 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key12       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage13 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key13       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage14 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key14       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }
    table stage15 {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
            meta.key15       : range;
            hdr.inml_regs.regs    : ternary;
        }
        actions = { set_bits; add_vec; set_label; argmax_label; NoAction; }
        default_action = NoAction();
        size = STAGE_TABLE_SIZE;
    }

    /* ---- routing of inference packets between passes and devices */
    action forward(port_t port, bit<16> next_visit) {
        standard_metadata.egress_spec = port;
        hdr.inml.visit = next_visit;
    }
    action recirculate_pass(bit<16> next_visit) {
        hdr.inml.visit = next_visit;
        meta.recirc = 1;
        standard_metadata.egress_spec = 0;
    }
    action deliver(port_t port) {
        standard_metadata.egress_spec = port;
        meta.final = 1;
        meta.final_task = hdr.inml.task_id;
        meta.final_label = hdr.inml.label;
    }
    /* Last switch of a packet-feature task: the original IPv4 packet leaves, inml removed. */
    action deliver_plain(port_t port) {
        standard_metadata.egress_spec = port;
        meta.final = 1;
        meta.final_task = hdr.inml.task_id;
        meta.final_label = hdr.inml.label;
        hdr.inml.setInvalid();
        hdr.features.pop_front(NUM_FEATURES);
        hdr.inml_regs.setInvalid();
        hdr.ethernet.etherType = TYPE_IPV4;
    }
    table route {
        key = {
            hdr.inml.task_id : exact;
            hdr.inml.version : exact;
            hdr.inml.visit   : exact;
        }
        actions = { forward; recirculate_pass; deliver; deliver_plain; send_to_cpu; drop; }
        default_action = drop();
        size = 8192;
    }

    /* ---- final label: one entry per (task, class) on the delivering switch, only to count */
    table label_count {
        key = {
            meta.final_task  : exact;
            meta.final_label : exact;
        }
        actions = { NoAction; }
        default_action = NoAction();
        counters = label_packets;
        size = 4096;
    }

    /* ---- plain traffic */
    action l2_forward(port_t port) {
        standard_metadata.egress_spec = port;
    }
    table l2_fwd {
        key = {
            hdr.ethernet.dstAddr : exact;
        }
        actions = { l2_forward; send_to_cpu; drop; }
        default_action = drop();
        size = 1024;
    }

    apply {
        mark_to_drop(standard_metadata);
        meta.argmax_go = 0;
        meta.recirc = 0;
        meta.final = 0;
        if (hdr.packet_out.isValid()) {
            standard_metadata.egress_spec = hdr.packet_out.egress_port;
            hdr.packet_out.setInvalid();
        } else {
          meta.task_hit = 0;
          if (hdr.ipv4.isValid()) {
            task_select.apply();
          }
          if (meta.task_hit == 1) {
            bit<16> sport = 0;
            bit<16> dport = 0;
            bit<8>  tcp_flags = 0;
            bit<16> tcp_window = 0;
            if (hdr.tcp.isValid()) {
                sport = hdr.tcp.srcPort;
                dport = hdr.tcp.dstPort;
                tcp_flags = hdr.tcp.flags;
                tcp_window = hdr.tcp.window;
            } else if (hdr.udp.isValid()) {
                sport = hdr.udp.srcPort;
                dport = hdr.udp.dstPort;
            }
            bit<32> idx;
            hash(idx, HashAlgorithm.crc32, (bit<32>)0,
                 { hdr.ipv4.srcAddr, hdr.ipv4.dstAddr, hdr.ipv4.protocol, sport, dport }, (bit<32>)FLOW_SLOTS);
            bit<32> k_src;
            bit<32> k_dst;
            bit<40> k_l4;
            bit<32> pkts;
            bit<32> nbytes;
            bit<32> mean16;
            bit<48> first;
            bit<48> last;
            flow_src.read(k_src, idx);
            flow_dst.read(k_dst, idx);
            flow_l4.read(k_l4, idx);
            flow_pkts.read(pkts, idx);
            flow_bytes.read(nbytes, idx);
            flow_mean16.read(mean16, idx);
            flow_first.read(first, idx);
            flow_last.read(last, idx);
            bit<48> now = standard_metadata.ingress_global_timestamp;
            bit<32> len = (bit<32>)hdr.ipv4.totalLen;
            bit<40> l4 = hdr.ipv4.protocol ++ sport ++ dport;
            bit<48> iat = 0;
            if (pkts != 0 && k_src == hdr.ipv4.srcAddr && k_dst == hdr.ipv4.dstAddr && k_l4 == l4) {
                pkts = pkts + 1;
                nbytes = nbytes + len;
                mean16 = mean16 - (mean16 >> MEAN_SHIFT) + ((len << MEAN_FRAC) >> MEAN_SHIFT);
                iat = now - last;
            } else {  // empty slot or another flow's: evict, start fresh
                pkts = 1;
                nbytes = len;
                mean16 = len << MEAN_FRAC;
                first = now;
            }
            flow_src.write(idx, hdr.ipv4.srcAddr);
            flow_dst.write(idx, hdr.ipv4.dstAddr);
            flow_l4.write(idx, l4);
            flow_pkts.write(idx, pkts);
            flow_bytes.write(idx, nbytes);
            flow_mean16.write(idx, mean16);
            flow_first.write(idx, first);
            flow_last.write(idx, now);
            bit<48> duration = now - first;
            nbytes = nbytes >> BYTES_SHIFT;
            mean16 = mean16 >> MEAN_FRAC;
            iat = iat >> IAT_SHIFT;
            duration = duration >> DURATION_SHIFT;
            insert_inml();
            hdr.features[0].value = hdr.ipv4.totalLen;
            hdr.features[1].value = (bit<16>)hdr.ipv4.protocol;
            hdr.features[2].value = (bit<16>)hdr.ipv4.ttl;
            hdr.features[3].value = (bit<16>)hdr.ipv4.tos;
            hdr.features[4].value = sport;
            hdr.features[5].value = dport;
            hdr.features[6].value = (bit<16>)tcp_flags;
            hdr.features[7].value = tcp_window;
            hdr.features[8].value = 0xFFFF;
            if (pkts <= 0xFFFF) { hdr.features[8].value = (bit<16>)pkts; }
            hdr.features[9].value = 0xFFFF;
            if (nbytes <= 0xFFFF) { hdr.features[9].value = (bit<16>)nbytes; }
            hdr.features[10].value = (bit<16>)mean16;
            hdr.features[11].value = 0xFFFF;
            if (iat <= 0xFFFF) { hdr.features[11].value = (bit<16>)iat; }
            hdr.features[12].value = 0xFFFF;
            if (duration <= 0xFFFF) { hdr.features[12].value = (bit<16>)duration; }
          }
          if (hdr.inml_regs.isValid()) {  // the whole inference header parsed (a truncated one is plain traffic)
            if (hdr.inml.visit == 0) {
                if (!dispatch.apply().hit) {
                    digest<unknown_task_t>(1, { hdr.inml.task_id, standard_metadata.ingress_port });
                }
            }
            meta.feature0 = 0;
            meta.feature1 = 0;
            meta.feature2 = 0;
            meta.feature3 = 0;
            meta.feature4 = 0;
            meta.feature5 = 0;
            meta.feature6 = 0;
            meta.feature7 = 0;
            meta.feature8 = 0;
            meta.feature9 = 0;
            meta.feature10 = 0;
            meta.feature11 = 0;
            meta.feature12 = 0;
            meta.feature13 = 0;
            meta.feature14 = 0;
            meta.feature15 = 0;  // feature 0 unless key_select says otherwise
            key_select.apply();
            read_keys();
            stage0.apply();
            if (meta.argmax_go == 1) { argmax0.apply(hdr.inml, hdr.inml_regs, meta); }
            stage1.apply();
            if (meta.argmax_go == 1) { argmax1.apply(hdr.inml, hdr.inml_regs, meta); }
            stage2.apply();
            if (meta.argmax_go == 1) { argmax2.apply(hdr.inml, hdr.inml_regs, meta); }
            stage3.apply();
            if (meta.argmax_go == 1) { argmax3.apply(hdr.inml, hdr.inml_regs, meta); }
            stage4.apply();
            if (meta.argmax_go == 1) { argmax4.apply(hdr.inml, hdr.inml_regs, meta); }
            stage5.apply();
            if (meta.argmax_go == 1) { argmax5.apply(hdr.inml, hdr.inml_regs, meta); }
            stage6.apply();
            if (meta.argmax_go == 1) { argmax6.apply(hdr.inml, hdr.inml_regs, meta); }
            stage7.apply();
            if (meta.argmax_go == 1) { argmax7.apply(hdr.inml, hdr.inml_regs, meta); }
            stage8.apply();
            if (meta.argmax_go == 1) { argmax8.apply(hdr.inml, hdr.inml_regs, meta); }
            stage9.apply();
            if (meta.argmax_go == 1) { argmax9.apply(hdr.inml, hdr.inml_regs, meta); }
            stage10.apply();
            if (meta.argmax_go == 1) { argmax10.apply(hdr.inml, hdr.inml_regs, meta); }
            stage11.apply();
            if (meta.argmax_go == 1) { argmax11.apply(hdr.inml, hdr.inml_regs, meta); }
            stage12.apply();
            if (meta.argmax_go == 1) { argmax12.apply(hdr.inml, hdr.inml_regs, meta); }
            stage13.apply();
            if (meta.argmax_go == 1) { argmax13.apply(hdr.inml, hdr.inml_regs, meta); }
            stage14.apply();
            if (meta.argmax_go == 1) { argmax14.apply(hdr.inml, hdr.inml_regs, meta); }
            stage15.apply();
            if (meta.argmax_go == 1) { argmax15.apply(hdr.inml, hdr.inml_regs, meta); }
            route.apply();
            if (meta.final == 1) {
                label_count.apply();
            }
          } else if (hdr.ethernet.isValid()) {
            l2_fwd.apply();
          }
        }
    }
}

control MyEgress(inout headers_t hdr, inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    apply {
        if (standard_metadata.egress_port == CPU_PORT) {
            hdr.packet_in.setValid();
            hdr.packet_in.ingress_port = standard_metadata.ingress_port;
            hdr.packet_in._pad = 0;
        }
        if (meta.recirc == 1) {
            recirculate_preserving_field_list(0);
        }
    }
}

control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.packet_in);
        packet.emit(hdr.ethernet);
        packet.emit(hdr.inml);
        packet.emit(hdr.features);
        packet.emit(hdr.inml_regs);
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
    }
}

@pkginfo(name="omniplan_inml", version="1.0")
@brief("OmniPlan generic in-network ML inference pipeline")
V1Switch(MyParser(), MyVerifyChecksum(), MyIngress(), MyEgress(), MyComputeChecksum(), MyDeparser()) main;
