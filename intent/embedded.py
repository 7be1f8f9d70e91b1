"""The embedded (offline) translator: lexicon + sentence-BERT + the paper's anchor curve.

Pipeline per intent:
  1. repair typos, split into clauses;
  2. per clause, find the objectives it names (domain lexicon, slang table), out-of-scope asks,
     registered custom objectives, dismissal ("latency doesn't matter"), degree words
     ("slightly", "as ... as possible", "critical") and ordering words ("first", "then");
     then fold in the learned heads (intent/head.py, intent/fusion.py): MiniLM embeds each
     clause and its objective-masked twin; the degree head grades clauses the lexicon left plain,
     the objective head names objectives in clauses where the lexicon found none;
  3. combine clauses into one demand level per objective and write the paper's standardized
     per-objective text ("The user has a high demand for low latency");
  4. score each standardized text on the objective's anchor curve (closest point, arc-length
     weighted integral) -> intensities in [0, 1].
Batches run step 2's embeddings and step 4 in one encoder pass each.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Collection, Sequence

import numpy as np

from intent.curve import ANCHOR_DEGREES, IntentCurve, anchor_sentences
from intent.custom import CustomObjective
from intent.effects import effect_prototypes
from intent.encoder import Encoder
from intent.fusion import (NEGATING_WORD, OFF_TOPIC_CONFIDENCE, apply as apply_learned, grading_words, learned_reading,
                           masked_clause, off_topic_reading)
from intent.head import clause_heads
from intent.reader import Combination, IntentReader, combine
from intent.lexicon import ORDINAL_LABELS
from intent.lexicon import (ACRONYMS, BACKGROUND_CLAUSE, DECLINED_SENSE, DEGREE_CUES, DIRECTIVES, DESCRIBED_ONLY, DISMISSAL, LOOKALIKE, RETRACTING,
                            NOT_DISMISSED, EXCEPT_ONLY, EXCLAMATION, GENERIC_WORDS, LIST_DISMISSAL, NEGATED_INTENSIFIER, OBJECTIVE_PATTERNS, OOS_IDIOMS, OUT_OF_SCOPE,
                            ORDER_STATED, RANKED_BELOW, SEQUENCE_START, COMPARATIVE_TAIL, UNIVERSAL)
from intent.result import OutOfScopeAsk, Translation
from intent.text import Clause, repair_typos, split_clauses, unknown_words, word_share_known
from omniplan.objectives import DESCRIPTIONS, OBJECTIVES, Preference

#: how the standardized text names each objective's demand (direction included).
SUBJECTS: dict[str, str] = {
    "power": "low power consumption",
    "resources": "low memory and hardware resource usage",
    "throughput": "high throughput",
    "latency": "low latency",
    "coordination": "low coordination overhead between devices",
    "hops": "few network hops",
    "coverage": "high coverage of offloaded tasks",
}

# ticket ids ("TICKET-9021", "INC-2207", "TICKET 3091") are not shouting
# (round 23: and a stressed article, "Table memory is THE constraint")
_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b(?![-_#/]?\s?\d)|\bTHE\b(?= [a-z])")


@dataclass
class Mention:
    """One objective named in one clause, with the demand level the clause gives it."""

    objective: str
    clause: int
    level: int
    words: list[str]
    dismissed: bool = False
    source: str = "lexicon"
    similarity: float = 1.0


@dataclass
class ClauseReading:
    """What the rules found in one clause."""

    clause: Clause
    lower: str
    objectives: dict[str, list[str]]
    level: int
    degree_words: list[str]
    rank: str  # "primary", "secondary", "tertiary" or ""
    dismissed: bool
    exclusive_only: bool
    drop_others: bool
    oos: dict[str, list[str]]
    custom: dict[str, list[str]]
    objective_levels: dict[str, int]
    learned: dict[str, float] = field(default_factory=dict)  # objectives only the learned head found -> p
    off_topic: dict[str, list[str]] = field(default_factory=dict)  # round 10: objective words vetoed as another sense
    lookalikes: tuple[str, ...] = ()  # round 20: look-alike phrases in the clause (lexicon.LOOKALIKE), found once here


@dataclass
class Reading:
    """Rule-level reading of a whole intent, before embeddings and curve scoring."""

    text: str
    clauses: list[ClauseReading]
    fixes: list[tuple[str, str]]
    known_share: float


def _find(patterns: Sequence[str], text: str) -> list[str]:
    words = []
    for pattern in patterns:
        words.extend(m.group(0) for m in re.finditer(pattern, text))
    return words


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.lru_cache(maxsize=None)
def _objective_regex(objective: str) -> re.Pattern[str]:
    """One alternation per objective: a single scan per clause instead of one per pattern."""
    return re.compile("|".join(f"(?:{p})" for p in OBJECTIVE_PATTERNS[objective]))


_MODEL_NAME = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+(?: [a-z]+)? (?=(?:model|detector|classifier|predictor|forecaster|estimator)s?\b)")


def _blank_model_names(lower: str, fill: str) -> str:
    """`lower` with model names that contain an objective word ("power-usage prediction") replaced by `fill`
    (repeated to the same length when `fill` is one character, so positions stay valid)."""
    def blank(m: re.Match[str]) -> str:
        if not any(_objective_regex(o).search(m.group(0)) for o in OBJECTIVE_PATTERNS):
            return m.group(0)
        return fill * len(m.group(0)) if len(fill) == 1 else fill
    return _MODEL_NAME.sub(blank, lower)


def _out_of_scope_asks(scrubbed: str, skip: Collection[str] = ()) -> dict[str, list[str]]:
    """Out-of-scope names asked for in a clause (OOS_IDIOMS already removed) and the words that ask, less `skip`
    (the names a user's custom objectives claim)."""
    asks = {}
    for name, (pattern, _description) in OUT_OF_SCOPE.items():
        if name in skip:
            continue
        words = [m.group(0) for m in _compiled(pattern).finditer(scrubbed)]
        if words:
            asks[name] = words
    return asks


def read_clause(clause: Clause, original: str, customs: Sequence[CustomObjective]) -> ClauseReading:
    """Apply the lexicon to one clause."""
    lower = clause.text.lower()
    # "the power-usage prediction model", "the latency-spike detector": a hyphenated compound naming a model
    # says what the model is about, not what the placement should optimise (blanked, same length)
    unnamed = _blank_model_names(lower, " ")
    # round 20: look-alike phrases ("coordination meeting", "power company") blanked too
    unnamed = LOOKALIKE.sub(lambda m: " " * len(m.group(0)), unnamed)
    objectives = {}
    for name, patterns in OBJECTIVE_PATTERNS.items():
        words = [m.group(0) for m in _objective_regex(name).finditer(unnamed)]
        if words:
            objectives[name] = words
    # Out-of-scope asks and custom objectives (idioms such as "at all costs" removed first).
    scrubbed = OOS_IDIOMS.sub(" ", lower)
    custom = {}
    for c in customs:
        words = [m.group(0) for m in c.matcher().finditer(scrubbed)]
        if words:
            custom[c.name] = words
    oos = _out_of_scope_asks(scrubbed, skip=custom)
    # Degree, ordering and exclusivity.
    cues: list[tuple[int, str, int]] = []  # (level, kind, position)
    degree_words, rank = [], ""
    exclusive_only = drop_others = False
    trailing: set[int] = set()  # cues that end the clause ("cut power and memory a bit") modify every conjunct
    hedged = NEGATED_INTENSIFIER.sub(lambda m: "hedged".ljust(len(m.group(0))), lower)
    described = [m.span() for m in DESCRIBED_ONLY.finditer(lower)]  # round 21: "it only runs at the big POPs"
    for cue in DEGREE_CUES:
        for m in _compiled(cue.pattern).finditer(hedged):
            if cue.kind == "exclusive" and any(a <= m.start() < b for a, b in described):
                continue
            degree_words.append(m.group(0))
            if cue.kind == "exclusive":
                if cue.level == 0:
                    drop_others = True
                    continue
                exclusive_only = True
            if cue.kind == "primary":
                rank = rank or "primary"
            elif cue.kind == "secondary":
                rank = "secondary" if rank != "tertiary" else rank
            elif cue.kind == "tertiary":
                rank = "tertiary"
            cues.append((cue.level, cue.kind, m.start()))
            if m.end() >= len(hedged.rstrip(" .!?")):
                trailing.add(m.start())
            elif m.start() == 0 and (hedged[m.end():m.end() + 1] == "," or _SENTENCE_ADVERB.fullmatch(m.group(0))):
                # round 21: a leading grade set off by a comma ("Within reason, X and Y") grades every conjunct; round 23:
                # a hedge adverb does without the comma ("Ideally less memory and fewer switches on the path")
                trailing.add(m.start())
    # Softeners ("moderately", "a slight") bind to the conjunct they sit in when the clause coordinates
    # several objectives: "energy efficient and moderately fast" softens only "fast".
    bounds = [0] + [m.end() for m in re.finditer(r",\s*|\s+(?:and|with|plus|&)\s+", lower)] + [len(lower) + 1]
    def conjunct(pos: int) -> int:
        return max(i for i, b in enumerate(bounds[:-1]) if b <= pos)
    where = {o: {conjunct(m.start()) for m in _objective_regex(o).finditer(lower)} for o in objectives}
    occupied = set().union(*where.values()) if where else set()
    # "memory and hops could each improve slightly": a distributive word spreads the softener over all of them
    local = len(occupied) >= 2 and not re.search(r"\b(?:each|both|all of them|all three|either)\b", lower)
    clause_levels = [lvl for lvl, kind, pos in cues
                     if not (local and kind in ("degree", "constraint") and lvl <= 2 and conjunct(pos) in occupied
                             and pos not in trailing)]

    def capped(levels: list[int]) -> int:
        level = min(levels) if levels else 3
        if rank == "secondary":
            level = min(level, 2)
        elif rank == "tertiary":
            level = min(level, 1)
        return level

    level = capped(clause_levels)
    objective_levels = {}
    for o in objectives:
        own = [lvl for lvl, kind, pos in cues if local and kind in ("degree", "constraint") and lvl <= 2
               and conjunct(pos) in where[o] and pos not in trailing]
        objective_levels[o] = capped(clause_levels + own)
    below = RANKED_BELOW.search(lower)
    if below and len(objectives) >= 2:
        firsts = {o: min(m.start() for m in _objective_regex(o).finditer(lower)) for o in objectives}
        if any(pos < below.start() for pos in firsts.values()):
            for o, pos in firsts.items():
                if pos > below.start():
                    objective_levels[o] = min(objective_levels[o], 2)
            degree_words.append(below.group(0))
    # Emphasis without degree words: shouting, repetition, "!!".
    if not cues:
        # round 13: a capitalised word the vocabulary lacks is an acronym or a name (VLAN, GDPR, PACS, JIRA), not
        # shouting: in the hand-written sets 18 of 23 intents whose only such word is one ask nothing at level 4
        shouted = [w for w in _CAPS_WORD.findall(original) if w.lower() not in ACRONYMS and not unknown_words(w.lower())]
        repeated = any(len(words) >= 2 and len({w for w in words}) == 1 for words in objectives.values())
        if shouted or repeated or EXCLAMATION.search(original):
            level = 4
            objective_levels = {o: 4 for o in objectives}
            degree_words.extend(shouted or ["(repeated)"])
    if "coverage" in objectives and not cues and not rank and UNIVERSAL.search(lower):
        objective_levels["coverage"] = 4
        degree_words.append(UNIVERSAL.search(lower).group(0))
    dismissal = DISMISSAL.search(lower) if not NOT_DISMISSED.search(lower) else None
    # round 20: a clause that only reports or thanks ("hops were discussed", "thanks for fixing the lag") asks nothing:
    # read as a dismissal, so it also reaches back over a bare list before it ("Power, latency and hops were discussed")
    dismissal = dismissal or BACKGROUND_CLAUSE.search(lower)
    if dismissal and objectives and EXCEPT_ONLY.search(lower):
        # "don't care about anything except X" = "only X matters"
        degree_words.append(EXCEPT_ONLY.search(lower).group(0))
        dismissal, exclusive_only, drop_others = None, True, True
        level = 4
        objective_levels = {o: 4 for o in objectives}
    if dismissal:
        degree_words.append(dismissal.group(0))
    lookalikes = tuple(m.group(0) for m in LOOKALIKE.finditer(lower))  # for the heads' gate and the notes
    return ClauseReading(clause, lower, objectives, level, degree_words, rank, bool(dismissal), exclusive_only,
                         drop_others, oos, custom, objective_levels, lookalikes=lookalikes)


# (round 6: a predicate without a subject, "latency matters too but is secondary", refers back as well)
_BACK_REFERENCE = re.compile(r"^(?:and |but |as |though |although |yet )?(?:\w{3,}ing (?=it\b))?(?:it|that|this|which|these|those|both|they)(?:'s| is| are| was|'re)?\b"
                             r"|^(?:and |but |though |although |yet )?(?:is|are|was|were)\b",
                             re.I)


# "..., if there is any slack, trim the energy": a condition that opens a clause after a comma grades what follows.
# (round 23: after "also", "Also if is possible, use less the TCAM")
_LEADING_CONDITION = re.compile(r"^(?:(?:and|but|finally|lastly|then|next|also),? )?(?:only )?(?:if|when|where|once)\b", re.I)


# round 9: "whatever it takes" / "whatever the cost" is an absolute tail on the clause before, not "the rest"
_THE_REST = re.compile(r"^(?:and |but |so )?(?:anything|everything|all|whatever(?! (?:it|that|this) (?:takes|costs)\b| the cost\b)"
                       r"|the rest)(?: else| beyond(?: that| this)?| more| further)?\b",
                       re.I)
_PRO_FORM = re.compile(r"\b(?:it|them|those|these)\b|\bas (?:few|little|low|small|short|high|fast) as\b")


# "same with X", "the same goes for X", "likewise X", "X too" is not included (that adds, it does not copy a dismissal)
_SAME_AS_BEFORE = re.compile(r"^(?:and |but )?(?:the )?(?:same (?:with|for|goes for|applies to|for)|likewise|ditto)\b"
                             # round 16: a bare item with "too" after a dismissal ("Hops can be whatever. Power too.")
                             r"|^(?:and |also )?(?:the )?[\w-]+(?: [\w-]+)? (?:too|as well|also)$"
                             # round 21: "X is irrelevant, and so is Y", "..., nor hop count", "neither is Y"
                             r"|^(?:and )?so (?:is|are|does|do) (?:the )?[\w-]+(?: [\w-]+)?$|^(?:and )?(?:nor|neither) (?:is |are |does )?(?:the )?[\w-]+(?: [\w-]+)?$"
                             # round 22: "No need to optimise anything, latency included."
                             r"|^(?:and )?(?:the )?[\w-]+(?: [\w-]+)? included$")


def _names_count(text: str) -> int:
    """How many built-in objectives a clause's words name (a pronoun can stand for one of them only)."""
    lower = text.lower()
    return sum(bool(_objective_regex(o).search(lower)) for o in OBJECTIVE_PATTERNS)


# round 6: a declining verb with a pronoun object ("don't optimize it", "drop that", "leave them be", "forget about
# it"): the pronoun stands for what the clause before named
_DISMISSED_PRO_FORM = re.compile(r"\b(?:optimi[sz]e|minimi[sz]e|maximi[sz]e|prioriti[sz]e|drop|leave|ignore|disregard"
                                 r"|forget(?: about)?|care about|worry about|chase|bother with|touch|push)\s+(?:it|them|that|those)\b(?! (?:up|down|higher|lower|below|above|to|past|beyond))")


#: round 19: "wait, no" / "no, wait" / "hold on, no" said with a comma inside: one retraction, not two clauses
_WAIT_NO = re.compile(r"\b(?:no,\s*wait|wait,?\s*no|hold on,?\s*no)\b", re.I)

#: round 18: a retraction of what was just said ("no wait, I meant ...", "scratch that"): it dismisses the clause before
_RETRACTION = re.compile(r"^\W*(?:but |and |so |ok,? )?(?:actually,? |oh,? )?(?:no,? wait|wait,? no|(?:scratch|strike|cancel(?:l?ing)?|" + RETRACTING + r") that|correction|actually,? no|never ?mind)\b"
                         # round 21: "..., but is no longer", "That requirement has been withdrawn"
                         r"|^\W*(?:but )?(?:it |that |this )?(?:is|are) no longer\s*[.!]*$"
                         r"|^\W*(?:that|this|the) (?:requirement|request|ask|goal|target|demand)s? (?:has|have)? ?(?:been |was |is )?(?:withdrawn|retracted|dropped|cancell?ed|rescinded|removed)\b"
                         # round 20: "X was the goal last month; not anymore"
                         r"|^\W*(?:but )?not any ?(?:more|longer)\s*[.!]*$")


_ACCEPTANCE = re.compile(r"^(?:it'?s|that'?s|it is|that is|it would be)? ?(?:fine|ok|okay|acceptable|no problem|alright)$", re.I)


def _merge_back_references(clauses: list[Clause]) -> list[Clause]:
    """Attach clauses that name no objective but grade one to the clause they grade.

    Trailing grades point back ("..., it's the most important thing", "..., but only a little");
    leading ranks point forward ("Most important: bandwidth", "Secondarily, latency and memory").
    """
    merged: list[Clause] = []
    prefix = ""
    opening = ""  # round 21: a leading grade ("Within reason, X and Y") also grades the conjuncts after its clause
    for clause in clauses:
        if opening and clause.after_pause and not prefix:
            opening = ""
        if opening and not prefix:
            prefix = opening
        text = f"{prefix} {clause.text}".strip() if prefix else clause.text
        prefix_used, prefix = bool(prefix), ""
        lower = clause.text.lower()
        names_nothing = not any(_objective_regex(o).search(lower) for o in OBJECTIVE_PATTERNS)
        kinds = {c.kind for c in DEGREE_CUES if (c.kind != "exclusive" or c.level) and _compiled(c.pattern).search(lower)}
        short = len(lower.split()) <= 5 and not DISMISSAL.search(lower)
        condition = names_nothing and bool(kinds) and bool(_LEADING_CONDITION.match(clause.text))
        leading_condition = condition and clause.after_pause and clause.index + 1 < len(clauses)
        if condition and not leading_condition and merged:
            # "power and memory only if they come for free": a trailing condition grades the clause before
            previous = merged[-1]
            merged[-1] = Clause(previous.index, f"{previous.text}, {text}", previous.after_pause)
            continue
        # round 16: a grade that names nothing before the condition that names the ask ("It'd be marginally helpful if
        # a few more flows got classified", "would be nice if hops came down") belongs to the condition
        graded_condition = names_nothing and bool(kinds) and len(lower.split()) <= 6 and clause.index + 1 < len(clauses) \
            and clauses[clause.index + 1].text.lower().startswith("if ") \
            and _names_count(clauses[clause.index + 1].text) == 0
        if graded_condition:
            prefix = text
            continue
        # round 17: a grade opening the intent ("At all costs, minimize the watts", "No compromise: line rate",
        # "Ideally, fewer hops") grades what follows, as a leading rank label does; only a clause that is the grade and
        # nothing more, at its start ("Ensure fault tolerance" is an ask of its own; "REQ-6604 P3" a ticket's severity)
        leading_grade = names_nothing and not merged and clause.index + 1 < len(clauses) and short \
            and any(c.kind == "degree" and _compiled(c.pattern).match(lower)
                    and len(_compiled(c.pattern).sub(" ", lower).split()) <= 1 for c in DEGREE_CUES)
        if leading_grade:
            prefix = opening = text + ","  # the comma keeps it a leading grade of every conjunct (read_clause)
            continue
        if names_nothing and kinds and (short or leading_condition and len(lower.split()) <= 8) \
                and not _BACK_REFERENCE.match(clause.text) \
                and (kinds <= {"primary", "secondary", "tertiary", "exclusive"} or leading_condition):
            prefix = text  # a rank label: it belongs to what follows
            continue
        # "lat? meh.", "memory - irrelevant": a bare dismissal after a bare objective dismisses it;
        # "It's fine" before "if packets take extra hops" is read with the condition it accepts
        # (round 20: three words when they open with the negator, "Throughput? Not our problem.")
        bare_dismissal = names_nothing and (len(lower.split()) <= 2 or len(lower.split()) == 3
                                            and lower.startswith(("not ", "no "))) and bool(DISMISSAL.search(lower)) \
            and bool(merged) and len(merged[-1].text.split()) <= 3
        accepting = bool(merged) and bool(_ACCEPTANCE.match(merged[-1].text)) and lower.startswith("if ")
        # round 5: a grade that names nothing but points back with a pro-form ("spend as few as you can",
        # "keep them as low as the fabric allows") grades the clause before, wherever the pro-form sits
        refers_back = names_nothing and bool(kinds) and not condition and bool(_PRO_FORM.search(lower))
        # round 6: a dismissal that names nothing but points back with a pro-form ("delay will follow from that, so
        # don't optimize it separately", "..., so leave them be") dismisses what the clause before named
        # ("We considered asking for lower power, but the DC has cheap supply, so drop that"): the pronoun reaches
        # over context clauses that name nothing to the last clause that names exactly one objective
        # ("otherwise leave it" is the fallback of a hedge, not a dismissal of it)
        declines_back = names_nothing and not condition and bool(DISMISSAL.search(lower)) \
            and (bool(_DISMISSED_PRO_FORM.search(lower)) or bool(_RETRACTION.match(lower))) \
            and not re.match(r"\W*(?:otherwise|or else|else|if not)\b", lower)
        if declines_back and len(merged) >= 2 and _names_count(merged[-1].text) == 0 and _names_count(merged[-2].text) == 1:
            context = merged.pop()
            merged[-1] = Clause(merged[-1].index, f"{merged[-1].text}, {context.text}", merged[-1].after_pause)
        refers_back = refers_back or declines_back and bool(merged) and _names_count(merged[-1].text) == 1
        # "anything beyond that is optional", "the rest is a bonus": a grade of the OTHER objectives, not of the clause before
        about_the_rest = bool(_THE_REST.match(clause.text))
        # round 23: a pronoun clause that asks for something outside the seven ("..., and it has to survive a link flap",
        # "It also has to be hardened so attackers cannot probe the model") is an ask of its own, not a grade of the last
        # ("avoid that at all costs" asks for no cost: idioms removed first); read only for a clause that would merge
        if merged and not about_the_rest and (names_nothing and (_BACK_REFERENCE.match(clause.text) or (short and kinds))
                                              or bare_dismissal or accepting or refers_back) \
                and not _out_of_scope_asks(OOS_IDIOMS.sub(" ", lower)):
            previous = merged[-1]
            merged[-1] = Clause(previous.index, f"{previous.text}, {text}", previous.after_pause)
        else:
            merged.append(Clause(len(merged), text, clause.after_pause, clause.after_comma and not prefix_used))
    if prefix:  # a rank label with nothing after it grades the clause before
        if merged:
            merged[-1] = Clause(merged[-1].index, f"{merged[-1].text}, {prefix}")
        else:
            merged.append(Clause(0, prefix))
    return merged


#: round 16: one word said three times or more in a row ("Coverage, coverage, coverage", "GREEN GREEN GREEN")
# (round 17: "and more" before the last one, "bandwidth, bandwidth, and more bandwidth")
_REPEATED_WORD = re.compile(r"\b([a-z]{3,})\b(?:[\s,;.!-]+(?:(?:and|&)\s+)?(?:(?:even|some|still|once)\s+)?(?:more\s+)?\1\b){2,}", re.I)


def _collapse_repetition(text: str) -> str:
    """Round 16: an objective's word repeated three times or more reads as that objective above all.

    WHY: repetition is how operators shout one demand ("Watts, watts, watts; oh and maybe a tad less memory"); left
    as it is, the comma splits it into three plain clauses (level 3). Only objective words are rewritten: "really,
    really, really" or "now now now" grade nothing by themselves.
    """
    def collapse(m: re.Match[str]) -> str:
        word = m.group(1)
        if not any(_objective_regex(o).search(word.lower()) for o in OBJECTIVE_PATTERNS):
            return m.group(0)
        return f"{word} above all"
    return _REPEATED_WORD.sub(collapse, text)


#: round 17: a ticket key ("GREEN-44", "SEC-4410", "NET-3320"): an identifier, whose letters name no objective
_TICKET_KEY = re.compile(r"\b[A-Z][A-Z0-9]{1,11}(?:-[A-Z][A-Z0-9]{0,11})*-\d+\b")


#: round 20: a discourse marker set off by commas inside a clause ("Latency, on the other hand, must be as low as
#: possible"): the commas would cut the objective off from its own grade, so the aside is dropped before splitting
_ASIDE = re.compile(r",\s*(?:on the other hand|by contrast|in contrast|in turn|for (?:its|their) part|of course|frankly"
                    r"|honestly|to be fair|to be honest|in any case|at least|as always|for now|for us|for me"
                    r"|and i mean (?:nothing|it|everything|that)|by a mile|by far)\s*,(?=\s*\w)", re.I)


#: round 20: a rank set after its objective by a comma and closing the sentence ("Max throughput, top priority. And
#: fewer hops."): it grades the words before it, not the next sentence (a rank label alone before a comma points forward)
_TRAILING_RANK = re.compile(r",\s*((?:the |our )?(?:top|highest|first|number one|#1|main|primary) (?:priority|concern|goal)"
                            r"|above all(?: else)?|priority (?:one|#?1))\s*(?=[.!;]|$)", re.I)


#: round 22: an objective's word capitalised inside a sentence and followed by another capitalised word is part of a
#: name ("the Power Systems lab", "Epic: Green Fabric", "our Latency Monitor"), not an ask
_OBJECTIVE_CAPS = r"(?:Power|Green|Energy|Latency|Coverage|Throughput|Memory|Bandwidth|Hops?|Coordination)"
# (round 23: "the Hops and Barley pub"; at the head of a sentence only before two more capitalised words, "Latency
# Street Capital is our new customer", since a heading "Latency Budget: 5 us" is an ask)
_NAME_WITH_OBJECTIVE_WORD = re.compile(r"(?<=[a-z0-9,;)] )" + _OBJECTIVE_CAPS + r"(?= (?:and |& |of )?(?!" + _OBJECTIVE_CAPS
                                       + r"\b)[A-Z][a-z]+)|(?:^|(?<=[.!?] ))" + _OBJECTIVE_CAPS + r"(?= [A-Z][a-z]+ [A-Z][a-z]+)")


#: round 20: the non-native "please not to split the model" is "please don't split it" (an ask to avoid), not a refusal
_PLEASE_NOT_TO = re.compile(r"\b(?:please|pls|plz|kindly) not to\b", re.I)


#: round 23: a hedge adverb opening a clause grades the whole clause, comma or not ("Ideally less memory and fewer
#: switches on the path": both at 2)
_SENTENCE_ADVERB = re.compile(r"ideally|preferably|optionally|possibly|perhaps|maybe|hopefully", re.I)

#: round 23: one-word sentences in a row ("every. single. flow. classified.") are one clause said with a full stop
#: after each word for stress
_STACCATO = re.compile(r"(?:^|(?<=[.!?:] ))(?:[A-Za-z]+\. ){2,}[A-Za-z]+(?:[.!]|$)")


def _join_staccato(text: str) -> str:
    """Read "every. single. flow. classified." as one clause; a list of objective words ("Power. Memory. Hops.") stays."""
    def join(m: re.Match[str]) -> str:
        words = m.group(0).replace(".", " ").split()
        if sum(1 for w in words if any(_objective_regex(o).search(w.lower()) for o in OBJECTIVE_PATTERNS)) > 1:
            return m.group(0)
        return " ".join(words) + "."
    return _STACCATO.sub(join, text)


def read_intent(text: str, customs: Sequence[CustomObjective] = ()) -> Reading:
    """Rule pass over a checked intent (the learned heads are folded in afterwards, see EmbeddedTranslator)."""
    text = _PLEASE_NOT_TO.sub("please don't", _TRAILING_RANK.sub(r" \1", _ASIDE.sub(" ", text)))
    text = _NAME_WITH_OBJECTIVE_WORD.sub("Named", _join_staccato(text))
    text = _collapse_repetition(_TICKET_KEY.sub(lambda m: "ID-" + m.group(0).rsplit("-", 1)[1], text))
    text = _WAIT_NO.sub("no wait", text)
    repaired, fixes = repair_typos(text)
    clauses = _merge_back_references(split_clauses(repaired))
    originals = _merge_back_references(split_clauses(text)) if fixes else clauses
    if len(originals) != len(clauses):
        originals = clauses
    readings = _list_grammar([read_clause(c, o.text, customs) for c, o in zip(clauses, originals)])
    return Reading(text, readings, fixes, word_share_known(text))


#: round 23: words of asking; a clause without one (nor a directive verb) reports a state ("users report the classifier
#: is sluggish") instead of grading a demand
_ASKING = re.compile(r"\b(?:" + DIRECTIVES + r"|please|pls|want|wants|need|needs|would like|should|must|has to"
                     r"|have to|ask|asking|require|requires|fix|bring|stop)\b|'d like\b", re.I)


def _graded_over_reports(reading: Reading, mentions: list[Mention], levels: dict[str, int],
                         evidence: dict[str, list[str]]) -> None:
    """Round 23: an objective asked for with a hedge and otherwise only named in a report of its symptom takes the
    hedge's level ("users report the edge classifier is sluggish; shave latency slightly if it's easy": 1, not 3).

    WHY: the report says why the ask is made, not how strongly; taking the larger level let background sentences
    outvote the one graded ask (the weakest family of sets 34-37, long requests with background)."""
    by_clause = {r.clause.index: r for r in reading.clauses}
    for o in OBJECTIVES:
        positive = [m for m in mentions if m.objective == o and not m.dismissed]
        # (a hedge, not a rank: "Bandwidth, bandwidth, and then more bandwidth" is no report followed by a hedge)
        graded = [m for m in positive if 1 <= m.level <= 2 and by_clause[m.clause].degree_words and not by_clause[m.clause].rank]
        if not graded or levels[o] < 3:
            continue
        strong = [m for m in positive if m.level >= 3]
        if all(not by_clause[m.clause].degree_words and not _ASKING.search(by_clause[m.clause].lower)
               and len(by_clause[m.clause].lower.split()) >= 4 for m in strong):
            levels[o] = max(m.level for m in graded)
            evidence[o].append("(reported symptom: the graded ask sets the level)")


def _list_grammar(readings: list[ClauseReading]) -> list[ClauseReading]:
    """Grammar that spans clauses of a list.

    * "power, memory, hops - none of those matter": the comma-split items before the dismissal are
      dismissed with it (short clauses that name objectives and grade nothing);
    * "X, then Y, then Z": from the second "then" on, items get a little demand (the dev set's first 4,
      second 2, third 1).
    """
    out = list(readings)
    for k, r in enumerate(out):
        if r.dismissed and r.objectives and k + 1 < len(out) and out[k + 1].clause.after_comma and _bare_list(out[k + 1]):
            # "don't bother with coverage, throughput or power": the list after the comma is still the object
            out[k + 1] = replace(out[k + 1], dismissed=True, degree_words=out[k + 1].degree_words + r.degree_words[-1:])
    for k, r in enumerate(out):
        if r.dismissed and r.objectives and not LIST_DISMISSAL.search(r.lower) and k > 0 \
                and any(r.lower.startswith((w, "no " + w)) for ws in r.objectives.values() for w in ws):
            # (round 21: also "no power, no latency, no coverage targets": the items each open with "no")
            # "latency, memory, hops: not our concern": the dismissal reaches back over the bare items before it
            j = k - 1
            while j >= 0 and out[j + 1].clause.after_comma and _bare_list(out[j]):
                out[j] = replace(out[j], dismissed=True, degree_words=out[j].degree_words + r.degree_words[-1:])
                j -= 1
        listed = LIST_DISMISSAL.search(r.lower)
        if listed and not _TIE.search(r.lower):
            out[k] = replace(r, dismissed=True)
            j = k - 1
            if not r.objectives and j >= 0 and not (out[j].objectives and len(out[j].lower.split()) <= 3):
                # round 16: "we thought about lower latency and fewer hops, but ... neither matters", "earlier tickets
                # asked about throughput and hops, but those were resolved, so disregard them": a dismissal that names
                # nothing reaches back over clauses that name nothing to the last clause that names objectives
                # without grading them
                while j >= 0 and not out[j].objectives:
                    j -= 1
                if j >= 0 and not out[j].dismissed and not out[j].degree_words:
                    out[j] = replace(out[j], dismissed=True,
                                     degree_words=out[j].degree_words + [listed.group(0)])
                continue
            while j >= 0 and out[j].objectives and not out[j].degree_words and len(out[j].lower.split()) <= 3:
                out[j] = replace(out[j], dismissed=True, degree_words=out[j].degree_words + [listed.group(0)])
                j -= 1
    for k, r in enumerate(out):
        # round 7: "there's no latency, power or memory target": a negated list with one head noun after its last item
        head = _LIST_HEAD_NOUN.search(r.lower)
        if not (head and k > 0 and r.objectives and not r.dismissed and r.clause.after_comma
                and _bare_list(replace(r, lower=r.lower[:head.start()]))):
            continue
        j = k - 1
        while j > 0 and out[j + 1].clause.after_comma and _bare_list(out[j]):
            j -= 1
        first = out[j]
        if first.objectives and not first.dismissed and not first.degree_words and out[j + 1].clause.after_comma:
            start = _first_objective_position(first)
            if _NEGATED_LIST_START.search(first.lower[:start]):
                tag = first.lower[:start].split()[-1] + " ..." + head.group(0)
                for i in range(j, k + 1):
                    out[i] = replace(out[i], dismissed=True, degree_words=out[i].degree_words + [tag])
    for k, r in enumerate(out):
        # round 6: "Hop count can be whatever, same with coverage": "the same" carries the clause before's dismissal
        if k > 0 and out[k - 1].dismissed and r.objectives and not r.dismissed and not r.degree_words \
                and _SAME_AS_BEFORE.match(r.lower):
            out[k] = replace(r, dismissed=True, degree_words=r.degree_words + out[k - 1].degree_words[-1:])
    sequenced = 0
    for k, r in enumerate(out):
        if SEQUENCE_START.search(r.lower):
            sequenced += 1
            if sequenced >= 2 and r.objectives:
                out[k] = replace(r, rank="tertiary", level=min(r.level, 1),
                                 objective_levels={o: min(v, 1) for o, v in r.objective_levels.items()})
    return out


def _bare_list(r: ClauseReading) -> bool:
    """True for a clause that is only a list of objective names ("throughput or power", "memory"): no verb, no grade.

    WHY: such a clause is a fragment of the list around it, so a dismissal next to it covers it too.
    """
    if re.match(_COMPARATIVE + r"\s+(?:the|our|its|their|your)\b", r.lower):
        return False  # round 21: "..., lower the power" is an imperative of its own, not an item of the list before
    rest = _SCOPE_TAIL.sub(" ", r.lower)  # (round 20: the tail does not count towards the length either)
    if not r.objectives or r.degree_words or r.rank or r.dismissed or len(rest.split()) > 5:
        return False
    for words in r.objectives.values():
        for w in words:
            rest = rest.replace(w, " ")
    # (round 21: list items phrased as comparatives or with "no": "..., lower power or fewer hops", "no latency, no power")
    return not re.sub(r"\b(?:and|or|nor|plus|the|our|also|too|usage|use|count|draw|current|present|existing|so|no)\b"
                      r"|\b" + _COMPARATIVE + r"\b|[&/,+\s-]", "", rest)


#: round 21: the comparatives a list item is phrased with ("lower power or fewer hops")
_COMPARATIVE = r"(?:lower|higher|less|more|fewer|better|shorter|smaller)"


#: a tail that only limits where a list applies ("..., or latency for this one", "hops either"): not a verb, not a grade
_SCOPE_TAIL = re.compile(r"\b(?:(?:or|and) (?:any|all) of (?:that|those|this|it)|or anything (?:like that|else)|etc"
                         r"|for (?:this|that|the) (?:one|job|task|deployment|rollout|tenant|site|change|request|case)"
                         r"|for (?:now|the moment|the time being)|in this case|this time|either|at all|here)\s*[.!]*$")
#: the shared head noun of a negated list ("no latency, power or memory target"): the "no" before the first item
#: and the noun after the last one frame every item between them
_LIST_HEAD_NOUN = re.compile(r"\s+(?:targets?|goals?|requirements?|constraints?|slos?|slas?|preferences?|demands?|asks?)\s*[.!]*$")
_NEGATED_LIST_START = re.compile(r"\b(?:no|not any|without any)\s+(?:[\w-]+\s+){0,2}$")


def _head_input(r: ClauseReading) -> tuple[str, str | None]:
    """(masked clause, the one text the heads need embedded for it, or None when no head can change it).

    A clause that names an objective is read by the degree head on its masked text, and only when the
    lexicon left it plain and it holds a grading or negating word; a clause that names nothing is read
    by both heads on its own text (nothing to mask) when it has content words.
    """
    masked = masked_clause(r.lower, [m.span() for o in r.objectives for m in _objective_regex(o).finditer(r.lower)])
    if r.drop_others and not r.objectives:
        return masked, None
    if r.objectives and NOT_DISMISSED.search(r.lower):
        return masked, None  # round 18: a dismissal's words negated again ("it's not that we don't care about X"): asked
    if r.objectives or r.custom or r.oos:
        graded = bool(r.degree_words) or r.dismissed or bool(r.rank)
        if graded or not r.objectives or not (grading_words(masked) or NEGATING_WORD.search(masked)):
            return masked, None
        return masked, masked
    if DECLINED_SENSE.search(r.lower) or r.lookalikes or BACKGROUND_CLAUSE.search(r.lower):
        return masked, None  # round 17: an objective's word in another sense (lexicon.DECLINED_SENSE; round 20: LOOKALIKE)
    text = _blank_model_names(r.lower, "")  # a model's name is not an objective for the heads either
    return masked, (text if content_words(text) else None)


def content_words(text: str) -> str:
    """The clause without generic placement words (empty when nothing objective-like remains)."""
    words = [w for w in re.findall(r"[a-z][a-z'-]*", text.lower()) if w not in GENERIC_WORDS and len(w) > 2]
    return " ".join(words)


class EmbeddedTranslator:
    """Translates intents offline with the bundled MiniLM model; build once, reuse for many intents."""

    name = "embedded"

    def __init__(self, encoder: Encoder, learned: bool = True, reader: IntentReader | None = None,
                 combination: Combination = Combination()):
        """learned=False reads with the lexicon alone (the benchmark's ablation); the default fuses the heads.
        reader: the intent reader (intent/reader.py), a second opinion on the whole intent applied by `combination`
        after the rule reading; None (the default, see README "intent reader") leaves the rule reading as it is."""
        self.encoder = encoder
        self.learned = learned
        self.reader = reader
        self.combination = combination
        self.curves: dict[str, IntentCurve] = {}
        anchor_texts = {o: anchor_sentences(" for " + SUBJECTS[o]) for o in OBJECTIVES}
        flat = [s for o in OBJECTIVES for s in anchor_texts[o]]
        vectors = encoder.encode(flat)
        k = len(ANCHOR_DEGREES)
        for i, o in enumerate(OBJECTIVES):
            self.curves[o] = IntentCurve.from_embeddings(vectors[i * k:(i + 1) * k])
        self.heads = clause_heads()
        self.effects = effect_prototypes()
        self._descriptions = encoder.encode([DESCRIPTIONS[o] for o in OBJECTIVES])
        self._scores: dict[tuple[str, str], tuple[float, float]] = {}

    def closest_objective(self, descriptions: Sequence[str]) -> list[tuple[str, float]]:
        """Map out-of-scope asks onto the closest of the seven objectives by description similarity."""
        if not descriptions:
            return []
        sims = self.encoder.encode(list(descriptions)) @ self._descriptions.T
        return [(OBJECTIVES[int(r.argmax())], float(r.max())) for r in sims]

    # ------------------------------------------------------------------ translation ------------
    def _learned(self, readings: list[Reading]) -> list[Reading]:
        """Fold the learned heads' reading into every clause (intent/fusion.py); one encoder pass per batch.

        A clause is embedded only when a head can change it (see `_head_input`): one text per clause at most,
        none for most plain intents, which keeps a new intent near the speed of the lexicon alone.
        """
        if not self.learned:
            return readings
        jobs = []  # (intent, clause, masked text, text to embed)
        checks = []  # (intent, clause): clauses whose lexicon objectives the relevance head checks (round 10)
        for i, reading in enumerate(readings):
            if reading.known_share < 0.5:  # gibberish (mostly unknown words) gives the heads nothing to read
                continue
            for k, r in enumerate(reading.clauses):
                masked, text = _head_input(r)
                if text:
                    jobs.append((i, k, masked, text))
                if r.objectives and not r.dismissed and self.heads.relevance is not None:
                    checks.append((i, k))
        if not jobs and not checks:
            return readings
        texts = [text for *_, text in jobs] + [readings[i].clauses[k].lower for i, k in checks]
        if self.heads.top is not None:  # round 13: the heads read the tuned top layer, the prototypes the original one
            original, vectors = self.encoder.encode_pair(texts, self.heads.top)
        else:
            original = vectors = self.encoder.encode(texts)
        fused = [list(r.clauses) for r in readings]
        off_topic = self.heads.off_topic(vectors[len(jobs):]) if checks else []
        for (i, k), p in zip(checks, off_topic):
            if p >= OFF_TOPIC_CONFIDENCE:  # an objective's word in another sense: the clause asks nothing of the placement
                fused[i][k] = off_topic_reading(fused[i][k], float(p))
        vectors = vectors[:len(jobs)]
        if not jobs:
            return [replace(r, clauses=c) for r, c in zip(readings, fused)]
        objective_p = self.heads.objectives(vectors)
        degree_p = self.heads.degrees(vectors)
        nearest = self.effects.nearest(original[:len(jobs)]) if self.effects is not None else [None] * len(jobs)
        for row, (i, k, masked, _) in enumerate(jobs):
            r = fused[i][k]
            if r.off_topic:
                continue
            named = bool(r.objectives or r.custom or r.oos)
            learned = learned_reading(objective_p[row], degree_p[row], masked, named,
                                      unfamiliar=bool(unknown_words(r.lower)), effect=nearest[row])
            if not content_words(r.lower):
                learned = replace(learned, extra={})
            fused[i][k] = apply_learned(r, learned)
        return [replace(r, clauses=c) for r, c in zip(readings, fused)]

    def translate_many(self, texts: Sequence[str], customs: Sequence[CustomObjective] = ()) -> list[Translation]:
        readings = self._learned([read_intent(t, customs) for t in texts])
        oos_names = sorted({n for r in readings for c in r.clauses for n in c.oos})
        oos_map = dict(zip(oos_names, self.closest_objective([OUT_OF_SCOPE[n][1] for n in oos_names])))
        custom_map = {c.name: c for c in customs}
        # pass 2: levels -> standardized texts -> one encoder pass -> curve scores
        drafts = [self._levels(r) for r in readings]
        if self.reader is not None:
            self._second_opinion(readings, drafts)
        jobs = []  # (curve key, sentence) for every objective of every intent, then custom / out-of-scope asks
        for levels, *_ in drafts:
            jobs.extend((o, self.standardized_text(o, levels[o])) for o in OBJECTIVES)
        extra = [(i, name, lvl) for i, (_, _, _, _, custom_levels, oos_levels) in enumerate(drafts)
                 for name, lvl in list(custom_levels.items()) + list(oos_levels.items())]
        for _, name, lvl in extra:
            self.curve_for(name)
        jobs.extend(("custom:" + name, ANCHOR_TEMPLATE_GENERIC.format(degree=ANCHOR_DEGREES[lvl], subject=name))
                    for _, name, lvl in extra)
        scored = self._score_all(jobs)
        results = []
        n = len(OBJECTIVES)
        offset = n * len(drafts)
        extra_scores = {(i, name): scored[offset + k][0] for k, (i, name, _) in enumerate(extra)}
        for i, (reading, draft) in enumerate(zip(readings, drafts)):
            levels, evidence, notes, confidence, custom_levels, oos_levels = draft
            values = {o: scored[i * n + j][0] for j, o in enumerate(OBJECTIVES)}
            thetas = {o: scored[i * n + j][1] for j, o in enumerate(OBJECTIVES)}
            # anchor 0 is "no demand": a projection a hair above it is still no demand
            values = {o: (v if levels[o] > 0 else 0.0) for o, v in values.items()}
            out_of_scope = [OutOfScopeAsk(name, oos_map[name][0], oos_map[name][1], extra_scores.get((i, name), 0.0),
                                          tuple(dict.fromkeys(w for c in reading.clauses for w in c.oos.get(name, []))))
                            for name in oos_levels]
            custom = {name: extra_scores.get((i, name), 0.0) for name in custom_levels}
            for name in custom:
                notes.append(f"custom objective {name!r} recognised (registered; closest built-in: "
                             f"{custom_map[name].closest_objective})")
            results.append(Translation(
                text=reading.text, preference=Preference(values),
                standardized={o: self.standardized_text(o, levels[o]) for o in OBJECTIVES},
                out_of_scope=out_of_scope, confidence=confidence, evidence=evidence, backend=self.name,
                notes=notes, custom=custom, thetas=thetas))
        return results

    def _second_opinion(self, readings: list[Reading], drafts: list[tuple]) -> None:
        """Apply the intent reader's confident disagreements to each draft's levels (in place), with evidence.

        Intents the lexicon found mostly unknown words in (gibberish) are left alone, as the clause heads leave them.
        """
        rows = [i for i, r in enumerate(readings) if r.known_share >= 0.5]
        if not rows:
            return
        rules = np.array([[drafts[i][0][o] for o in OBJECTIVES] for i in rows], dtype=np.int64)
        probabilities = self.reader.probabilities(self.encoder.token_states([readings[i].text for i in rows]), rules)
        for i, p in zip(rows, probabilities):
            levels, evidence = drafts[i][0], drafts[i][1]
            for o, level in combine(levels, p, self.combination).items():
                if level != levels[o]:
                    j = OBJECTIVES.index(o)
                    evidence.setdefault(o, []).append(f"(intent reader: level {level} for {levels[o]}, p={p[j, level]:.2f})")
                    levels[o] = level

    def _score_all(self, jobs: list[tuple[str, str]]) -> list[tuple[float, float]]:
        """(score, theta) per (curve, standardized sentence); each distinct pair is projected once per process.

        Standardized sentences come from a small vocabulary, so after warm-up almost every job is a
        dictionary hit; new ones are embedded in one encoder pass and projected per curve in one matmul.
        """
        missing = list(dict.fromkeys(j for j in jobs if j not in self._scores))
        if missing:
            vectors = self.encoder.encode([sentence for _, sentence in missing])
            by_curve: dict[str, list[int]] = {}
            for index, (key, _) in enumerate(missing):
                by_curve.setdefault(key, []).append(index)
            for key, rows in by_curve.items():
                scores, thetas = self.curves[key].score(vectors[rows])
                for row, score, theta in zip(rows, scores, thetas):
                    self._scores[missing[row]] = (float(score), float(theta))
        return [self._scores[j] for j in jobs]

    def curve_for(self, subject: str) -> IntentCurve:
        """Anchor curve for a custom or out-of-scope objective (cached by name)."""
        key = "custom:" + subject
        if key not in self.curves:
            self.curves[key] = IntentCurve.from_embeddings(self.encoder.encode(anchor_sentences(" for " + subject)))
        return self.curves[key]

    @staticmethod
    def standardized_text(objective: str, level: int) -> str:
        """The paper's T_i: one sentence stating the demand for objective i on the anchors' wording."""
        return ANCHOR_TEMPLATE_GENERIC.format(degree=ANCHOR_DEGREES[level], subject=SUBJECTS[objective])

    def _levels(self, reading: Reading) -> tuple:
        """Combine clause readings into one level per objective, with evidence, notes and confidence."""
        mentions: list[Mention] = []
        sims = []
        for r in reading.clauses:
            sims.extend(r.learned.values())
            for o, words in r.objectives.items():
                level = r.objective_levels.get(o, r.level)
                mentions.append(Mention(o, r.clause.index, 0 if r.dismissed else level,
                                        list(dict.fromkeys(words + r.degree_words)), r.dismissed,
                                        "learned" if o in r.learned else "lexicon", r.learned.get(o, 1.0)))
        levels = {o: 0 for o in OBJECTIVES}
        evidence: dict[str, list[str]] = {}
        for m in mentions:
            if not m.dismissed:
                levels[m.objective] = max(levels[m.objective], m.level)
            evidence.setdefault(m.objective, [])
            tag = [f"dismissed: {w}" for w in m.words] if m.dismissed else m.words
            evidence[m.objective].extend(w for w in tag if w not in evidence[m.objective])
        _retractions(mentions, levels, evidence, {r.clause.index: r.lower for r in reading.clauses})
        _graded_over_reports(reading, mentions, levels, evidence)
        # a learned "greatest demand" stands only when its objective is the only one asked for: the dev set's
        # convention gives level 4 to one objective singled out, and the head's 4 beside a hedged second ask
        # ("the real target is fewer hops; memory savings are welcome") is a contrast, read as plain 3.
        # Round 13 tried letting it stand beside asks graded 1-2 (blocked only at 3+): +7 activation on the burned
        # sets with the shipped heads, which were trained on them, but -0.0011 activation on leave-one-set-out with
        # fold heads (a fold head's 4 beside a hedge is more often wrong); kept as it was
        learned_top = {m.objective for m in mentions if m.level == 4 and not m.dismissed
                       and any(w.startswith("(learned degree 4") for w in m.words)}
        ruled_top = {m.objective for m in mentions if m.level == 4 and not m.dismissed
                     and not any(w.startswith("(learned degree 4") for w in m.words)}
        for o in learned_top - ruled_top:
            if levels[o] == 4 and any(levels[other] >= 1 for other in OBJECTIVES if other != o):
                levels[o] = 3
                evidence[o].append("(learned degree 4 not kept: another objective is asked for too)")
        # emphasis by repetition across clauses ("Minimize latency! Minimize latency!"): one objective, said again
        positive = [m for m in mentions if not m.dismissed]
        if len({m.objective for m in positive}) == 1 and len({m.clause for m in positive}) >= 2 \
                and all(m.level == 3 for m in positive) \
                and (len({reading.clauses[m.clause].lower.strip(" !.") for m in positive}) == 1
                     or all(len(reading.clauses[m.clause].lower.split()) <= 3 for m in positive)
                     and len({w.lower() for m in positive for w in reading.clauses[m.clause].objectives[m.objective]}) == 1):
            o = positive[0].objective
            levels[o] = 4
            evidence[o].append("(repeated)")
        # ordering: when later clauses are marked secondary, the unmarked leading clause is the top priority
        clauses = reading.clauses
        ranked = [r.clause.index for r in clauses if r.rank in ("secondary", "tertiary")]
        if ranked:
            head = [m for m in mentions if m.clause < ranked[0] and not m.dismissed]
            head_objectives = {m.objective for m in head}
            if len(head_objectives) > 1 and SEQUENCE_START.search(clauses[ranked[0]].lower):
                # "..., but when forced to choose pick latency, then power": the list head is the clause
                # just before the first "then", not the context said before it
                head = [m for m in head if m.clause == ranked[0] - 1]
                head_objectives = {m.objective for m in head}
                # the list's own grade replaces the plain mention in the context ("energy both matter ... then energy")
                for m in mentions:
                    r = clauses[m.clause]
                    earlier = [e for e in mentions if e.objective == m.objective and e.clause < ranked[0] - 1]
                    if m.clause in ranked and not m.dismissed and earlier \
                            and all(e.level == 3 and not clauses[e.clause].degree_words for e in earlier):
                        levels[m.objective] = m.level
                        evidence[m.objective].append("(graded by the stated list)")
            # round 5: a tail merely called "secondary" ("cut memory; latency is secondary") lowers the tail and
            # leaves the head plain (3); a stated sequence ("X, then Y", "after that", "a distant second") ranks
            # the head first (4), as the dev set's ordered lists do
            merely_secondary = bool(re.search(r"\bsecondar(?:y|ily)\b", clauses[ranked[0]].lower))
            if len(head_objectives) == 1 and all(clauses[m.clause].rank == "" for m in head) and not merely_secondary:
                (o,) = head_objectives
                if levels[o] == 3:
                    levels[o] = 4
                    evidence[o].append("(ranked first)")
        _stated_order(reading, mentions, levels, evidence)
        _ordinal_labels(reading, mentions, levels, evidence)
        _comparative_tails(clauses, levels, evidence)
        _later_comparisons(clauses, mentions, levels, evidence)
        # "ignore everything else": only objectives in the exclusive clauses keep their demand
        if any(r.drop_others for r in clauses):
            keep = {m.objective for m in mentions if clauses[m.clause].exclusive_only or clauses[m.clause].drop_others}
            if keep:
                for o in OBJECTIVES:
                    if o not in keep and levels[o]:
                        levels[o] = 0
                        evidence.setdefault(o, []).append("dismissed: everything else ignored")
            # round 5: "minimize power. Nothing else matters": one plain objective left standing is the only one
            # asked for, which the conventions grade as singled out (4)
            standing = [o for o in OBJECTIVES if levels[o]]
            if len(standing) == 1 and levels[standing[0]] == 3:
                levels[standing[0]] = 4
                evidence[standing[0]].append("(the only objective left: everything else excluded)")
        custom_levels: dict[str, int] = {}
        oos_levels: dict[str, int] = {}
        for r in clauses:
            for name in r.custom:
                custom_levels[name] = max(custom_levels.get(name, 0), 0 if r.dismissed else r.level)
            for name in r.oos:
                oos_levels[name] = max(oos_levels.get(name, 0), 0 if r.dismissed else r.level)
        oos_levels = {k: v for k, v in oos_levels.items() if v > 0}
        notes = []
        for typo, fix in reading.fixes:
            notes.append(f"read {typo!r} as {fix!r}")
        for r in reading.clauses:  # round 10: the relevance head's vetoes, so that a user sees why a word was not read
            for o, words in r.off_topic.items():
                notes.append(f"{words[0]!r} read in another sense, not as a {o} demand {words[-1]}")
            for phrase in r.lookalikes:  # round 20: the look-alike phrases blanked before the lexicon
                notes.append(f"{phrase!r} read in another sense (a look-alike), not as a demand")
        named = [o for o in OBJECTIVES if levels[o]]
        if named:
            confidence = 0.92 if not sims else min(0.92, min(sims) + 0.2)
            confidence -= 0.05 * len(reading.fixes)
            if oos_levels:
                confidence -= 0.1
        elif oos_levels or custom_levels:
            confidence = 0.6
            notes.append("no built-in objective asked for; see out-of-scope / custom objectives")
        elif reading.known_share < 0.5:
            confidence = 0.05
            notes.append("text does not read as a planning intent (mostly unknown words); preference left at zero")
        else:
            confidence = 0.5
            notes.append("no optimisation objective stated; preference left at zero (planner defaults apply)")
        confidence *= min(1.0, 0.3 + reading.known_share)
        for o, words in list(evidence.items()):
            if not levels[o] and not any(w.startswith("dismissed") for w in words):
                words.append("dismissed")
        return levels, evidence, notes, max(0.0, min(1.0, confidence)), custom_levels, oos_levels


def _first_named(reading: Reading, mentions: list[Mention], levels: dict[str, int]) -> dict[str, tuple[int, int]]:
    """(clause, position) where each objective still asked for is first named: the order the lists rank by."""
    firsts: dict[str, tuple[int, int]] = {}
    for m in mentions:
        if m.dismissed or not levels[m.objective]:
            continue
        r = reading.clauses[m.clause]
        pos = min((x.start() for x in _objective_regex(m.objective).finditer(r.lower)), default=0)
        firsts[m.objective] = min(firsts.get(m.objective, (m.clause, pos)), (m.clause, pos))
    return firsts


def _stated_order(reading: Reading, mentions: list[Mention], levels: dict[str, int],
                  evidence: dict[str, list[str]]) -> None:
    """"In this order: A, B and C": the conventions' first 4, second 2, third and later 1.

    Objectives are ranked by where they are first named; a hedge already below the rank is kept.
    """
    if not ORDER_STATED.search(" ".join(r.lower for r in reading.clauses)) \
            and not any(ORDER_STATED.search(r.lower) for r in reading.clauses):
        return
    firsts = _first_named(reading, mentions, levels)
    ordered = sorted(firsts, key=firsts.get)
    if len(ordered) < 2:
        return
    for rank, o in enumerate(ordered):
        levels[o] = 4 if rank == 0 else min(levels[o], 2 if rank == 1 else 1)
        evidence.setdefault(o, []).append(f"(stated order: item {rank + 1})")


def _objective_positions(r: ClauseReading) -> list[re.Match[str]]:
    """Every objective word of the clause, as matches on its lower-cased text."""
    return [x for o in r.objectives for x in _objective_regex(o).finditer(r.lower)]


def _first_objective_position(r: ClauseReading) -> int:
    """Where the first objective word of the clause starts (past the end when it names none)."""
    return min((x.start() for x in _objective_positions(r)), default=len(r.lower) + 1)


def _last_objective_position(r: ClauseReading) -> int:
    """Where the last objective word of the clause starts (-1 when it names none)."""
    return max((x.start() for x in _objective_positions(r)), default=-1)


def _ordinal_labels(reading: Reading, mentions: list[Mention], levels: dict[str, int],
                    evidence: dict[str, list[str]]) -> None:
    """"Priority one is X. Priority two is Y", "1) X, 2) Y", "number-one goal X; after that Y; third Z": 4 / 2 / 1.

    WHY by position: each objective takes the rank of the last ordinal label before the place it is first named in
    its clause ("1) X 2) Y"), else of the label after it in the same clause ("X is first priority"), else of a
    label that ends the clause just before when that clause puts its labels first ("Priority one is the path: flows
    should cross few devices"; not "power is the first concern. Memory ...", where the label was power's).
    Applies only when a second-rank label is present, with a first-rank one ("priority one", "1)", "first") or,
    failing that, a "second" after its objective and exactly one other objective before it ("max b/w, lat 2nd"),
    so a lone "next" or "finally" ranks nothing. The label's rank sets the level (it overrides a "third" read
    into the whole clause it shares with the second item).
    """
    labels = [sorted((m.start(), rank) for rank, pattern in enumerate(ORDINAL_LABELS) for m in pattern.finditer(r.lower))
              for r in reading.clauses]
    ranks = {rank for found in labels for _, rank in found}
    if 1 not in ranks:
        return
    firsts = _first_named(reading, mentions, levels)
    if 0 not in ranks:
        # "max bandwidth, latency 2nd": a second place stated after its objective implies that the one objective
        # named before it, unlabelled, is first
        labelled = [(k, start) for k, found in enumerate(labels) for start, rank in found if rank == 1]
        k0, start0 = labelled[0]
        if start0 <= _first_objective_position(reading.clauses[k0]):
            return  # "second" before anything it could label: not a postfix rank
        before = [o for o, at in firsts.items() if at < (k0, _first_objective_position(reading.clauses[k0]))]
        if len(before) != 1 or len(firsts) != 2:
            return
        levels[before[0]] = 4
        evidence.setdefault(before[0], []).append("(ordinal label: item 1, implied by a stated second)")
        del firsts[before[0]]
    for o, (k, pos) in firsts.items():
        before = [rank for start, rank in labels[k] if start <= pos]
        after = [rank for start, rank in labels[k] if start > pos]
        # a clause whose first label follows its first objective puts labels after what they label
        postfix = bool(labels[k]) and labels[k][0][0] > _first_objective_position(reading.clauses[k])
        if after and (postfix or not before):  # "latency is first priority, memory the second priority"
            rank = after[0]
        elif before:  # "Priority 2: throughput", "1) cut latency 2) more bandwidth"
            rank = before[-1]
        elif k > 0 and labels[k - 1] and labels[k - 1][-1][0] > _last_objective_position(reading.clauses[k - 1]) \
                and labels[k - 1][0][0] < _first_objective_position(reading.clauses[k - 1]):
            # a label ending the clause before labels this one ("Priority one is the path: ...", "..., and only third, SRAM")
            rank = labels[k - 1][-1][1]
        else:
            continue
        levels[o] = (4, 2, 1)[rank]
        evidence.setdefault(o, []).append(f"(ordinal label: item {rank + 1})")


def _comparative_tails(clauses: list[ClauseReading], levels: dict[str, int], evidence: dict[str, list[str]]) -> None:
    """"..., but delay more": the objective the comparing clause names stays asked for (3), the others drop to 2."""
    for k, r in enumerate(clauses):
        if r.dismissed or not r.objectives or not COMPARATIVE_TAIL.search(r.lower) or k == 0 and len(clauses) == 1:
            continue
        favoured = set(r.objectives)
        others = [o for o in OBJECTIVES if o not in favoured and levels[o] == 3]
        if not others:
            continue
        for o in favoured:
            if 0 < levels[o] < 3:
                levels[o] = 3
        for o in others:
            levels[o] = 2
            evidence.setdefault(o, []).append(f"(ranked below {', '.join(sorted(favoured))})")


ANCHOR_TEMPLATE_GENERIC = "The user has {degree} demand for {subject}"


#: round 16: "none of them dominates", "none of these more important than the others": a ranking (a tie), not a dismissal
_TIE = re.compile(r"\b(?:none|neither)(?: of (?:them|these|those|the \w+))?\b(?: \w+){0,2}? (?:dominat\w*|more|less|outrank\w*"
                  r"|takes? precedence|comes? first|above|over|ahead)\b")

#: round 16: what may stand between objectives that share one predicate ("power and throughput are off the table")
_COORDINATION_GAP = re.compile(r"^[\s,]*(?:and|or|nor|&|as well as|plus)?[\s,]*(?:the |our |both |either |neither )?$")


def _coordinated(lower: str, objectives: set[str]) -> bool:
    """True when the clause names its objectives as one coordinated phrase ("power and throughput", "hops, power or
    memory"): a dismissal in the clause then dismisses each of them alike."""
    spans = sorted((m.start(), m.end()) for o in objectives for m in _objective_regex(o).finditer(lower))
    return len(spans) >= 2 and all(_COORDINATION_GAP.match(lower[a_end:b_start])
                                   for (_, a_end), (b_start, _) in zip(spans, spans[1:]) if b_start > a_end)


def _retractions(mentions: list[Mention], levels: dict[str, int], evidence: dict[str, list[str]],
                 clause_text: dict[int, str]) -> None:
    """Round 6: a later dismissal of an objective withdraws an earlier ask of it.

    WHY: long requests tell their history ("Initially we wanted minimum delay, but after the review latency is
    fine as it is", "we first thought coverage mattered ... so leave coverage alone"); the request that stands is
    the last word on each objective. An ask AFTER a dismissal keeps the usual maximum ("don't care about power ...
    well, save a little power").
    """
    for o in OBJECTIVES:
        own = [m for m in mentions if m.objective == o]
        # only a clause that dismisses this objective alone: "throughput doesn't matter, the link is slow anyway"
        # dismisses throughput, and the "slow" beside it is context, not a word on latency
        # (round 16: or the clause's objectives are one coordinated subject or object, "power and throughput are
        # explicitly off the table", all dismissed together)
        sole = [m.clause for m in own if m.dismissed and (
            sum(n.clause == m.clause for n in mentions) == 1
            or all(n.dismissed for n in mentions if n.clause == m.clause)
            and _coordinated(clause_text[m.clause], {n.objective for n in mentions if n.clause == m.clause}))]
        last_dismissal = max(sole, default=-1)
        if levels[o] and last_dismissal >= 0 and all(m.clause < last_dismissal for m in own if not m.dismissed):
            levels[o] = 0
            evidence.setdefault(o, []).append("(withdrawn by a later dismissal)")


def _later_comparisons(clauses: list[ClauseReading], mentions: list[Mention], levels: dict[str, int],
                       evidence: dict[str, list[str]]) -> None:
    """Round 6: "A matters more than B" said after both were graded elsewhere settles their order.

    WHY: long requests grade an objective in its own clause and then compare another with it ("uses as little TCAM
    as it can ...; coverage matters more than TCAM"); the comparison is the writer's last word on the pair, so A ends
    above B: A one level higher than B (up to 4), B below 4.
    """
    for r in clauses:
        below = RANKED_BELOW.search(r.lower)
        if r.dismissed or not below or len(r.objectives) != 2:
            continue
        firsts = {o: min(m.start() for m in _objective_regex(o).finditer(r.lower)) for o in r.objectives}
        ahead = [o for o, pos in firsts.items() if pos < below.start()]
        behind = [o for o, pos in firsts.items() if pos > below.start()]
        if len(ahead) != 1 or len(behind) != 1:
            continue
        a, b = ahead[0], behind[0]
        graded_elsewhere = any(m.objective == b and m.clause != r.clause.index and not m.dismissed for m in mentions)
        if not graded_elsewhere or not levels[a] or not levels[b] or levels[a] > levels[b]:
            continue
        levels[a] = min(4, levels[b] + 1)
        if levels[a] == levels[b]:
            levels[b] -= 1
        evidence.setdefault(a, []).append(f"(ranked above {b} by a later comparison)")
