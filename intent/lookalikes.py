"""Look-alike sentences: objective words in a sense that asks nothing of the network placement.

WHY: on the last four independent held-out sets the weakest family was the "trap", and half of its
misses are the lexicon firing on an objective's word used in another sense: "our power users want a
dashboard", "the coverage report for the unit tests dropped", "the throughput of our hiring pipeline",
"a coordination meeting on Thursday", "our team's bandwidth is limited this sprint". A word list of such
senses cannot be complete; the relevance head (intent/head.py, trained by `python -m intent.train`)
reads the whole clause's MiniLM embedding and says whether it asks something of the network placement
at all, so a new off-topic context ("the power of our brand") is caught by its topic, not its words.

The rows here are generated for this module by crossing written phrases with written frames: off-topic
phrases that use an objective's word in an office / people / documentation / meeting / software-testing /
finance / everyday sense (label OFF_TOPIC), and, in the same frames, phrases that use the same words about
the switches, links, flows and models (label ON_TOPIC), so that the head has to read the context and not
the frame or the word. None is copied from an evaluation set (tests/test_intent_round10.py checks that).
The generated corpus (intent/corpus.py) and the burned hand-written sets add the bulk of on-topic clauses.
"""

from __future__ import annotations

import random
import re

#: label of a clause that asks something of the network placement / that does not.
ON_TOPIC, OFF_TOPIC = 0, 1

#: noun phrases using an objective's word (or a lexicon synonym) in a sense that is not the network's.
OFF_NOUNS: tuple[str, ...] = (
    # power / energy
    "the power users on the analytics team", "the power of our brand", "the power point deck for the board",
    "the power dynamics in the team", "the horsepower of the company van", "the power of attorney form",
    "the energy in the team after the reorg", "the energy at the offsite", "the power outage drill at the office",
    "the power strip under my desk", "the electricity bill of the canteen", "the energy drink budget",
    "the power steering of the delivery truck", "the willpower of the new hires",
    # resources / memory / state
    "the resources page on the intranet", "the human resources portal", "the learning resources for new hires",
    "the resource plan for the marketing project", "the resources section of the onboarding guide",
    "the memory of the old office", "my memory of that meeting", "the memory leak in the HR app",
    "the state of the kitchen", "the storage closet on the third floor", "the office footprint in Berlin",
    "the space in the meeting room", "the table reservations for the team dinner", "the memory foam chairs",
    # throughput / bandwidth / capacity
    "the throughput of our hiring pipeline", "the throughput of the code review queue", "our team's bandwidth",
    "my bandwidth this week", "the bandwidth of the support desk", "the capacity of the meeting room",
    "the volume of support tickets", "the rate of new signups", "the load on the helpdesk staff",
    "the throughput of the recruiting funnel", "the bandwidth of the product managers", "the pace of the audit",
    "the traffic on the company blog", "the traffic on the highway to the office",
    # latency / delay / speed
    "the latency of the ticket queue", "the delay of the shipment", "the response time of the help desk",
    "the lag in the approval process", "the delay in the payroll run", "the speed of the purchasing process",
    "the turnaround time of the legal team", "the wait for the new laptops", "the slow coffee machine",
    "the response time of the vendor's sales rep", "the delay of the quarterly report", "the lag on the video call",
    # coordination
    "the coordination meeting with facilities", "the coordination of the team offsite", "the coordination with legal",
    "the handoff between the day and night shift", "the sync with the vendor's account manager",
    "the metadata in the spreadsheet", "the shared calendar of the ops team", "the split of the budget between teams",
    # hops / paths
    "the hop from staging to production", "the hops in the craft beer", "the hip hop playlist in the lab",
    "the career path for junior engineers", "the route of the company shuttle", "the bus route to the campus",
    "the path to promotion", "the walk between the two buildings", "the detour around the construction site",
    "the journey of our customers through the web shop",
    # coverage / inspection / classification
    "the test coverage of the billing service", "the coverage report for the unit tests", "the insurance coverage",
    "the press coverage of the launch", "the on-call coverage over the holidays", "the code coverage badge",
    "the news coverage of the outage", "the smoke detectors in the hallway", "the inspection of the fire extinguishers",
    "the classification of the archive documents", "the mobile coverage in the basement", "the health coverage plan",
)

#: verb phrases in a sense that is not the network's.
OFF_VERBS: tuple[str, ...] = (
    "hop on a call with me", "hop over to the other building", "schedule a coordination meeting for Thursday",
    "coordinate with the facilities team about the desks", "cover for me at the standup", "cover the front desk",
    "power through the backlog of tickets", "power down the projector in room 4", "speed up the hiring process",
    "delay the offsite by a week", "free up some time in my calendar", "split the team into two squads",
    "reduce the latency of the ticket queue", "cut the delay in the expense approvals", "raise the throughput of the interviews",
    "increase the coverage of the unit tests", "improve the test coverage", "minimise the hops in the approval chain",
    "save energy for the quarterly review", "keep the memory of the project alive", "classify the receipts by month",
    "inspect every invoice before payment", "shorten the route of the delivery van", "lower the power bill of the office kitchen",
    "boost the bandwidth of the recruiting team", "cut the lag in onboarding", "route the ticket to the billing team",
)

