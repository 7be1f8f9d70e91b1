"""Effect prototypes: short descriptions of what each objective's problem looks like from the outside.

WHY: six independent held-out sets showed that the family that transfers worst is the "trap": an
objective described by its symptom, a complaint or a metaphor ("the racks are an oven", "answers show
up after the damage is done", "the model lives in pieces on three boxes") instead of by its name. The
lexicon cannot list every such wording and the objective head only fires when very confident (fusion.py
PARAPHRASE_CONFIDENCE). These prototypes give a second, independent kind of evidence: the similarity of a
clause in which the lexicon named nothing to the symptoms of one objective, against the symptoms of the
others and against ordinary operator requests that ask for none of the seven (NONE: security, money,
maintenance, a model's name), so that only a clause clearly nearer one objective's symptoms counts.

Every line here was written for this module: generic symptoms, none copied from an evaluation set
(tests/test_intent_round7.py checks that none is in a hand-written set). The embeddings are computed by
`python -m intent.train` and shipped in intent/data/effect_prototypes.npz, so loading costs no encoder pass.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from typing import Sequence

from intent.corpus import ABSENT, CorpusRow
from omniplan.objectives import OBJECTIVES

#: objective -> symptom descriptions (complaints, effects, metaphors), none naming the objective's usual words.
EFFECTS: dict[str, tuple[str, ...]] = {
    "power": (
        "the server room is an oven", "the racks are roasting", "the switches run hot all day",
        "the cooling units cannot keep up with the heat", "the noise from the cooling is deafening", "the fans never stop spinning",
        "the electricity bill is out of control", "the data centre is burning money on the meter",
        "the facility keeps tripping its breakers", "the site is near the limit of its electrical feed",
        "the boxes sit there humming at full tilt doing nothing", "idle switches stay lit all night",
        "the hardware should sip, not guzzle", "run the gear cooler and quieter",
        "we are asked to go green with the fabric", "the facilities team says the switches draw too much",
        "the batteries at the remote site drain too quickly", "the solar-powered site has little to spare",
        "the kilowatt meter keeps climbing", "the heat coming off the racks is unbearable",
        "the air conditioning works overtime because of the switches", "the chassis are too hot to touch",
        "the sustainability report flags the switch layer", "the energy budget for the pod is exhausted",
        "put unused ports and boxes to sleep", "the thermal alarms keep going off",
    ),
    "resources": (
        "the chip is bursting at the seams", "the switch has no room left for new rules",
        "the tables are crammed", "we are out of space on the ASIC", "every stage of the pipeline is taken",
        "the program barely fits on the target", "new entries get rejected because the tables are full",
        "the forwarding rules are being squeezed out", "the hardware is packed to the brim",
        "the on-chip memory is almost exhausted", "the compiler complains the program does not fit",
        "the switch keeps running out of room for entries", "keep the footprint on each chip small",
        "the model takes up too much of the device", "make the model leaner so it fits",
        "leave space for the routing and ACL tables", "the ternary tables are overflowing",
        "the register arrays are already fully allocated", "slim down what each switch has to hold",
        "the boxes are crowded with our tables", "a lighter footprint on the hardware",
        "the allocation on the data plane is maxed out", "the device is nearly out of capacity for state",
    ),
    "throughput": (
        "the boxes gasp when a traffic surge hits", "the classifier cannot keep pace with the flood of packets",
        "packets pile up and get dropped at peak", "the fabric falls over under heavy load",
        "the nightly bulk transfer overwhelms the boxes", "the links are fast but the inference holds them back",
        "traffic backs up behind the model", "the queues overflow when the big jobs run",
        "we lose packets whenever volume climbs", "the pipeline is a bottleneck for the flood of traffic",
        "move more packets per second through the same hardware", "the boxes must absorb much bigger bursts",
        "carry more gigabits without stalling", "the video streams stutter because packets are dropped",
        "handle the rush hour without shedding traffic", "the backbone cannot sustain the offered load",
        "the switches should swallow the full volume", "keep traffic flowing at full rate",
        "the fabric should push through far more traffic", "drops at peak are killing us",
    ),
    "latency": (
        "the result is ready only when it no longer helps", "the detection comes too late to block anything",
        "the warning comes when it is no longer useful", "the decisions show up too late to matter",
        "users notice a lag on every request", "the verdict takes ages", "each packet waits too long for a decision",
        "the reaction time of the classifier is too slow", "responses feel sluggish",
        "the predictions come back late", "by the time the model answers it is useless",
        "gamers complain about lag", "the trading desk needs answers before the market moves",
        "speed up how quickly each packet is judged", "shorten the wait before the verdict",
        "the classification should happen in the blink of an eye", "the round trip to the model is too long",
        "every millisecond of delay costs us", "the decision should be near-instant",
        "the voice calls get choppy because packets are delayed", "the time to decide per flow is too long",
    ),
    "coordination": (
        "a model is chopped into pieces across several boxes", "the switches keep talking to each other to finish one decision",
        "the pieces of one model are scattered over the fabric", "a forest must not be shared between devices",
        "keep every classifier in one place", "the devices spend their time handing results to each other",
        "intermediate results ride along in the packet from box to box", "too much state is passed between devices",
        "the model should not depend on a neighbouring switch", "one box should be able to decide on its own",
        "the split model needs constant back-and-forth", "each packet carries scratch data from one device's stages to another's",
        "stop carrying partial answers in the packet across switches", "a single switch per model, never shared",
        "the decision should not be spread over the fabric", "the boxes gossip too much about each model",
        "the handoff between devices adds bytes to every packet", "keep each model self-contained on its switch",
        "do not cut the models into fragments", "the model must stay in one piece",
    ),
    "hops": (
        "packets take a winding road through the fabric", "the traffic zigzags across the network",
        "flows travel through too many boxes", "the path to the model is far too long in switches",
        "traffic makes a detour through the core", "packets visit half the fabric before they are scored",
        "put the classifier nearer to where traffic enters", "the route to the classifier is roundabout",
        "traffic takes the long way around", "traffic is relayed by device after device",
        "keep the journey through the network short", "the number of boxes a flow passes is too high",
        "flows go up to the spine and back for no reason", "the path keeps bouncing through extra devices",
        "the traffic should reach the model in as few steps as possible", "each packet passes through too many devices",
        "cut out the extra stops along the way", "place the model closer so packets travel less",
        "the packets should not ping-pong between layers", "a straighter route through the switches",
    ),
    "coverage": (
        "some flows go unexamined", "a lot of traffic is never looked at by a model", "tenants are left unprotected",
        "some sessions are never inspected", "part of the traffic stays invisible to the classifier",
        "attacks get through because nobody inspects those flows", "some requested tasks never get placed",
        "half the tenants have no detector at all", "traffic flows through without ever being checked",
        "there are blind spots in the inspection", "no tenant should go unwatched",
        "the classifier only sees a fraction of the flows", "a share of the flows is never given a class",
        "deploy the models for everyone who asked", "every tenant should be watched",
        "nothing should pass by unchecked", "the unscored traffic is a risk", "more of the flows should be judged",
        "we cannot afford gaps in detection", "all of the requested models should run somewhere",
        "some flows never see a classifier",
    ),
}

#: ordinary operator requests that name none of the seven objectives: a clause nearer these than any
#: objective's symptoms adds nothing (security, money, maintenance, documentation, model quality, access).
NONE: tuple[str, ...] = (
    "nobody outside may tamper with the rules", "use TLS between controller and switches", "harden the switches against attacks",
    "only admins may change the tables", "keep an audit log of every change", "rotate the certificates",
    "stay within the approved spend", "the capex is limited", "the licence costs too much",
    "the quote from the vendor is too high", "turn the boxes off and on again and restart the service",
    "reboot the spine before the maintenance window", "redo the rollout once the inventory is fixed",
    "the details in the request were wrong", "update the topology file", "upgrade the firmware first",
    "roll back to the previous version", "we must be able to explain every decision",
    "document the deployment for the auditors", "fewer false positives from the detector",
    "retrain the classifier on fresh data", "the predictions should be more accurate",
    "the dashboard should show the status", "send me a report when it is done", "the change needs approval from the CAB",
    "schedule the rollout for next week", "name the models after the tenants", "keep the config in git",
    "keep running when a link goes down", "survive the loss of a switch",
    "comply with the data protection rules", "the logs should be kept for a year", "thanks for the help",
    "this is for the new customer", "the tenant is a bank", "the deployment is in the Frankfurt site",
    "we had a meeting about it yesterday", "the previous ticket was closed", "hello team",
    "let me know if you have questions", "it is the same as last time", "use the usual topology",
    "the flows come from the web tier", "the models are random forests", "the detection is for DDoS",
)


PROTOTYPES = Path(__file__).resolve().parent / "data" / "effect_prototypes.npz"
#: a clause counts as describing an objective's effect only at this cosine similarity to one of its
#: prototypes or above ...
EFFECT_SIMILARITY = 0.5
#: ... and when that is this much above the nearest prototype of any other objective or of NONE.
EFFECT_MARGIN = 0.03
#: ... and when the objective head, on the same clause, gives the objective at least this presence
#: probability (two kinds of evidence agreeing; the head alone needs fusion.PARAPHRASE_CONFIDENCE).
#: All three chosen in round 7 by the leave-one-set-out mean over the seven writer folds (bench/intent_loso.py),
#: among 10 settings (similarity 0.45-0.6, margin 0-0.05, agreement 0.2-0.5); README.md lists the rejected ones.
EFFECT_AGREEMENT = 0.4


def described(effect: tuple[str | None, float, float]) -> bool:
    """Whether a nearest-prototype reading (class, similarity, margin) is clear enough to count."""
    return effect[1] >= EFFECT_SIMILARITY and effect[2] >= EFFECT_MARGIN


def prototype_texts() -> tuple[list[str], np.ndarray]:
    """Every prototype sentence and its class (index into OBJECTIVES; -1 for NONE)."""
    texts = [t for o in OBJECTIVES for t in EFFECTS[o]] + list(NONE)
    labels = [j for j, o in enumerate(OBJECTIVES) for _ in EFFECTS[o]] + [-1] * len(NONE)
    return texts, np.array(labels, dtype=np.int64)


@dataclass(frozen=True)
class EffectPrototypes:
    """Unit vectors of the prototypes and their classes; `nearest` says which objective a clause describes.

    Example: EffectPrototypes(vectors, labels).nearest(clause_vectors) -> [("power", 0.71, 0.12), (None, 0.4, 0.0)]
    """

    vectors: np.ndarray  # (prototypes, 384), unit length
    labels: np.ndarray   # (prototypes,), index into OBJECTIVES or -1

    def nearest(self, clause_vectors: np.ndarray) -> list[tuple[str | None, float, float]]:
        """Per clause: (the class of the most similar prototype, that similarity, its margin over the best
        prototype of any other class); the class is None when it is NONE."""
        # einsum, not @: a product this size wakes a second BLAS thread, which on a busy 2-core box waits for a
        # time slice (5 ms per call measured, against 0.03 ms for einsum's single-threaded loop)
        sims = np.einsum("ij,kj->ik", np.asarray(clause_vectors, dtype=np.float32), self.vectors)
        classes = list(range(len(OBJECTIVES))) + [-1]
        best = np.stack([sims[:, self.labels == c].max(axis=1) if (self.labels == c).any()
                         else np.full(len(sims), -np.inf, dtype=np.float32) for c in classes], axis=1)
        order = np.argsort(-best, axis=1)
        out = []
        for row, (first, second) in enumerate(order[:, :2]):
            c = classes[first]
            out.append((OBJECTIVES[c] if c >= 0 else None, float(best[row, first]),
                        float(best[row, first] - best[row, second])))
        return out

    @classmethod
    def build(cls, encoder, rows: Sequence[CorpusRow] = ()) -> "EffectPrototypes":
        """The written prototypes plus the objective rows of the hand-written sets (intent/handwritten.py):
        a clause that names one objective the lexicon missed is a prototype of it, a blank clause of an
        intent whose objectives the lexicon all found is a NONE prototype; rows naming several are skipped."""
        texts, labels = prototype_texts()
        texts, labels = list(texts), list(labels)
        for row in rows:
            if all(v == -1 for v in row.labels.values()):
                continue  # a degree row: the objective head is not consulted on it
            present = [j for j, o in enumerate(OBJECTIVES) if row.labels[o] != ABSENT]
            if len(present) <= 1:
                texts.append(row.text)
                labels.append(present[0] if present else -1)
        return cls(encoder.encode(texts), np.array(labels, dtype=np.int64))

    @classmethod
    def load(cls, path: Path = PROTOTYPES) -> "EffectPrototypes | None":
        try:
            data = np.load(path)
            return cls(data["vectors"].astype(np.float32), data["labels"].astype(np.int64))
        except (OSError, KeyError, ValueError):
            return None

    def save(self, path: Path = PROTOTYPES) -> None:
        np.savez_compressed(path, vectors=self.vectors.astype(np.float16), labels=self.labels)


@functools.lru_cache(maxsize=1)
def effect_prototypes() -> EffectPrototypes | None:
    """The shipped prototypes, loaded once per process (None when the file is missing: the mechanism is off)."""
    return EffectPrototypes.load()
