"""NodeRank (Cheng et al., "Virtual network embedding through topology-aware node ranking",
ACM SIGCOMM CCR 41(2), 2011, section 3, equations 6-10 and Algorithm 1).

A Markov random walk over the substrate: a node's resource H(u) = capacity(u) x the bandwidth of
its links; the walker jumps to any node v with probability p_J * H(v)/sum H, or moves to a
neighbour v with probability p_F * H(v)/sum of u's neighbours' H. NodeRank is the walk's
stationary distribution, found by power iteration from NR0(u) = H(u)/sum H.

SPEED's journal version (Liu et al., "Toward Resource-Efficient and High-Performance Program
Deployment in Programmable Networks", IEEE/ACM ToN 2024, the paper's liu2024speed) names its
mapping heuristic NodeRank; that text is not openly available, so this is the published NodeRank
it is named after. Capacity here is a switch's free SRAM (Cheng et al. use CPU).
"""

from __future__ import annotations

from typing import Mapping

import networkx as nx

#: Cheng et al.'s jump / forward probabilities (p_J^u + p_F^u = 1) and convergence threshold.
P_JUMP, P_FORWARD = 0.15, 0.85
EPSILON = 1e-4
#: Power iteration converges in tens of steps on these graphs; the cap only guards odd inputs.
MAX_ITERATIONS = 200


def node_rank(graph: nx.Graph, capacity: Mapping[str, float],
              bandwidth: Mapping[tuple[str, str], float]) -> dict[str, float]:
    """NodeRank of every node of ``graph`` (sums to 1 unless no node has any resource).

    ``capacity[u]`` is the node's resource, ``bandwidth[(u, v)]`` the link's (either direction).
    """
    nodes = list(graph.nodes)
    h = {u: capacity.get(u, 0.0) * sum(bandwidth.get((u, v), bandwidth.get((v, u), 0.0)) for v in graph.neighbors(u))
         for u in nodes}
    total = sum(h.values())
    if total <= 0:
        return dict.fromkeys(nodes, 0.0)
    rank = {u: h[u] / total for u in nodes}
    nbr_h = {u: sum(h[w] for w in graph.neighbors(u)) for u in nodes}
    for _ in range(MAX_ITERATIONS):
        mass = sum(rank.values())
        new = {}
        for v in nodes:
            forward = sum(P_FORWARD * h[v] / nbr_h[u] * rank[u] for u in graph.neighbors(v) if nbr_h[u] > 0)
            new[v] = P_JUMP * h[v] / total * mass + forward
        done = sum(abs(new[u] - rank[u]) for u in nodes) < EPSILON
        rank = new
        if done:
            break
    return rank
