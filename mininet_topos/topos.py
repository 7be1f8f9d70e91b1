"""Mininet custom file: ``mn --custom mininet_topos/topos.py --topo abilene --switch omni --controller none``.

Topologies come from ``omniplan.topology`` (so names and links agree with the planner):
``abilene``, ``abvt``, ``fattree4``, ``line3`` / ``line,5``, ``detour`` (mininet_topos/detour.py),
and any Topology Zoo name via ``--topo zoo,Geant2012``; arguments after the name:
``hosts=1,switches=N,delay_scale=1,max_delay_ms=10``.
Switch kinds for ``--switch``: ``omni`` (our P4Runtime software switch), ``ipbridge`` (kernel
bridge, plain L2), ``bmv2`` (BMv2 simple_switch_grpc running the p4c-compiled inml.p4).

``/usr/bin/mn`` runs under the system Python, which lacks our dependencies (networkx, topohub);
when they are missing we add the repository and its ``.venv`` site-packages (same CPython minor
version) to ``sys.path``. Names here start with ``_`` because mn copies every global of this file
into its own namespace.
"""

import inspect as _inspect
import os as _os
import sys as _sys

_here = _os.path.dirname(_os.path.abspath(_inspect.currentframe().f_code.co_filename))
_repo = _os.path.dirname(_here)
if _repo not in _sys.path:
    _sys.path.insert(0, _repo)
try:
    import networkx as _nx  # noqa: F401
except ImportError:
    _site = _os.path.join(_repo, ".venv", "lib", f"python{_sys.version_info[0]}.{_sys.version_info[1]}", "site-packages")
    if _os.path.isdir(_site):
        _sys.path.append(_site)

from mininet_topos.nodes import SWITCH_CLASSES as _SWITCH_CLASSES  # noqa: E402
from mininet_topos.topo import topo_for as _topo_for  # noqa: E402


def _named(name):
    return lambda *args, **kwargs: _topo_for(name, *args, **kwargs)


def _line(n=3, *args, **kwargs):
    return _topo_for(f"line{int(n)}", *args, **kwargs)


topos = {
    "abilene": _named("Abilene"),
    "abvt": _named("Abvt"),
    "fattree4": _named("fattree4"),
    "fattree": lambda k=4, *a, **kw: _topo_for(f"fattree{int(k)}", *a, **kw),
    "line": _line,
    "line3": _named("line3"),
    "line5": _named("line5"),
    "detour": _named("detour"),
    "zoo": lambda name, *a, **kw: _topo_for(name, *a, **kw),
}

switches = dict(_SWITCH_CLASSES)
