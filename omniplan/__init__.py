"""OmniPlan core: the shared model that every stage of the pipeline speaks.

Data flows one way: intent -> preference -> experts -> plan -> compiled tables -> switches.
This package holds the vocabulary those stages share (objectives, topology, workload, plan,
evaluation, feasibility) and the command-line entry point.
"""

__version__ = "0.1.0"
