"""Draw a plan on its topology: which device hosts how many MATs of which tasks, which links carry metadata.

Devices sit at their geographic position (longitude, latitude) when the topology knows every
device's position, else on a seeded spring layout, so the picture is stable between runs. Node
colour and the label give the MAT count; links that carry routed dependencies (or ingress legs)
are drawn thick and red, thicker with more metadata load. Uses matplotlib's Agg backend, so it
works without a display.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

from omniplan.plan import Plan
from omniplan.topology import Topology
from omniplan.workload import Workload

#: Task names listed under a device before "+N more".
MAX_TASK_LABELS = 3


def layout(topology: Topology) -> dict[str, tuple[float, float]]:
    if topology.devices and all(d.pos is not None for d in topology.devices):
        return {d.name: (float(d.pos[0]), float(d.pos[1])) for d in topology.devices}  # type: ignore[index]
    import networkx as nx

    return {k: (float(v[0]), float(v[1])) for k, v in nx.spring_layout(topology.graph, seed=7).items()}


def draw_plan(plan: Plan, workload: Workload, topology: Topology, path: str | Path, title: str | None = None) -> Path:
    """Render the plan to ``path`` (format from the suffix, e.g. .png, .svg, .pdf)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import networkx as nx

    pos = layout(topology)
    mats = Counter(plan.placement.values())
    tasks_on: dict[str, list[str]] = defaultdict(list)
    for mid, dev in plan.placement.items():
        task = mid.split("/", 1)[0]
        if task not in tasks_on[dev]:
            tasks_on[dev].append(task)
    load: Counter[tuple[str, str]] = Counter()
    bits_of = {f"{t.name}/{d.src}->{d.dst}": d.bits for t in workload.tasks for d in t.deps}
    for key, route in plan.routes.items():
        for a, b in zip(route, route[1:]):
            load[(a, b) if a <= b else (b, a)] += max(bits_of.get(key, 0), 1)

    g = topology.graph
    fig, ax = plt.subplots(figsize=(11, 7))
    plain = [e for e in g.edges if (min(e), max(e)) not in load]
    used = [e for e in g.edges if (min(e), max(e)) in load]
    nx.draw_networkx_edges(g, pos, edgelist=plain, edge_color="#bbbbbb", width=1.0, ax=ax)
    if used:
        peak = max(load.values())
        widths = [1.5 + 4.0 * load[(min(e), max(e))] / peak for e in used]
        nx.draw_networkx_edges(g, pos, edgelist=used, edge_color="#d62728", width=widths, ax=ax)
    nodes = list(g.nodes)
    colours = [mats.get(n, 0) for n in nodes]
    drawn = nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_color=colours, cmap="viridis",
                                   node_size=[250 + 40 * mats.get(n, 0) for n in nodes], ax=ax,
                                   edgecolors="black", linewidths=0.5)
    labels = {}
    for n in nodes:
        names = tasks_on.get(n, [])
        text = f"{n}\n{mats.get(n, 0)} MATs"
        if names:
            shown = ", ".join(names[:MAX_TASK_LABELS])
            more = f" +{len(names) - MAX_TASK_LABELS}" if len(names) > MAX_TASK_LABELS else ""
            text += f"\n{shown}{more}"
        labels[n] = text
    nx.draw_networkx_labels(g, pos, labels=labels, font_size=6, ax=ax,
                            bbox=dict(facecolor="white", alpha=0.75, edgecolor="none", pad=0.6))
    fig.colorbar(drawn, ax=ax, label="MATs on device", shrink=0.7)
    placed = len(plan.placed_tasks(workload))
    ax.set_title(title or f"{topology.name}: {plan.expert} plan, {placed}/{len(workload.tasks)} tasks, "
                          f"{len(plan.placement)} MATs; red = links carrying routed traffic")
    ax.set_axis_off()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130, format=path.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    return path


def supported_format(path: str | os.PathLike) -> bool:
    """Whether matplotlib can write an image with this file's suffix."""
    from matplotlib.backend_bases import FigureCanvasBase

    suffix = Path(path).suffix.lstrip(".").lower()
    return bool(suffix) and suffix in FigureCanvasBase.get_supported_filetypes()
