"""Random draws of the ensemble: counter-based, keyed by seed, sample index and the thing drawn for.

The cost factor of edge ``e`` in sample ``s`` is a pure function of
``(seed, s, tag(e))``, where ``tag`` hashes the edge's identity ``(u, v,
key)`` (:attr:`~borderwatch.network.arrays.GraphArrays.edge_tag`); a gate's
factor of ``(seed, s, tag(gate_id))``.  Hence:

- **any split of the samples gives the same result**: sample 117 draws the
  same numbers whether it runs first, last, alone or on another worker;
- **common random numbers**: two scenarios on the same graph (or on graphs
  that share edges, such as a season rebuilt with other speeds) draw the same
  factor for every edge and gate they share, so a difference between them is
  the edit's effect, not sampling noise.  Closing a gate changes nothing in
  a sample whose routes did not use it.

A uniform number comes from SplitMix64 (Steele, Lea & Flood 2014) of the
mixed key, a normal one from its inverse CDF (:func:`scipy.special.ndtri`),
so a factor is log-normal with median 1 and log-sd ``sigma`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.special

from ..network.arrays import GraphArrays, identity_tags

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Independent streams: one for edge factors, one for gate factors.
STREAMS = {"edge": 1, "gate": 2}


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def sample_key(seed: int, sample: int, stream: str) -> np.uint64:
    """Return the 64-bit key of one sample's draws in one stream.

    Parameters
    ----------
    seed
        The ensemble seed (>= 0).
    sample
        The sample index (>= 0).
    stream
        A name of :data:`STREAMS`.

    Returns
    -------
    numpy.uint64
    """
    tag = identity_tags([f"{int(seed)}:{int(sample)}:{STREAMS[stream]}"])
    return _splitmix64(tag)[0]


def uniforms(tags: np.ndarray, key: np.uint64) -> np.ndarray:
    """One uniform number in (0, 1) per tag, for one sample's key.

    Parameters
    ----------
    tags
        ``uint64`` identity tags.
    key
        :func:`sample_key`.

    Returns
    -------
    numpy.ndarray
    """
    bits = _splitmix64(np.asarray(tags, dtype=np.uint64) ^ key)
    bits >>= np.uint64(11)
    u = bits.astype(float)
    u += 0.5
    u *= 2.0**-53
    return u


def lognormal_factors(tags: np.ndarray, *, seed: int, sample: int, stream: str, sigma: float) -> np.ndarray:
    """Log-normal factors (median 1, log-sd ``sigma``), one per tag, for one sample.

    Parameters
    ----------
    tags
        ``uint64`` identity tags (edges or gates).
    seed, sample
        Ensemble seed and sample index.
    stream
        ``"edge"`` or ``"gate"``.
    sigma
        Log-sd (>= 0; 0 gives ones).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> from borderwatch.network.arrays import identity_tags
    >>> tags = identity_tags(["a", "b", "c"])
    >>> f = lognormal_factors(tags, seed=1, sample=0, stream="edge", sigma=0.25)
    >>> bool((f == lognormal_factors(tags[::-1], seed=1, sample=0, stream="edge", sigma=0.25)[::-1]).all())
    True
    """
    if sigma == 0:
        return np.ones(len(tags))
    z = scipy.special.ndtri(uniforms(tags, sample_key(seed, sample, stream)))
    z *= sigma
    return np.exp(z, out=z)


@dataclass(frozen=True)
class GateDraws:
    """Where each edge's gate factor comes from: a tag per gate, each edge's gate (-1: none), the gates' edges."""

    gate_ids: np.ndarray
    tags: np.ndarray
    on_gate: np.ndarray
    edges: np.ndarray

    @classmethod
    def of(cls, arrays: GraphArrays) -> GateDraws:
        """Return the gates of an array view (sorted ids) and each edge's gate index, computed once per graph.

        No cost changes them, so they are kept in ``arrays.structure``, which every view of the graph shares.
        """
        key = ("gate_draws",)
        if key not in arrays.structure:
            gate_ids = np.array(sorted(set(arrays.gate_id[arrays.crossing == "gate"])), dtype=object)
            index = {g: i for i, g in enumerate(gate_ids)}
            on_gate = np.array([index.get(g, -1) for g in arrays.gate_id], dtype=np.int64)
            arrays.structure[key] = cls(
                gate_ids=gate_ids,
                tags=identity_tags([f"gate:{g}" for g in gate_ids]),
                on_gate=on_gate,
                edges=np.flatnonzero(on_gate >= 0),
            )
        return arrays.structure[key]


def cost_factors(
    arrays: GraphArrays,
    *,
    seed: int,
    sample: int,
    sigma_edge: float,
    sigma_gate: float,
    edges: np.ndarray | None = None,
) -> np.ndarray:
    """Return every edge's cost factor in one ensemble sample: its own draw times its gate's.

    The one definition of a sample's costs (``arrays.cost * factor``) that the
    ensemble, the stochastic interdiction and the calibration share.

    Parameters
    ----------
    arrays
        The array view.
    seed, sample
        Ensemble seed and sample index.
    sigma_edge, sigma_gate
        Log-sd of the per-edge and the per-gate factors.
    edges
        Only these edges' factors (indices; the same values as in the full array).

    Returns
    -------
    numpy.ndarray
        One factor per edge (or per one of ``edges``).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("a", "b", cost=2.0)
    >>> f = cost_factors(GraphArrays.from_graph(G), seed=1, sample=0, sigma_edge=0.0, sigma_gate=0.3)
    >>> f.tolist()  # no gate, no edge noise
    [1.0]
    """
    tags = arrays.edge_tag if edges is None else arrays.edge_tag[edges]
    factor = lognormal_factors(tags, seed=seed, sample=sample, stream="edge", sigma=sigma_edge)
    gates = GateDraws.of(arrays)
    if sigma_gate > 0 and len(gates.gate_ids):
        per_gate = lognormal_factors(gates.tags, seed=seed, sample=sample, stream="gate", sigma=sigma_gate)
        at = gates.edges if edges is None else np.flatnonzero(gates.on_gate[edges] >= 0)
        on = gates.on_gate[gates.edges] if edges is None else gates.on_gate[edges][at]
        factor[at] *= per_gate[on]
    return factor
