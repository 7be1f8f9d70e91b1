"""Wire layout of the in-network inference header, shared by inml.p4, its twin and the compiler.

WHY one module: the P4 program, the Python twin that executes it, the compiler that packs code
words and partial sums, and the realiser that turns plans into entries must agree bit for bit.
Every width here is mirrored in ``inml.p4`` (a test checks the P4 source against these numbers).

Header (after Ethernet, EtherType ``INML_ETHERTYPE``), big-endian, ``INML_BYTES`` long::

    task_id  16 | version 8 | visit 16 | label 16 | flags 8 |
    features NUM_FEATURES x FEATURE_BITS  (feature 0 in the most significant bits)
    regs     REGS_BITS: [code region CODE_BITS | accumulator lanes NUM_LANES x LANE_BITS]

``regs`` is the coordination state that travels between switches: feature tables write interval
code words into the code region (bits ``CODE_BASE`` and up), tree / per-feature tables add
quantised partial sums into 64-bit lanes (lane ``k`` at bits ``k*LANE_BITS`` .. ``+LANE_BITS-1``),
and a decision table takes the argmax of the lanes or matches their sign bits.
"""

from __future__ import annotations

#: IEEE 802 "local experimental EtherType 1".
INML_ETHERTYPE = 0x88B5
FEATURE_BITS = 16
NUM_FEATURES = 64
LANE_BITS = 64
NUM_LANES = 16
CODE_BITS = 512
REGS_BITS = CODE_BITS + NUM_LANES * LANE_BITS  # 1536
CODE_BASE = NUM_LANES * LANE_BITS  # code words live above the lanes
FEATURES_FIELD_BITS = NUM_FEATURES * FEATURE_BITS
TASK_ID_BITS, VERSION_BITS, VISIT_BITS, LABEL_BITS, FLAGS_BITS = 16, 8, 16, 16, 8
#: flags bit 0: a decision table has set the label.
FLAG_DONE = 0x01
INML_FIXED_BITS = TASK_ID_BITS + VERSION_BITS + VISIT_BITS + LABEL_BITS + FLAGS_BITS
INML_BYTES = (INML_FIXED_BITS + FEATURES_FIELD_BITS + REGS_BITS) // 8
ETH_BYTES = 14
#: Generic stage tables MyIngress.stage0 .. stage{NUM_STAGES-1}; 16 covers the BMv2 profile
#: (16 stages) and Tofino (12).
NUM_STAGES = 16
STAGE_KEY_BITS = FEATURE_BITS
PORT_BITS = 9
#: BMv2's conventional CPU port (simple_switch_grpc --cpu-port 255).
CPU_PORT = 255
#: Packets carrying this many visits without finishing are dropped (loop guard in the twin).
MAX_PASSES = 1024
FEATURE_MAX = (1 << FEATURE_BITS) - 1
LANE_MAX = (1 << LANE_BITS) - 1


def feature_shift(index: int) -> int:
    """Right shift that brings feature ``index`` to the low bits of the packed features field."""
    if not 0 <= index < NUM_FEATURES:
        raise ValueError(f"feature index {index} outside 0..{NUM_FEATURES - 1}")
    return (NUM_FEATURES - 1 - index) * FEATURE_BITS


def pack_features(values: "list[int] | tuple[int, ...]") -> int:
    """Packed features field (unused slots zero)."""
    if len(values) > NUM_FEATURES:
        raise ValueError(f"{len(values)} features; the header carries {NUM_FEATURES}")
    out = 0
    for i, v in enumerate(values):
        if not 0 <= v <= FEATURE_MAX:
            raise ValueError(f"feature {i} value {v} outside 0..{FEATURE_MAX}")
        out |= int(v) << feature_shift(i)
    return out


def lane_shift(lane: int) -> int:
    return lane * LANE_BITS


def pack_lanes(values: "list[int] | tuple[int, ...]") -> int:
    out = 0
    for k, v in enumerate(values):
        if not 0 <= v <= LANE_MAX:
            raise ValueError(f"lane {k} value {v} outside 0..{LANE_MAX}")
        out |= int(v) << lane_shift(k)
    return out


def unpack_lanes(regs: int, n: int) -> list[int]:
    return [(regs >> lane_shift(k)) & LANE_MAX for k in range(n)]
