"""Parallel runs (borderwatch.parallel): any split of the work, any engine, the same bits as one process."""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from borderwatch import CloseGates, parallel
from borderwatch.analysis.ensemble import Ensemble, extend, flow_ensemble
from borderwatch.analysis.flow import _diversion, criticality_of, gate_criticality, gate_flow, least_cost_flow
from borderwatch.analysis.sweep import sweep
from borderwatch.cli import main
from borderwatch.errors import NoRouteError, ParameterError
from borderwatch.network.arrays import identity_tags

TABLES = ("gates", "segments", "convergence", "gate_samples", "travel_samples", "segment_samples", "cost_samples")
ARRAYS = ("edge_usage", "edge_mean_flow", "informal_samples", "edge_use_count", "edge_flow_units")


def assert_same_ensemble(a: Ensemble, b: Ensemble) -> None:
    """Bit for bit: every table, every per-edge array, every number."""
    assert a.samples == b.samples
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    for name in ARRAYS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.informal_share == b.informal_share


class Split(parallel.Serial):
    """This process, but the work split as for ``workers`` workers (how the tasks are cut, not where they run)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers


def busiest_gates(sc) -> list[str]:
    flows = gate_flow(sc.arrays, least_cost_flow(sc.arrays, sc.origin, sc.shares).edge_flow)
    return flows.sort_values(ascending=False).index.tolist()


@pytest.fixture(scope="module")
def small(scenario):
    """The shipped scenario with 12 samples, and one with its busiest gate closed (a view with other costs)."""
    sc = scenario.with_settings(samples=12)
    return sc, sc.edited(CloseGates((busiest_gates(sc)[0],)), name="busiest closed")


@pytest.fixture(scope="module")
def serial(small):
    base, closed = small
    return {"base": flow_ensemble(base), "closed": flow_ensemble(closed)}


# ------------------------------------------------------------------ bad input (cheap, first)
@pytest.mark.parametrize("workers", [0, -1, parallel.available_cpus() + 1, 2.5, True, "2"])
def test_a_bad_number_of_workers_is_refused_saying_what_the_machine_has(workers):
    with pytest.raises(ParameterError, match=f"{parallel.available_cpus()}") as err:
        parallel.check_workers(workers)
    assert "workers" in str(err.value)


@pytest.mark.parametrize("value", ["0", "-2", str(parallel.available_cpus() + 1)])
def test_cli_refuses_bad_workers_before_loading_anything(value, tmp_path):
    started = time.perf_counter()
    result = CliRunner().invoke(
        main,
        ["chokepoints", "--data", str(tmp_path / "missing"), "--workers", value, "--out", str(tmp_path / "c.gpkg")],
    )
    assert result.exit_code == 1, result.output
    assert "--workers" in result.output and f"{os.cpu_count()} CPUs" in result.output
    assert "Traceback" not in result.output and "missing" not in result.output  # the data were not looked at
    assert time.perf_counter() - started < 5


def test_cli_refuses_workers_and_scheduler_together(tmp_path):
    result = CliRunner().invoke(
        main, ["chokepoints", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1", "--out", str(tmp_path / "c.gpkg")]
    )
    assert result.exit_code == 1 and "not both" in result.output


def test_a_scheduler_that_does_not_answer_fails_within_seconds_naming_it(tmp_path):
    pytest.importorskip("dask.distributed")
    started = time.perf_counter()
    result = CliRunner().invoke(
        main, ["chokepoints", "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "c.gpkg")]
    )
    assert result.exit_code == 1, result.output
    assert "tcp://127.0.0.1:9" in result.output and "dask scheduler" in result.output
    assert time.perf_counter() - started < 20


def test_the_scheduler_comes_from_the_environment_unless_workers_are_given(monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setenv(parallel.SCHEDULER_ENV, "tcp://127.0.0.1:9")
    with pytest.raises(ParameterError, match=r"127\.0\.0\.1:9"):
        parallel.engine_for()
    assert isinstance(parallel.engine_for(workers=1), parallel.Serial)


def test_a_worker_that_dies_fails_the_run_with_no_result():
    engine = parallel.Local(2)
    try:
        with pytest.raises(parallel.WorkerLostError, match="died"):
            engine.map(os._exit, parallel.Shared("exit code", 3), [(), ()])
    finally:
        engine.close()


def test_batches_cover_every_item_once_in_order():
    for total in range(0, 30):
        for parts in range(1, 9):
            runs = parallel.batches(total, parts)
            assert [i for first, count in runs for i in range(first, first + count)] == list(range(total))
            assert len(runs) == min(total, parts) and all(count >= 1 for _, count in runs)


# ------------------------------------------------------------------ the same bits on any split
@pytest.mark.parametrize("workers", [2, 4, 5])
def test_any_split_of_the_samples_gives_the_same_bits(small, serial, workers):
    base, closed = small
    with parallel.running():  # no engine given: the one in force
        parallel._CURRENT.append(Split(workers))
        try:
            assert_same_ensemble(flow_ensemble(base), serial["base"])
            assert_same_ensemble(flow_ensemble(closed), serial["closed"])
        finally:
            parallel._CURRENT.pop()


def test_two_local_processes_give_the_same_bits(small, serial):
    base, closed = small
    with parallel.running(workers=2) as engine:
        assert isinstance(engine, parallel.Local)
        assert_same_ensemble(flow_ensemble(base), serial["base"])
        assert_same_ensemble(flow_ensemble(closed), serial["closed"])  # the graph sent once, the costs per task
        assert len(engine._files) == 1
    assert_same_ensemble(flow_ensemble(base, workers=2), serial["base"])  # the library keyword


def test_extending_an_ensemble_gives_the_same_bits_as_one_run(small, serial):
    base, _ = small
    five = flow_ensemble(base.with_settings(samples=5))
    seven = flow_ensemble(base.with_settings(samples=7), first_sample=5)
    assert_same_ensemble(extend(five, seven), serial["base"])


def test_the_ensemble_equals_the_plain_per_sample_loop(small, serial):
    """Before/after: the same draws and routes as the one-stream loop it replaced; mean flow within 2**-40."""
    from borderwatch.analysis.draws import lognormal_factors

    sc, _ = small
    a = sc.arrays
    ens = serial["base"]
    gates = list(ens.gate_samples.columns)
    total = np.zeros(a.n_edges)
    for s in range(sc.settings.samples):
        factor = lognormal_factors(
            a.edge_tag, seed=sc.settings.seed, sample=s, stream="edge", sigma=sc.settings.sigma_edge
        )
        tags = identity_tags([f"gate:{g}" for g in gates])
        per_gate = lognormal_factors(tags, seed=sc.settings.seed, sample=s, stream="gate", sigma=sc.settings.sigma_gate)
        on_gate = np.array([gates.index(g) if g in gates else -1 for g in a.gate_id])
        factor = np.where(on_gate >= 0, factor * per_gate[np.maximum(on_gate, 0)], factor)
        routed = least_cost_flow(a.with_cost(a.cost * factor), sc.origin, sc.shares)
        assert [routed.cost[d] for d in sc.shares] == ens.cost_samples.iloc[s].tolist()
        by_gate = gate_flow(a, routed.edge_flow).reindex(gates, fill_value=0.0)
        assert np.allclose(by_gate.to_numpy(), ens.gate_samples.iloc[s].to_numpy(), rtol=0, atol=1e-12)
        total += routed.edge_flow
    assert np.allclose(ens.edge_mean_flow, total / sc.settings.samples, rtol=0, atol=2.0**-40)


# ------------------------------------------------------------------ criticality and sweeps
def _plain_criticality(sc) -> pd.DataFrame:
    """Gate criticality as it was: a reachability Dijkstra per destination, then the flow of the reachable."""
    a, shares = sc.arrays, sc.shares
    before = least_cost_flow(a, sc.origin, shares)
    flows = gate_flow(a, before.edge_flow)
    rows = {}
    for gid in sorted(set(a.gate_id[a.crossing == "gate"])):
        if flows.get(gid, 0.0) <= 0:
            continue
        closed = a.without(a.gate_edges([gid]))
        reachable, lost = {}, 0.0
        for node, share in shares.items():
            try:
                closed.for_destination(node).path_edges(sc.origin, node)
                reachable[node] = share
            except NoRouteError:
                lost += share
        after = least_cost_flow(closed, sc.origin, reachable)
        rise = sum(reachable[n] * (after.cost[n] - before.cost[n]) for n in reachable)
        rows[gid] = (rise, lost, _diversion(a, before.edge_flow, after.edge_flow, sc.segment_of))
    return pd.DataFrame.from_dict(rows, orient="index", columns=["cost_rise_heq", "unreachable_share", "diverted_to"])


def test_criticality_is_the_same_on_any_engine_and_as_it_was(small):
    sc, _ = small
    one = gate_criticality(sc)
    plain = _plain_criticality(sc)
    for column in plain.columns:
        assert one.loc[plain.index, column].tolist() == plain[column].tolist(), column
    pd.testing.assert_frame_equal(gate_criticality(sc, workers=2), one, check_exact=True)
    parallel._CURRENT.append(Split(3))
    try:
        pd.testing.assert_frame_equal(
            criticality_of(sc.arrays, sc.origin, sc.shares, segment_of=sc.segment_of), one, check_exact=True
        )
    finally:
        parallel._CURRENT.pop()


def test_a_sweep_on_two_processes_gives_the_same_table(small):
    base = small[0].with_settings(samples=4)
    scenarios = [base.edited(CloseGates((g,)), name=f"close {g}") for g in busiest_gates(base)[:2]]
    one = sweep(base, scenarios).table.drop(columns="seconds")
    two = sweep(base, scenarios, workers=2).table.drop(columns="seconds")
    pd.testing.assert_frame_equal(one, two, check_exact=True)


# ------------------------------------------------------------------ a Dask cluster
def test_a_dask_local_cluster_gives_the_same_bits(small, serial):
    distributed = pytest.importorskip("dask.distributed")
    base, closed = small
    criticality = gate_criticality(base)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        with parallel.running(scheduler=cl.scheduler_address) as engine:
            assert isinstance(engine, parallel.Cluster) and engine.workers == 2
            assert_same_ensemble(flow_ensemble(base), serial["base"])
            assert_same_ensemble(flow_ensemble(closed), serial["closed"])
            pd.testing.assert_frame_equal(gate_criticality(base), criticality, check_exact=True)


def test_a_scheduler_without_workers_fails_within_seconds_naming_it():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        started = time.perf_counter()
        with pytest.raises(ParameterError, match="has no worker") as err:
            parallel.Cluster(cluster.scheduler_address, timeout_s=2)
        assert cluster.scheduler_address in str(err.value) and time.perf_counter() - started < 15
