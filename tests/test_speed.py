"""Each fact once: the faster paths of a report give the same results as the plain ones they replaced."""

from __future__ import annotations

import numpy as np
import pandas as pd

from borderwatch.analysis import ranking
from borderwatch.analysis.ranking import COMPONENTS, FLOW_EPS, _scaled_rows, _used_first, scaled, score


def _plain_rank_interval(ranked: pd.DataFrame, result, w) -> tuple[pd.Series, pd.Series, list[pd.Series]]:
    """The rank interval as it was: every sample scored and ranked through pandas, one by one."""
    ens = result.ensemble
    flows = ens.gate_samples.reindex(columns=ranked.index, fill_value=0.0).to_numpy()
    travel = ens.travel_samples.reindex(columns=ranked.index, fill_value=np.inf).to_numpy()
    used = ranked["status"] == "ranked"
    scores, per_sample = [], []
    for flow, cost in zip(flows, travel, strict=True):
        sample = ranked.assign(flow_share=flow, usage_probability=(flow > FLOW_EPS).astype(float), travel_cost_heq=cost)
        scores.append(score(sample, w))
        per_sample.append(_used_first(scores[-1], used).to_numpy())
    stacked = np.vstack(per_sample)
    low = pd.Series(np.floor(np.percentile(stacked, 5, axis=0)), index=ranked.index)
    high = pd.Series(np.ceil(np.percentile(stacked, 95, axis=0)), index=ranked.index)
    return low, high, scores


def test_rank_intervals_equal_the_per_sample_pandas_loop(scenario, monkeypatch):
    seen = {}
    real = ranking._rank_interval

    def spy(ranked, result, w):
        seen["args"] = (ranked, result, w)
        return real(ranked, result, w)

    monkeypatch.setattr(ranking, "_rank_interval", spy)
    ranking.rank_gates(scenario)
    ranked, result, w = seen["args"]
    assert result.ensemble.samples == 40 and len(ranked) > 50
    low, high = real(ranked, result, w)
    plain_low, plain_high, plain_scores = _plain_rank_interval(ranked, result, w)
    pd.testing.assert_series_equal(low, plain_low, check_exact=True)
    pd.testing.assert_series_equal(high, plain_high, check_exact=True)
    flows = result.ensemble.gate_samples.reindex(columns=ranked.index, fill_value=0.0).to_numpy()
    travel = result.ensemble.travel_samples.reindex(columns=ranked.index, fill_value=np.inf).to_numpy()
    drawn = {"flow_share": flows, "usage_probability": (flows > FLOW_EPS).astype(float), "travel_cost_heq": travel}
    for row, plain in enumerate(plain_scores[:5]):  # the scores themselves, bit for bit
        total = np.zeros(len(ranked))
        for name, weight in w.items():
            column, larger = COMPONENTS[name]
            if column in drawn:
                total += weight * _scaled_rows(drawn[column][row : row + 1], larger_is_riskier=larger)[0]
            else:
                total += weight * scaled(ranked[column], larger_is_riskier=larger).to_numpy()
        assert np.array_equal(total, plain.to_numpy())


def test_scaled_rows_is_scaled_on_every_row():
    rows = np.array(
        [
            [0.0, 1.0, 3.0, np.inf, np.nan],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            [np.inf, np.inf, np.nan, 0.0, 2.0],
            [np.nan, np.nan, np.nan, np.nan, np.nan],
            [5e-324, 1e308, 2.5, 0.1, 7.0],
        ]
    )
    for larger in (True, False):
        got = _scaled_rows(rows, larger_is_riskier=larger)
        for row, values in zip(got, rows, strict=True):
            want = scaled(pd.Series(values), larger_is_riskier=larger).to_numpy()
            assert np.array_equal(row, want, equal_nan=True), (larger, values, row, want)
