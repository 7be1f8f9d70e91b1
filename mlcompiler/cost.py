"""What a compiled MAT costs on a Tofino-like device: SRAM and TCAM bits from entries and widths.

WHY a formula and not a constant: the planner trades tables against device capacity, so the cost
must grow with the entries the compiler really emits. Granularity follows Tofino's memories:

* SRAM block = 1024 words x 128 bits. Exact tables store key + action data + ``OVERHEAD_BITS``
  (action/next-table pointer) per entry; ternary/range tables keep the key in TCAM and only the
  action data + overhead in SRAM. An entry of width ``w <= 128`` packs ``128 // w`` per word,
  wider entries take ``ceil(w / 128)`` words. ``sram_bits = ceil(words / 1024) * 1024 * 128``.
* TCAM block = 512 entries x 44 bits. A range key is counted at twice its width (Tofino encodes
  ranges with 2 bits per key bit pair, "DirtCAM"); ``tcam_bits = ceil(kw / 44) * ceil(n / 512) * 512 * 44``.

Only the MAT's logical key is charged (the feature or code words it reads), not the task/visit
selector the generic inml.p4 pipeline adds: a specialised compilation would not need it, and the
per-device dispatch cost is charged separately (``Task.dispatch_sram_bits``).
"""

from __future__ import annotations

import math

SRAM_WORD_BITS = 128
SRAM_BLOCK_WORDS = 1024
TCAM_WORD_BITS = 44
TCAM_BLOCK_ENTRIES = 512
OVERHEAD_BITS = 8


def sram_bits(entries: int, key_bits: int, action_bits: int, match_kind: str) -> int:
    if entries <= 0:
        return 0
    width = action_bits + OVERHEAD_BITS + (key_bits if match_kind == "exact" else 0)
    if width <= SRAM_WORD_BITS:
        words = math.ceil(entries / (SRAM_WORD_BITS // width))
    else:
        words = entries * math.ceil(width / SRAM_WORD_BITS)
    return math.ceil(words / SRAM_BLOCK_WORDS) * SRAM_BLOCK_WORDS * SRAM_WORD_BITS


def tcam_bits(entries: int, key_bits: int, match_kind: str) -> int:
    if entries <= 0 or match_kind == "exact" or key_bits == 0:
        return 0
    kw = key_bits * (2 if match_kind == "range" else 1)
    return math.ceil(kw / TCAM_WORD_BITS) * math.ceil(entries / TCAM_BLOCK_ENTRIES) * TCAM_BLOCK_ENTRIES * TCAM_WORD_BITS
