"""BLO siting: exact MILP answers checked against brute force and spopt; the shipped data."""

import itertools

import numpy as np
import pulp
import pytest
from spopt.locate import LSCP, MCLP

from borderwatch import ParameterError
from borderwatch.analysis.siting import max_cover, min_sites, site_blos


def instance(seed: int, items: int = 14, candidates: int = 7):
    rng = np.random.default_rng(seed)
    a = rng.random((items, candidates)) < 0.3
    w = rng.integers(1, 10, items).astype(float)
    fixed = rng.random(items) < 0.15
    return a, w, fixed


def brute_max(a, w, fixed, p):
    return max(w[fixed | a[:, list(c)].any(axis=1)].sum() for c in itertools.combinations(range(a.shape[1]), p))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_max_cover_is_optimal_by_brute_force(seed, p):
    a, w, fixed = instance(seed)
    result = max_cover(a, w, p=p, fixed=fixed)
    assert result.status == "optimal" and len(result.chosen) == p
    assert result.covered == pytest.approx(brute_max(a, w, fixed, p))
    assert result.covered == pytest.approx(w[fixed | a[:, result.chosen].any(axis=1)].sum())
    assert result.before == pytest.approx(w[fixed].sum())


@pytest.mark.parametrize("seed", range(5))
def test_max_cover_agrees_with_spopt_mclp(seed):
    a, w, _ = instance(seed)
    cost = np.where(a, 1.0, 10.0)  # covered within a service radius of 5
    ours = max_cover(a, w, p=2)
    theirs = MCLP.from_cost_matrix(cost, w, service_radius=5.0, p_facilities=2).solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.covered == pytest.approx(theirs.problem.objective.value())


@pytest.mark.parametrize("seed", range(5))
def test_min_sites_is_optimal_and_agrees_with_spopt_lscp(seed):
    a, w, fixed = instance(seed)
    a[:, 0] |= ~a.any(axis=1)  # every item coverable, so full coverage is feasible
    target = 0.8 * w.sum()
    result = min_sites(a, w, target=target, fixed=fixed)
    assert w[fixed | a[:, result.chosen].any(axis=1)].sum() >= target - 1e-9
    fewest = next(
        r
        for r in range(a.shape[1] + 1)
        if any(
            w[fixed | a[:, list(c)].any(axis=1)].sum() >= target - 1e-9
            for c in itertools.combinations(range(a.shape[1]), r)
        )
    )
    assert len(result.chosen) == fewest
    # full coverage without existing sites is LSCP
    full = min_sites(a, w, target=w.sum())
    lscp = LSCP.from_cost_matrix(np.where(a, 1.0, 10.0), service_radius=5.0).solve(pulp.PULP_CBC_CMD(msg=False))
    assert len(full.chosen) == round(lscp.problem.objective.value())


def test_bad_arguments():
    a, w, _ = instance(0)
    with pytest.raises(ParameterError, match="p must be an integer from 0 to the 7 candidates"):
        max_cover(a, w, p=8)
    with pytest.raises(ParameterError, match="p must be an integer"):
        max_cover(a, w, p=-1)
    a[:, :] = False
    with pytest.raises(ParameterError, match="cannot be reached"):
        min_sites(a, w, target=w.sum())


@pytest.mark.slow
def test_site_blos_on_the_shipped_data(scenario):
    results = [site_blos(scenario, p=p) for p in (1, 2, 3)]
    covered = [r.after for r in results]
    assert results[0].before < covered[0] < covered[1] < covered[2] <= results[0].total
    assert all(r.solution.status == "optimal" for r in results)
    assert all(len(r.chosen) == p for r, p in zip(results, (1, 2, 3), strict=True))
    assert (results[2].chosen["adds"] > 0).all()
    target = site_blos(scenario, target_pct=5.0)
    assert target.after >= 0.05 * target.total - 1e-6
    with pytest.raises(ParameterError, match="either p"):
        site_blos(scenario)
    with pytest.raises(ParameterError, match=r"p must be an integer from 0 to the \d+ candidates, got 100"):
        site_blos(scenario, p=100)
    with pytest.raises(ParameterError, match="site_blos: p must be <= 100, got 1000"):
        site_blos(scenario, p=1000)
    with pytest.raises(ParameterError, match="site_blos: objective must be one of 'length', 'flow', got 'votes'"):
        site_blos(scenario, p=1, objective="votes")
    with pytest.raises(ParameterError, match="site_blos: target_pct must be > 0, got 0"):
        site_blos(scenario, target_pct=0)


@pytest.mark.slow
def test_site_blos_patrol_hours_come_from_the_settings(scenario):
    """Longer patrols: the existing BLOs already cover more, and one new site adds to that."""
    two = site_blos(scenario, p=1)
    four = site_blos(scenario.with_settings(hours=4.0), p=1)
    assert four.before > two.before and four.after >= four.before and four.total == pytest.approx(two.total)
    # one BLO's own hours count for it alone (existing coverage between the two)
    one_longer = site_blos(scenario.with_settings(blo_hours={"BLO-07": 6.0}), p=1)
    assert two.before < one_longer.before


def test_site_blos_command_bad_input_exits_1(tmp_path):
    from click.testing import CliRunner

    from borderwatch.cli import main

    out = tmp_path / "sites.csv"
    for args, message in (
        (["--p", "-1"], "--p must be >= 0, got -1"),
        ([], "give --p N (new sites) or --target-pct X"),
        (["--p", "2", "--target-pct", "5"], "one of them"),
    ):
        result = CliRunner().invoke(main, ["site-blos", *args, "--out", str(out)])
        assert result.exit_code == 1 and message in result.output, result.output
    candidates = tmp_path / "candidates.csv"
    candidates.write_text("id,name,lat,lon\nX1,Berlin,52.5,13.4\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["site-blos", "--p", "1", "--candidates", str(candidates), "--out", str(out)])
    assert result.exit_code == 1 and "X1 lie outside Vietnam's box" in result.output
    assert not out.exists()


@pytest.mark.slow
def test_site_blos_command_writes_the_chosen_sites(tmp_path):
    import json

    import pandas as pd
    from click.testing import CliRunner

    from borderwatch.cli import main

    out = tmp_path / "sites.csv"
    result = CliRunner().invoke(main, ["site-blos", "--p", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["solver_status"] == "optimal" and facts["after"] > facts["before"] and len(facts["chosen"]) == 2
    assert len(pd.read_csv(out)) == 2