#: the same kinds of phrases about the switches, links, flows and models: these ask something of the placement.
ON_NOUNS: tuple[str, ...] = (
    "the power draw of the racks", "the power bill for the switches", "the energy use of the fabric",
    "the electricity the leaf switches pull", "the wattage of the spine layer", "the heat from the switch racks",
    "the memory on the switches", "the TCAM usage of the models", "the table space on each ASIC",
    "the pipeline stages the forest takes", "the SRAM footprint of the classifier", "the state kept on the chip",
    "the throughput of the fabric", "the bandwidth on the uplinks", "the packet rate at the core",
    "the traffic volume the classifiers handle", "the line rate of the border switches", "the load on the spine switches",
    "the latency of the classifier", "the delay per packet", "the response time of the detector",
    "the time to a verdict", "the lag before each flow is scored", "the inference delay on the leaves",
    "the coordination between the switches", "the metadata passed between devices", "the state sync across the fabric",
    "the handoff of partial results between switches",
    "the hops to the classifier", "the path length of the flows", "the number of switches a packet crosses",
    "the detour through the core", "the route packets take to the model",
    "the coverage of the detectors", "the share of flows classified", "the fraction of traffic inspected",
    "the number of tasks placed on the switches", "the flows that never get a verdict",
)

#: people and offices asking something of the network (on-topic although the clause talks about teams, money
#: or reports): the head must not veto an ask because an office is its subject.
ON_ASKS: tuple[str, ...] = (
    "the finance team wants the power bill of the switches down", "the sustainability office wants the racks to draw less",
    "the security analysts want broad coverage of the flows", "the cdn team needs more of the video flows classified",
    "management complains that the verdicts from the classifier come too late", "the trading desk needs lower latency from the detector",
    "our customers say the fabric drops packets at peak", "the facilities team reports the switch racks run hot",
    "the auditors want every tenant's traffic inspected", "the platform team asks for fewer hops to the model",
    "the network team says the tables on the leaves are full", "the sre team wants the models kept on one switch each",
    "the gaming customers complain about lag from the inference", "the product owner wants the fabric to carry more traffic",
    "the compliance report says too many flows go unclassified", "the energy report flags the spine switches",
)

#: people and offices in clauses that ask nothing of the network although they name a network team or device.
OFF_ASKS: tuple[str, ...] = (
    "the network team's coordination meeting moved to friday", "the datacenter team wants more people on the rota",
    "the noc needs better coverage of the night shift", "the switch vendor's sales rep is slow to answer emails",
    "the spine upgrade project needs more budget and more bandwidth from the architects",
    "the core team's throughput of change requests is low", "the ops wiki's resources section needs a cleanup",
    "the power users of the monitoring dashboard want dark mode", "the hop from the old ticket system to the new one is next month",
    "the latency of the vendor's support line is awful", "the memory of last year's outage still shapes the runbook",
)

ON_VERBS: tuple[str, ...] = (
    "cut the power draw of the switches", "reduce the hops to the classifier", "keep the models on one switch each",
    "cover every flow with a model", "speed up the verdicts", "free up memory on the switches",
    "reduce the latency of the inference", "raise the throughput of the fabric", "increase the coverage of the detectors",
    "minimise the hops between ingress and the model", "save energy in the racks", "classify every flow",
    "inspect more of the traffic", "shorten the path to the classifier", "lower the power bill of the data centre",
    "boost the bandwidth on the core links", "cut the lag before a flow gets scored", "use less TCAM on the leaves",
)

#: frames for a noun phrase: statements, complaints, requests and questions, in tickets and chat.
NOUN_FRAMES: tuple[str, ...] = (
    "{n} is outdated, can someone update it?", "{n} dropped last week", "{n} is terrible this quarter",
    "please look at {n}", "{n} needs attention", "can we improve {n}?", "we need to fix {n}",
    "who owns {n}?", "{n} came up in the retro", "{n} is a problem again", "{n} is limited this sprint",
    "reduce {n}", "{n} is way too high", "{n} is too low", "ticket: {n}", "fyi {n} changed",
    "management complains about {n}", "{n} keeps getting worse", "{n} matters to us", "keep an eye on {n}",
    "{n} was discussed on Monday", "I am worried about {n}", "{n}, please", "improve {n} before the launch",
)

VERB_FRAMES: tuple[str, ...] = (
    "please {v}", "can you {v} tomorrow?", "{v}, I'm out", "I need someone to {v}", "{v} before Friday",
    "could you {v}?", "we should {v}", "{v} asap", "let's {v}", "{v} this week", "someone needs to {v}",
)


#: frames for a whole statement.
STATEMENT_FRAMES: tuple[str, ...] = (
    "{s}", "fyi, {s}", "{s}, please handle it", "heads up: {s}", "{s}; can you look into it?", "ticket: {s}",
    "as discussed, {s}", "{s} this quarter",
)


def generate_lookalikes(seed: int = 11, per_phrase: int = 4) -> list[tuple[str, int]]:
    """(clause, label) rows: every phrase in `per_phrase` random frames; deterministic for a seed."""
    rng = random.Random(seed)
    out = []
    for phrases, frames, label in ((OFF_NOUNS, NOUN_FRAMES, OFF_TOPIC), (ON_NOUNS, NOUN_FRAMES, ON_TOPIC),
                                   (OFF_VERBS, VERB_FRAMES, OFF_TOPIC), (ON_VERBS, VERB_FRAMES, ON_TOPIC),
                                   (OFF_ASKS, STATEMENT_FRAMES, OFF_TOPIC), (ON_ASKS, STATEMENT_FRAMES, ON_TOPIC)):
        key = re.search(r"\{\w\}", frames[0]).group(0)
        for phrase in phrases:
            for frame in rng.sample(frames, min(per_phrase, len(frames))):
                out.append((frame.replace(key, phrase).lower(), label))  # clauses are read lower-case
    return out


__all__ = ["OFF_TOPIC", "ON_TOPIC", "generate_lookalikes"]
