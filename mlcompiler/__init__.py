"""Model compiler: trained classifiers -> match-action tables (omniplan.workload.Task + entries).

Pipeline: ``loader`` (skops / our JSON, never pickle) -> ``spec`` (a plain description of the
model) -> ``compiler`` (quantisation + table entries + cost) -> ``replay`` (reference evaluator)
and ``realize`` (plan -> per-switch P4 table entries for p4src/inml.p4).
"""
