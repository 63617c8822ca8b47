"""Is the top of the gate ranking the same under other random seeds?  Run the ensemble until it is.

The ranking's ensemble components (usage probability, and the rank
intervals) come from random cost draws, so a ranking from one seed can put
two close gates in the other order than another seed would.
:func:`ranking_stability` ranks the gates under ``seeds`` seeds (the
scenario's seed, then the next ones) with the scenario's number of samples;
when their top ``top`` gates differ in membership or order it doubles the
samples of every seed and ranks again, up to ``max_samples``.  The criterion
is strict: the same gates in the same order under every seed.  It reports
the samples it took, the seed-to-seed agreement at every step (gates shared,
positions identical, Kendall's tau over the union), or that it has not
converged.  Everything that does not depend on the draws (least-cost flow,
criticality, the minimum cut, the circuit) is computed once and shared.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.stats

from ..doors import require
from ..errors import ParameterError
from ..scenario import Scenario, as_scenario
from .chokepoints import Chokepoints, chokepoint_metrics
from .ensemble import extend, flow_ensemble
from .ranking import RANKED, GateRanking, rank_gates

#: The most ensemble samples per seed (the profile's cap on ``[ensemble] samples``).
MAX_SAMPLES = 100_000


@dataclass
class RankingStability:
    """Result of :func:`ranking_stability`.

    Attributes
    ----------
    converged
        The top ``top`` gates were the same, in the same order, under every seed.
    samples
        Samples per seed at the last step (where it converged, or the cap).
    seeds
        The seeds compared (the first is the scenario's).
    top
        How many top gates must agree.
    criterion
        The rule, in words.
    tops
        One column per seed: the gate ids at ranks 1..``top`` at the last step.
    history
        One row per step: ``samples``, ``stable``, ``same_members`` (the same
        top gates under every seed, in any order), ``min_shared`` (fewest top
        gates two seeds share), ``min_same_position`` (fewest ranks on which
        two seeds name the same gate) and ``min_kendall_tau`` (lowest
        Kendall's tau of two seeds' ranks over the union of their tops).
    ranking
        The ranking under the first seed at ``samples`` samples.
    chokepoints
        Its chokepoint metrics.
    """

    converged: bool
    samples: int
    seeds: tuple[int, ...]
    top: int
    criterion: str
    tops: pd.DataFrame
    history: pd.DataFrame
    ranking: GateRanking
    chokepoints: Chokepoints

    def summary(self) -> str:
        """One line: converged or not, the samples it took and the last agreement."""
        last = self.history.iloc[-1]
        state = "stable" if self.converged else "NOT stable (not converged)"
        return (
            f"top {self.top} {state} under seeds {', '.join(map(str, self.seeds))} at {self.samples} samples "
            f"per seed; fewest shared {int(last['min_shared'])}/{self.top}, same position "
            f"{int(last['min_same_position'])}/{self.top}, Kendall tau >= {last['min_kendall_tau']:.2f}"
        )


def ranking_stability(
    scenario: Scenario,
    *,
    top: int = 15,
    seeds: int = 3,
    max_samples: int | None = None,
    incidents: str | Path | pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RankingStability:
    """Rank the gates under several seeds, doubling the samples until the top ``top`` agree.

    Parameters
    ----------
    scenario
        A :class:`~borderwatch.Scenario`; its ``samples`` are the first step,
        its ``seed`` the first seed (the others follow it: seed + 1, ...).
    top
        How many top gates must agree (membership and order).
    seeds
        How many seeds to compare (>= 2).
    max_samples
        The most samples per seed to try (default four times the scenario's,
        capped at the profile's 100,000).
    incidents
        As :func:`~borderwatch.analysis.ranking.rank_gates`.
    progress
        Called as ``progress(done, total)`` after each ensemble sample of each seed.

    Returns
    -------
    RankingStability

    Raises
    ------
    ParameterError
        Not a scenario or graph, a wrong type, ``top`` < 1, ``seeds`` other
        than 0 or >= 2, or ``max_samples`` below the scenario's samples.

    Examples
    --------
    >>> import networkx as nx
    >>> from borderwatch import Scenario
    >>> G = nx.MultiDiGraph()
    >>> for u, v, c, g in [("o", "t", 1.0, "A"), ("o", "t", 1.2, "B"), ("o", "t", 9.0, "C")]:
    ...     _ = G.add_edge(u, v, cost=c, gate_id=g)
    >>> result = ranking_stability(Scenario.from_graph(G, origin="o", destinations=["t"], samples=20), top=2)
    >>> result.converged, result.tops.iloc[0].tolist()
    (True, ['A', 'A', 'A'])
    """
    sc = as_scenario(scenario, what="ranking_stability")
    require(incidents, (str, Path, pd.DataFrame, None), where="ranking_stability", name="incidents")
    require(progress, (callable, None), where="ranking_stability", name="progress")
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ParameterError(f"top must be an integer >= 1, got {top!r}")
    samples = sc.settings.samples
    cap = min(4 * samples, MAX_SAMPLES) if max_samples is None else max_samples
    check_stability_options(seeds=seeds, max_samples=cap, samples=samples)
    base = chokepoint_metrics(sc, progress=progress)
    seed_list = tuple(sc.settings.seed + k for k in range(seeds))
    ensembles = {sc.settings.seed: base.ensemble}
    history, n = [], samples
    while True:
        runs = []
        for seed in seed_list:  # each seed's ensemble grows by the samples it lacks (the draws are counter-based)
            have = ensembles.get(seed)
            more = n - (have.samples if have is not None else 0)
            if more:
                grown = flow_ensemble(
                    sc.with_settings(seed=seed, samples=more),
                    progress=progress,
                    first_sample=have.samples if have is not None else 0,
                )
                ensembles[seed] = grown if have is None else extend(have, grown)
            metrics = (
                dataclasses.replace(base, ensemble=ensembles[seed]) if ensembles[seed] is not base.ensemble else base
            )
            derived = sc.with_settings(seed=seed, samples=n)
            runs.append((metrics, rank_gates(derived, chokepoints=metrics, incidents=incidents)))
        tops = pd.DataFrame({seed: _top(r.gates, top) for seed, (_, r) in zip(seed_list, runs, strict=True)})
        history.append({"samples": n, **_agreement([r.gates for _, r in runs], tops, top)})
        if history[-1]["stable"] or 2 * n > cap:
            break
        n *= 2
    metrics, ranking = runs[0]
    return RankingStability(
        converged=bool(history[-1]["stable"]),
        samples=n,
        seeds=seed_list,
        top=top,
        criterion=(
            f"the same {top} gates in the same order under seeds {', '.join(map(str, seed_list))}; "
            f"samples doubled from {samples} up to at most {cap} per seed"
        ),
        tops=tops.set_axis(pd.RangeIndex(1, len(tops) + 1, name="rank")),
        history=pd.DataFrame(history),
        ranking=ranking,
        chokepoints=metrics,
    )


def check_stability_options(*, seeds: int, max_samples: int | None, samples: int) -> None:
    """Refuse a seed count other than 0 or >= 2, or a sample cap below ``samples`` or above :data:`MAX_SAMPLES`.

    Raises
    ------
    ParameterError
        With the bad value and the valid range.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int | np.integer) or seeds < 0 or seeds == 1:
        raise ParameterError(f"stability seeds must be 0 (no check) or an integer >= 2, got {seeds!r}")
    if max_samples is None:
        return
    if seeds == 0:
        raise ParameterError("max_samples doubles the samples of the stability check; give 2 or more seeds with it")
    bad = isinstance(max_samples, bool) or not isinstance(max_samples, int | np.integer)
    if bad or not samples <= max_samples <= MAX_SAMPLES:
        raise ParameterError(
            f"max_samples must be an integer from the scenario's samples ({samples}) to {MAX_SAMPLES:,}, "
            f"got {max_samples!r}"
        )


def _top(gates: pd.DataFrame, top: int) -> list[str]:
    ranked = gates[gates["status"].isin(RANKED)].sort_values("rank")
    ids = ranked["gate_id"].head(top).tolist()
    return ids + [""] * (top - len(ids))


def _agreement(tables: list[pd.DataFrame], tops: pd.DataFrame, top: int) -> dict[str, float | bool]:
    shared, same, taus = [], [], []
    for a, b in itertools.combinations(range(len(tables)), 2):
        ta, tb = tops.iloc[:, a].tolist(), tops.iloc[:, b].tolist()
        shared.append(len(set(ta) & set(tb) - {""}))
        same.append(sum(x == y and x != "" for x, y in zip(ta, tb, strict=True)))
        union = sorted(set(ta) | set(tb) - {""})
        ra = tables[a].set_index("gate_id")["rank"].reindex(union).astype(float)
        rb = tables[b].set_index("gate_id")["rank"].reindex(union).astype(float)
        tau = scipy.stats.kendalltau(ra, rb).statistic if len(union) > 1 else 1.0
        taus.append(float(tau) if np.isfinite(tau) else 1.0)
    first = tops.iloc[:, 0].tolist()
    return {
        "stable": all(tops.iloc[:, k].tolist() == first for k in range(tops.shape[1])),
        "same_members": all(set(tops.iloc[:, k]) == set(first) for k in range(tops.shape[1])),
        "min_shared": min(shared),
        "min_same_position": min(same),
        "min_kendall_tau": min(taus),
    }
