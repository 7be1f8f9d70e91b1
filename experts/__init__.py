"""Planning experts (CP-SAT MIP, heuristics, DRL), their registry, activation and configuration."""
