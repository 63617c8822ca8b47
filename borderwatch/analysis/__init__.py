"""Analyses on the route graph, each a module over the array engine."""

#: Most routes :func:`borderwatch.k_routes` returns per destination (``routes --k``).
MAX_K = 25
