"""Analyses on the route graph, each a module over the array engine."""

#: Most routes :func:`borderwatch.k_routes` returns per destination (``routes --k``).
MAX_K = 25
#: A flow share at or below this counts as no flow (rounding noise of summed shares).
FLOW_EPS = 1e-9
