"""Training corpus for the learned clause scorer, generated from templates (never from an evaluation set).

WHY generated: no labelled operator intents exist beyond the evaluation sets, and those must stay
unseen. The generator crosses objective phrasings (plain words, operator jargon, slang) with degree
templates (plain, emphatic, hedged, negated), two-objective combinations, word orders and typos, so
the head learns what varies across wordings rather than any one sentence. Labels follow the shared
dev set's conventions: plain verb 3, superlative/absolute 4, hedged 1-2, negated/dismissed 0.

Each row is one clause-sized text with a label per objective: "absent", "negated" or a level 1..4.
`generate_corpus()` is deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from omniplan.objectives import OBJECTIVES

#: label classes the objective head predicts per objective (index = class id).
CLASSES: tuple[str, ...] = ("absent", "negated", "1", "2", "3", "4")
ABSENT, NEGATED = 0, 1
#: classes of the degree head, which reads a clause with its objective words replaced by MASK.
DEGREES: tuple[str, ...] = ("negated", "1", "2", "3", "4")
#: what objective wording is replaced by for the degree head: WHY "it": the masked clause stays
#: natural English ("keep it low", "forget about it"), which MiniLM embeds sensibly.
MASK = "it"
#: degree label of rows that teach the degree head nothing (chatter, two objectives at different levels).
NO_DEGREE = -1

#: the seed the shipped weights were trained with (`python -m intent.train`).
SEED = 11

#: objectives whose demand is "less of it" (minimise) vs "more of it" (maximise).
MAXIMISED = ("throughput", "coverage")

#: noun phrases per objective: everyday words, operator jargon, slang and abbreviations.
PHRASES: dict[str, tuple[str, ...]] = {
    "power": ("power", "power draw", "energy use", "energy consumption", "electricity usage", "the power bill",
              "wattage", "watts per switch", "the energy footprint", "pwr usage", "juice the switches pull",
              "energy", "power consumption", "the electricity bill", "kWh"),
    "resources": ("memory", "switch memory", "SRAM", "TCAM", "SRAM usage", "TCAM entries", "table space",
                  "pipeline stages", "mem usage", "mem", "hardware resources", "on-chip memory", "stage count",
                  "ALU usage", "the resource footprint", "register space", "match-action table entries"),
    "throughput": ("throughput", "bandwidth", "bw", "packets per second", "line-rate processing", "tput",
                   "goodput", "the packet rate", "Gbps", "traffic volume handled", "forwarding capacity",
                   "data rate", "thruput", "pps"),
    "latency": ("latency", "delay", "response time", "end-to-end delay", "lag", "RTT", "inference time",
                "e2e latency", "the time to classify a packet", "reaction time", "tail latency", "jitter",
                "processing delay", "lat", "how long a verdict takes"),
    "coordination": ("coordination overhead", "metadata between switches", "inter-switch coordination",
                     "PHV usage", "state sync between devices", "cross-device chatter", "metadata exchange",
                     "header bits carried between switches", "inter-device signalling", "sync traffic",
                     "intermediate results passed along", "communication overhead between nodes"),
    "hops": ("hop count", "hops", "path length", "the number of hops", "switches a packet crosses",
             "detours", "path stretch", "route length", "the number of devices a flow visits", "hop cnt"),
    "coverage": ("coverage", "the share of flows classified", "the number of tasks offloaded", "flow coverage",
                 "offloaded tasks", "the fraction of traffic inspected", "placed models", "admitted tasks",
                 "the portion of requests served", "classified flows", "tasks placed in the network",
                 "the number of flows with a classifier"),
}

#: whole-clause phrasings that already carry the direction ("keep X low" style), per direction.
PLAIN_MIN = ("minimize {x}", "reduce {x}", "cut {x}", "lower {x}", "keep {x} low", "keep {x} down",
             "we want less {x}", "{x} should be low", "bring down {x}", "trim {x}", "shrink {x}", "save on {x}",
             "go easy on {x}", "less {x} please", "low {x}", "decrease {x}", "{x} needs to come down",
             "try to reduce {x}", "aim for low {x}", "limit {x}", "with low {x}", "with lower {x}",
             "just keep {x} down", "use less {x}", "keep {x} small", "keep {x} usage down", "{x} should stay low",
             "low {x} please", "get {x} down", "minimise end-to-end {x}", "keep {x} consumption low",
             "we need low {x}", "with reduced {x}", "trim down {x}", "less {x}", "just cut {x}", "lower {x} overall",
             "optimise for low {x}", "favour low {x}", "make {x} lower", "we'd like lower {x}",
             "reduce {x} as much as you can", "cut {x} where you can", "{x} does", "keep {x} in check")
#: coverage asked for by what must not be missed ("no X left unserved" is a demand, not a negation).
COVERAGE_NO = ("no task left unplaced", "no request goes unserved", "make sure every flow gets a classifier",
               "no model should be rejected", "every task must find a switch", "don't leave any task out")
PLAIN_MAX = ("maximize {x}", "increase {x}", "boost {x}", "raise {x}", "keep {x} high", "we want more {x}",
             "{x} should be high", "push {x} up", "improve {x}", "more {x} please", "high {x}", "grow {x}",
             "aim for high {x}", "get {x} up", "deliver more {x}", "with high {x}", "with higher {x}",
             "with more {x}", "higher {x}", "just give us more {x}", "more {x}", "optimise for {x}",
             "we'd like higher {x}", "favour {x}", "make {x} higher", "we need high {x}",
             "get as much {x} as you can", "{x} does", "squeeze out more {x}")
#: demands described by their effect, with none of the objective's usual words (level 3): WHY: operators
#: often say what they want to happen ("fewer racks running hot") rather than name the metric, and the
#: lexicon cannot list every such description; the objective head learns them from these.
DESCRIBED: dict[str, tuple[str, ...]] = {
    "power": ("fewer switches switched on", "let idle boxes sleep", "keep the fans from spinning up",
              "run the racks cooler", "stay under the rack's wattage cap", "draw less from the wall",
              "smaller electricity bill for the fabric", "park unused line cards", "keep the PSUs lightly loaded",
              "power down what you can at night", "keep the heat output of the switches low",
              "consolidate onto fewer powered devices",
              "cut the heat the racks give off", "the fans are too loud, calm the switches down",
              "lower the monthly energy invoice", "fewer boxes lit up at night",
              "smaller carbon footprint for the fabric", "the site runs on a thin power feed",
              "keep the cooling load down", "the PDUs are near their limit", "let the switches idle more",
              "spend fewer kilowatt-hours", "stop the switches running hot", "green operation of the fabric",
              "keep the racks within their power envelope", "the utility bill keeps climbing, fix that",
              "run on as little electricity as you can", "the chassis are running hot"),
    "resources": ("leave room in the tables for routing", "don't fill up the match-action tables",
                  "keep the chips from running out of stages", "fit the model into the space that is left",
                  "don't eat the entries the ACLs need", "leave headroom on the ASIC", "use fewer table entries",
                  "make the model small enough to fit", "don't crowd the pipeline", "squeeze the model into the chip",
                  "keep the forwarding tables free for forwarding", "the chips are nearly full",
              "the tables are nearly full", "we are short on stages", "don't hog the match-action tables",
              "leave space on the chip for other programs", "the ASIC has little room left",
              "keep the model's footprint on chip small", "cost as few entries as you can",
              "every table entry is precious", "the pipeline is running out of room",
              "take up less space on the switches", "keep the lookup tables lean",
              "don't exhaust the on-chip storage", "fewer rules installed per switch",
              "save table capacity for forwarding"),
    "throughput": ("handle more packets each second", "don't let the classifier become a bottleneck",
                   "keep up with line rate", "process every burst without queuing up", "let more traffic through",
                   "the uplinks should carry more", "no drops when traffic peaks", "keep the pipes full",
                   "process the full 100G", "more volume through the same boxes",
              "keep up with the 400G links", "don't drop packets under load", "sustain line rate",
              "the classifier must not throttle traffic", "push more gigabits through",
              "handle the peak load without loss", "process more flows per second",
              "no packet loss at full load", "carry the full traffic volume",
              "the links should run at full speed", "cope with traffic bursts",
              "move more data through the fabric"),
    "latency": ("verdicts should come back quickly", "don't make packets wait for the model",
                "answers in microseconds", "keep the classifier off the slow path", "make the decision quick",
                "no extra waiting per packet", "respond faster to each flow", "packets shouldn't sit in queues",
                "the detection must feel instant", "shave time off each lookup",
              "answers should come back in microseconds", "no waiting for the verdict", "make it snappy",
              "each packet should be classified right away", "the verdict must be instant",
              "shave microseconds off the path", "don't slow the packets down",
              "keep the per-packet cost in time small", "react in real time", "quicker verdicts per packet",
              "make it zippy", "faster decisions per flow", "no lag on the detection"),
    "coordination": ("keep each model on one switch", "don't make switches talk to each other mid-decision",
                     "stop passing partial results between boxes", "no splitting a model across devices",
                     "fewer bytes of state carried from one switch to the next",
                     "a switch should not wait on another switch's output", "keep the model's pieces together",
                     "less chatter between the stages on different boxes", "avoid handing intermediate state along",
                     "one device should finish the decision on its own",
              "the switches keep passing state around, reduce that",
              "stop shuttling partial results between switches", "keep each forest whole on one device",
              "less state handed from switch to switch", "don't spread one model over several boxes",
              "keep the pieces of a model together", "the spine boxes exchange too much metadata",
              "no cross-device handoff in the middle of a decision", "one switch per model",
              "avoid sharing header fields between devices", "keep the models unsplit",
              "less back-and-forth between switches"),
    "hops": ("shorter paths through the fabric", "fewer switches between source and destination",
             "don't send traffic the long way round", "keep the route direct", "packets should cross fewer boxes",
             "no detours through the spine", "the path should be as short as it can be in switches",
             "less bouncing between layers", "keep flows on the direct route", "fewer devices on the way",
              "packets shouldn't wander around the fabric", "keep the path short",
              "fewer switches along the way", "no zig-zag through the layers",
              "flows should not take the scenic route", "cut down on the detour",
              "take the shortest route to the classifier", "don't bounce traffic through the core",
              "fewer switches each flow passes before scoring", "the detection path should not snake around",
              "keep flows from crossing half the network", "shorten the path to the verdict"),
    "coverage": ("no tenant should be left without a model", "every flow should get a verdict",
                 "don't reject any of the requested models", "make room for all the tasks",
                 "inspect all the traffic, not just some", "no packet should skip the classifier",
                 "place every model that was asked for", "leave nothing unclassified",
                 "all tenants' detectors must be placed", "don't drop any task from the placement",
              "too much traffic goes unlabeled, fix that", "some tenants never get a verdict",
              "reach every tenant", "classify more of the flows", "let nothing through unscored",
              "extend detection to more flows", "no flow should escape inspection",
              "get verdicts for all the traffic", "bring the remaining tenants under the classifier",
              "inspect the flows that are missed today",
              "cover more of the traffic", "serve more of the requested tasks",
              "nothing slips through unclassified"),
}

#: share of demands worded by effect (DESCRIBED) instead of by the objective's name
DESCRIBED_SHARE = 0.3

#: plain demands that reuse the words of the negation templates ("care", "matter", "concern", "worry"):
#: WHY: without them the head learns "care about X" means "X is dismissed" instead of reading the negator.
PLAIN_CONTRAST = ("we care about {x}", "{x} matters", "{x} is a concern", "we worry about {x}", "watch {x}",
                  "{x} is important to us", "pay attention to {x}", "{x} is a priority", "mind the {x}",
                  "we are bothered by {x}", "do something about {x}", "{x} is our problem", "focus on {x}")

#: emphasis: a single objective stated as supreme (level 4).
SUPREME = ("{c} above everything else", "{c} at all costs", "{c}, whatever it takes", "{c} as much as humanly possible",
           "{c}: this is critical", "{c}, it is our top priority", "{c} is non-negotiable", "{c}, no compromise",
           "absolutely {c}", "{c} is mandatory", "{c} matters more than anything", "{c} is the main goal",
           "our number one goal: {c}", "{c} before anything else", "{c}, first and foremost",
           "{c}, nothing else comes close", "{c} is all that counts", "{c} overrides every other concern",
           "{c} is priority number one", "{c} to the max", "{c} is the overriding goal", "{c} is essential",
           "{c} is vital", "the single most important thing: {c}", "{c}, that is what we optimise for",
           "{c} beats every other objective", "{c} outranks all else", "all we want is to {c}",
           "{c}; everything else is secondary", "{c} is the headline goal", "{c} comes before all else",
           "above every other goal, {c}", "{c} is our sole concern", "{c} is what we are judged on",
           "{c} is the make-or-break metric", "{c} dominates every other concern",
           # round 3: metaphors and rank words, the way operators single one goal out in chat and tickets
           "{c} is the crown jewel here", "{c} is our north star", "{c} or bust", "{c}, no excuses",
           "{c} is the name of the game", "{c} rules every decision", "{c} is the one hill to defend",
           "{c} is sacred", "{c} is the alpha and omega", "{c} is job one", "{c}, zero tolerance otherwise",
           "{c} is the red line", "{c} is the acceptance criterion", "{c} is the hard requirement",
           "{c} is top of the list", "{c} is the most important of all", "{c} is the primary constraint",
           "{c} is a must", "{c} is what the whole project hinges on", "{c} is our bread and butter",
           "{c} above all", "{c} is the only priority")
#: supreme demands phrased around the objective noun, again reusing negation-looking words ("nothing", "only").
SUPREME_NOUN = ("nothing is more important than {x}", "{x} is the only thing we care about", "all that matters is {x}",
                "we care about {x} more than anything", "{x} is everything to us", "no other objective matters as "
                "much as {x}", "{x} comes first, everything else second", "{x} wins over everything",
                "only {x} matters", "{x} is what we obsess over", "nothing else counts but {x}",
                "the priority is {x}, full stop", "{x} is our single goal", "{x} is by far the most important",
                "{x} is the top priority", "{x} is the primary constraint",
                "{x} is the main constraint", "treat {x} as sacred", "{x} is our obsession",
                "{x} trumps everything", "{x} decides everything here", "{x} is the bottleneck that matters")
SUPERLATIVE_MIN = ("the lowest possible {x}", "{x} as low as possible", "minimal {x}", "the least {x} you can manage",
                   "{x} at the bare minimum", "absolutely minimal {x}", "near-zero {x}", "the smallest {x} achievable")
SUPERLATIVE_MAX = ("the highest possible {x}", "{x} as high as possible", "maximum {x}", "the most {x} you can get",
                   "{x} to the limit", "maximal {x}", "the greatest {x} achievable", "peak {x}")

#: hedges: weak demand, level 1 or 2.
HEDGE_1 = ("{c} a little", "slightly {c}", "{c} a bit", "{c} marginally", "{c}, a tiny bit",
           "{c} if convenient", "{c}, low priority", "{c} just a smidge", "barely {c}", "{c}, very low priority",
           "a small improvement: {c}")
HEDGE_2 = ("moderately {c}", "somewhat {c}", "{c} if possible", "ideally {c}", "{c} would be nice",
           "{c} is nice to have", "{c} where it is cheap", "{c}, secondarily", "{c} to some extent",
           "{c} within reason", "{c} if it costs nothing", "{c} as a secondary goal", "{c} as a bonus",
           "{c} is a lower priority", "{c} would be a plus", "preferably {c}", "{c} when feasible",
           "{c} is a nice extra", "{c} only if it's free", "{c} if there's room", "possibly {c}", "perhaps {c}",
           "{c}, but don't go out of your way", "{c} when you get a chance", "{c}, not a big deal either way",
           "{c} if it comes for free", "{c} as an afterthought", "{c} is a side goal", "{c} is welcome but minor")

#: negations and dismissals: the objective gets no demand at all.
NEGATE = ("don't care about {x}", "{x} doesn't matter", "ignore {x}", "forget about {x}", "{x} is irrelevant",
          "no need to worry about {x}", "{x} is not a concern", "we are indifferent to {x}",
          "never mind {x}", "{x} is unimportant", "disregard {x}", "don't optimise {x}", "{x} can be anything",
          "we're fine with any {x}", "{x} isn't a priority", "no need to touch {x}", "don't bother with {x}",
          "leave {x} alone", "{x} is not our problem", "skip {x}", "{x}: do not care", "nobody cares about {x}",
          "{x} is of no importance", "don't spend effort on {x}", "we are not bothered about {x}",
          "we're not worried about {x}", "{x} isn't something to optimise", "nobody here cares about {x}",
          "{x} can be whatever", "don't sweat {x}", "{x}? not important", "{x} is the least of our worries",
          "let {x} be", "we can live with any {x}", "{x} doesn't need attention", "don't spend time on {x}",
          "forget {x}", "{x} is off the table", "pay no attention to {x}", "{x} is out of scope for this",
          "we have no interest in {x}", "{x} is not a factor", "{x} is moot", "not fussed about {x}",
          "{x} really does not matter to us", "whatever happens to {x} is fine", "no requirement on {x}",
          "there is no need to keep {x} low", "don't try to improve {x}", "{x} need not be optimised")

#: clauses with no objective: placement chatter and sentences with near-miss words.
CHATTER = ("offload the models", "please deploy the classifier", "place the forests somewhere",
           "install the anomaly detectors", "run the inference on the switches", "deploy these trees today",
           "we will deploy after lunch", "hope this works out", "the tower team signed off", "read the memo first",
           "the latest version of the model", "use the new topology", "the data center in Frankfurt",
           "put the SVM on the edge", "roll it out tonight", "schedule the XGBoost model", "thanks in advance",
           "this is for the DDoS detector", "ticket 4411: new placement", "as discussed yesterday",
           "go ahead with the deployment", "the operator team approved it", "we have six switches",
           "use the default settings", "migrate the naive bayes model", "let's do it", "the hop-on meeting is at 3",
           "power users asked for this", "the cover letter is attached", "offload some tasks",
           "offload multiple ML tasks", "offloading more tasks", "place the tasks on the switches",
           "offload as usual", "deploy the models with default settings", "host the inference tasks",
           "run the classifiers on the edge", "delay the meeting to friday",
           "our memory of the incident", "the latest tower firmware", "cover the basics in the doc",
           # no objective at all, said casually: "any placement will do" asks for nothing
           "any layout will do", "whatever placement you pick is ok", "no preference on where things go",
           "do what you think is best", "surprise me", "any reasonable plan works", "just get it deployed",
           "we have no special requirements", "the default plan is fine by us", "nothing in particular")

#: frames around a clause: ticket prefixes, politeness, context.
FRAMES = ("{c}", "{c}", "{c}", "please {c}", "{c} please", "we need to {c}", "for this rollout, {c}",
          "ticket: {c}", "hey, {c}", "{c} for the IDS models", "on the edge switches, {c}", "{c} thx",
          "in the data center, {c}", "goal: {c}", "request: {c}", "could you {c}", "{c} on the core switches")

_KEYBOARD = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class CorpusRow:
    """One generated clause and its label per objective (a CLASSES index).

    Example: CorpusRow("forget about power, minimize delay", {"power": 1, "latency": 4, ...})
    """

    text: str
    labels: dict[str, int]
    masked: str = ""
    degree: int = NO_DEGREE


def _typo(word: str, rng: random.Random) -> str:
    """One random edit (drop, swap, double, substitute) inside a word of 5+ letters."""
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_KEYBOARD) + word[i + 1:]


def _noisy(text: str, rng: random.Random, rate: float) -> str:
    """Typos in some words, sometimes lower-case or no final punctuation (terse chat)."""
    words = [(_typo(w, rng) if rng.random() < rate else w) for w in text.split(" ")]
    text = " ".join(words)
    if rng.random() < 0.3:
        text = text.lower()
    return text


def _clause(objective: str, level: int, rng: random.Random) -> tuple[str, str]:
    """One clause asking for `objective` at `level` (0 = negated), and the same clause with the objective masked."""
    x = rng.choice(PHRASES[objective])
    template = _template(objective, level, rng)
    return template.format(x=x), template.format(x=MASK)


def _template(objective: str, level: int, rng: random.Random) -> str:
    """A clause template with the objective wording left as {x}."""
    x = "{x}"
    if objective == "coverage" and level == 3 and rng.random() < 0.2:
        return rng.choice(COVERAGE_NO)
    plain = rng.choice(PLAIN_MAX if objective in MAXIMISED else PLAIN_MIN).format(x=x)
    if rng.random() < DESCRIBED_SHARE:
        plain = rng.choice(DESCRIBED[objective])
    if level == 0:
        return rng.choice(NEGATE).format(x=x)
    if level == 3:
        return rng.choice(PLAIN_CONTRAST).format(x=x) if rng.random() < 0.25 else plain
    if level == 4:
        if rng.random() < 0.35:
            return rng.choice(SUPERLATIVE_MAX if objective in MAXIMISED else SUPERLATIVE_MIN).format(x=x)
        if rng.random() < 0.35:
            return rng.choice(SUPREME_NOUN).format(x=x)
        return rng.choice(SUPREME).format(c=plain)
    return rng.choice(HEDGE_1 if level == 1 else HEDGE_2).format(c=plain)


def _row(rng: random.Random) -> CorpusRow:
    labels = {o: ABSENT for o in OBJECTIVES}
    kind = rng.random()
    degree = NO_DEGREE
    if kind < 0.1:
        text = masked = rng.choice(CHATTER)
    else:
        count = 1 if kind < 0.7 else 2
        chosen = rng.sample(OBJECTIVES, count)
        parts, masks, levels = [], [], []
        for i, o in enumerate(chosen):
            # plain demands dominate real intents; one supreme objective per row at most (dev set convention)
            level = rng.choices((0, 1, 2, 3, 4), weights=(2, 1, 1.5, 4.5, 2 if i == 0 else 0))[0]
            labels[o] = NEGATED if level == 0 else CLASSES.index(str(level))
            clause, mask = _clause(o, level, rng)
            parts.append(clause)
            masks.append(mask)
            levels.append(level)
        if len(set(levels)) == 1:
            degree = levels[0]
        joiner = rng.choice((", ", "; ", " and ", ". ", " but ", ", while ", " - "))
        text, masked = joiner.join(parts), joiner.join(masks)
        if rng.random() < 0.15:
            extra = rng.choice(CHATTER)
            if rng.random() < 0.5:
                text, masked = f"{text}, {extra}", f"{masked}, {extra}"
            else:
                text, masked = f"{extra}: {text}", f"{extra}: {masked}"
    frame = rng.choice(FRAMES)
    rate = rng.choice((0.0, 0.0, 0.08, 0.2))
    state = rng.getstate()
    noisy = _noisy(frame.format(c=text), rng, rate)
    rng.setstate(state)  # the masked twin gets the same typos in the words it shares
    return CorpusRow(noisy, labels, _noisy(frame.format(c=masked), rng, rate), degree)


def generate_corpus(n: int = 6000, seed: int = SEED) -> list[CorpusRow]:
    """n distinct generated rows (deterministic for a seed)."""
    rng = random.Random(seed)
    rows: dict[str, CorpusRow] = {}
    attempts = 0
    while len(rows) < n and attempts < 20 * n:
        attempts += 1
        row = _row(rng)
        rows.setdefault(row.text.lower().strip(), row)
    return list(rows.values())
