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

import numpy as np
import scipy.special

from ..network.arrays import identity_tags

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
#: Independent streams: one for edge factors, one for gate factors.
STREAMS = {"edge": 1, "gate": 2}


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


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
    bits = _splitmix64(np.asarray(tags, dtype=np.uint64) ^ key) >> np.uint64(11)
    return (bits.astype(float) + 0.5) * 2.0**-53


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
    return np.exp(sigma * z)
