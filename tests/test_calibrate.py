"""Calibration to incident records: the likelihood maths on toy tables, recovery, the command's bad input.

The fit is checked where its answer is known: incidents drawn from the observation model at known
multipliers are recovered within their 95 % profile-likelihood intervals (toy table at 20, 50 and 200
incidents; the shipped graph at 200), and a wrong default is called contradicted.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from click.testing import CliRunner

from borderwatch.analysis import calibrate as cal
from borderwatch.cli import main
from borderwatch.errors import CalibrationError, ParameterError, ValidationError
from borderwatch.network.profile import default_profile, edge_cost, load_profile


# ---------------------------------------------------------------------- a toy flow table
def toy_likelihood(*, reporting=None):
    """Four crossings; one destination; the trail multiplier moves flow from trails (c, d) to gates (a, b)."""
    axis = np.log(np.linspace(0.25, 4.0, 9))
    axis[np.argmin(np.abs(axis))] = 0.0
    axis = np.unique(np.append(axis, 0.0))
    cost = lambda t: np.array([10.0, 11.0, 9.0 + 2 * t, 9.5 + 1.5 * t])  # noqa: E731
    p = np.array([[np.exp(-cost(np.exp(a)) / 2.0) / np.exp(-cost(np.exp(a)) / 2.0).sum()] for a in axis])
    units = cal.Units(
        table=pd.DataFrame(
            {
                "unit": ["a", "b", "c", "d"],
                "kind": ["gate", "gate", "segment", "segment"],
                "province": ["P1", "P1", "P2", "P2"],
                "exposure": [0.35, 0.15, 0.1, 0.1],
                "patrol_h": [2.0, 0.0, 1.0, 0.0],
                "effort": [1.05, 0.15, 0.2, 0.1],
                "lon": np.nan,
                "lat": np.nan,
            }
        ),
        edge_unit=np.array([0, 1, 2, 3]),
    )
    table = cal.FlowTable(
        axes={"trail": axis},
        probabilities=p,
        groups=["Hanoi", "export"],
        shares=np.array([1.0]),
        units=units,
        samples=1,
        seed=0,
        scale_h=2.0,
    )
    table.groups = ["Hanoi"]
    return cal.make_likelihood(table, {"trail": (0.25, 4.0)}, reporting=reporting, provinces=["P1", "P2"])


def counts(*n):
    rows = np.repeat(np.arange(len(n)), n)
    return cal.Observations(
        scipy.sparse.csr_matrix((np.ones(len(rows)), (np.arange(len(rows)), rows)), shape=(len(rows), len(n))),
        np.arange(len(rows)).astype(object),
        np.ones(len(rows), dtype=bool),
    )


def test_the_likelihood_is_flow_times_effort_normalised():
    lik = toy_likelihood()
    p = lik.unit_probabilities(np.zeros(1))
    flow = lik.table.probabilities[list(lik.table.axes["trail"]).index(0.0), 0]
    expected = flow * np.array([1.05, 0.15, 0.2, 0.1])
    assert np.allclose(p, expected / expected.sum())
    assert math.isclose(lik.log_likelihood(np.zeros(1), counts(2, 0, 1, 0)), 2 * math.log(p[0]) + math.log(p[2]))


def test_a_province_only_incident_has_its_provinces_chance_and_a_reporting_factor_reweights():
    lik = toy_likelihood()
    obs, left = cal.observations(
        pd.DataFrame([{"incident_id": "x", "line": 2, "gate_id": "", "segment_id": "", "province": "p2"}]),
        lik.table.units,
    )
    p = lik.unit_probabilities(np.zeros(1))
    assert left.empty and math.isclose(lik.log_likelihood(np.zeros(1), obs), math.log(p[2] + p[3]))
    spread = cal.crossing_table(lik, obs, {"trail": 1.0}).set_index("unit")["incidents"]
    assert spread["c"] == pytest.approx(p[2] / (p[2] + p[3])) and spread["a"] == 0.0  # by the modelled chance
    reported = toy_likelihood(reporting={"P2": 0.5}).unit_probabilities(np.zeros(1))
    rate = p * np.array([1, 1, 0.5, 0.5])
    assert np.allclose(reported, rate / rate.sum())


def test_the_fit_recovers_a_known_multiplier_and_calls_the_default_contradicted():
    lik = toy_likelihood()
    obs, _ = cal.synthetic_observations(lik, {"trail": 2.0}, 400, seed=5)
    result = cal.fit(lik, obs)
    low, high = result.intervals["trail"]
    assert low < 2.0 < high and not low <= 1.0 <= high
    assert result.verdicts["trail"] == "contradicted"
    assert result.lr_statistic > cal.CHI2_95 and result.lr_p_value < 0.05
    assert result.profiles["trail"]["deviance"].min() == pytest.approx(0.0, abs=1e-6)


def test_recovery_at_20_50_and_200_incidents():
    table = cal.recovery(toy_likelihood(), {"trail": 2.0}, sizes=(20, 50, 200), replicates=12, seed=1)
    assert list(table["incidents"]) == [20, 50, 200]
    assert (table["covered"] >= 10 / 12).all(), table  # 95 % intervals: at most 2 of 12 may miss
    width = table["median_high"] / table["median_low"]
    assert width.iloc[2] < width.iloc[0]  # more incidents, narrower intervals


def test_flat_records_are_not_identifiable():
    lik = toy_likelihood()
    result = cal.fit(lik, counts(1, 1, 0, 0))  # two incidents say next to nothing
    assert result.verdicts["trail"] in ("not identifiable from these records", "supported")
    assert result.open_ends["trail"][0] or result.open_ends["trail"][1]


def test_cross_validation_scores_held_out_incidents_against_the_default():
    lik = toy_likelihood()
    obs, _ = cal.synthetic_observations(lik, {"trail": 3.0}, 200, seed=2)
    folds = cal.cross_validate(lik, obs, folds=4)
    assert len(folds) == 4 and folds["held_out"].sum() == 200
    assert folds["loglik_calibrated"].mean() > folds["loglik_default"].mean()
    with pytest.raises(ParameterError, match="folds must be"):
        cal.cross_validate(lik, obs, folds=1)


def test_too_few_incidents_and_no_convergence_are_refused():
    lik = toy_likelihood()
    with pytest.raises(CalibrationError, match="at least as many incidents as parameters"):
        cal.fit(lik, counts(0, 0, 0, 0))
    with pytest.raises(CalibrationError, match=r"did not converge.*best point found: trail"):
        cal._maximise(lambda x: float("nan"), np.zeros(1), bounds=[(-1.0, 1.0)], names=["trail"])


def test_the_doors_refuse_wrong_arguments():
    with pytest.raises(ParameterError, match="fit"):
        cal.fit(None, counts(1, 0, 0, 0))
    with pytest.raises(ParameterError, match="cross_validate"):
        cal.cross_validate(toy_likelihood(), None)


def test_no_usable_row_is_refused_naming_the_lines():
    lik = toy_likelihood()
    rows = pd.DataFrame(
        [
            {"incident_id": "1", "line": 2, "gate_id": "zz", "segment_id": "", "province": ""},
            {"incident_id": "2", "line": 3, "gate_id": "", "segment_id": "", "province": "P9"},
        ]
    )
    with pytest.raises(ValidationError, match="no usable incident row") as info:
        cal.observations(rows, lik.table.units)
    assert "line 2: zz is not a crossing" in str(info.value) and "line 3: province 'P9'" in str(info.value)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("trail,speed", "'speed' is not a parameter of the profile"),
        ("trail=2:4", "exclude the default 1"),
        ("trail=0:2", "0 < LOW < HIGH"),
        ("trail=a:b", "not LOW:HIGH numbers"),
        ("trail,trail", "named twice"),
    ],
)
def test_bad_parameters_are_refused(spec, message):
    with pytest.raises(ParameterError, match=message):
        cal.parse_parameters(spec)


def test_parameters_read_with_bounds():
    assert cal.parse_parameters("trail, gate_exposure=0.5:2") == {"trail": (0.25, 4.0), "gate_exposure": (0.5, 2.0)}
    assert list(cal.parse_parameters(None)) == list(cal.DEFAULT_PARAMETERS)


def test_a_reporting_province_not_in_the_data_is_refused():
    with pytest.raises(ParameterError, match="'Atlantis' is not a province of the data"):
        toy_likelihood(reporting={"Atlantis": 0.5})


def test_the_calibrated_profile_multiplies_the_keys_and_reads_back():
    base = default_profile()
    out = cal.calibrated_profile(base, {"trail": 2.0, "gate_exposure": 1.5, "export_share": 0.5}, source="t")
    assert out.value("informal_crossing.delay_h") == 2 * base.value("informal_crossing.delay_h")
    assert out.value("gate.primary.exposure") == pytest.approx(1.5 * base.value("gate.primary.exposure"))
    assert out.value("demand.export") == pytest.approx(0.5 * base.value("demand.export"))
    from borderwatch.network.profile import profile_toml

    text = profile_toml(out, comments=("calibrated",))
    assert text.startswith("# calibrated") and load_profile(tomllib.loads(text)).to_dict() == out.to_dict()


# ---------------------------------------------------------------------- the command's bad input
def write(tmp_path, text, name="incidents.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if the command loads the region (bad input must be refused before)."""
    import borderwatch.readers

    def refuse(*args, **kwargs):
        raise AssertionError("the region was loaded")

    monkeypatch.setattr(borderwatch.readers, "load_region", refuse)


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("when,gate_id\n2020-01-01,VN-LAO-009\n", [], "needs 'date' and either 'gate_id'"),
        ("date,gate_id\n", [], "has a header but no incident row"),
        ("date,gate_id\n2020-01-01,VN-LAO-009\n", ["--parameters", "trail,wind"], "'wind' is not a parameter"),
        ("date,gate_id\n2020-01-01,VN-LAO-009\n", ["--parameters", "trail=1.5:3"], "exclude the default 1"),
        ("date,gate_id\n2020-01-01,VN-LAO-009\n", ["--parameters", "trail,gate_exposure"], "at least as many"),
        ("date,gate_id\n2020-01-01,VN-LAO-009\n", ["--parameters", "trail", "--reporting", "x"], "PROVINCE=FACTOR"),
        ("date,gate_id\n2020-01-01,VN-LAO-009\n2020-01-02,VN-LAO-009\n", ["--parameters", "trail"], "--folds 5"),
    ],
)
def test_the_command_refuses_bad_input_before_loading(tmp_path, no_loading, text, args, message):
    out = tmp_path / "calibrated.toml"
    result = CliRunner().invoke(
        main, ["calibrate", "--incidents", str(write(tmp_path, text)), *args, "--out", str(out)]
    )
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["incidents.csv"]


def test_the_command_refuses_a_reporting_province_not_in_the_data(tmp_path):
    path = write(tmp_path, "date,gate_id\n2020-01-01,VN-LAO-009\n2020-01-02,VN-LAO-009\n")
    out = tmp_path / "calibrated.toml"
    args = ["--parameters", "trail", "--folds", "0", "--reporting", "Atlantis=0.5", "--out", str(out)]
    result = CliRunner().invoke(main, ["calibrate", "--incidents", str(path), *args])
    assert result.exit_code == 1 and "'Atlantis' is not a province of the data" in result.output
    assert not out.exists() and not out.with_suffix(".json").exists()


def test_incidents_by_province_segment_and_date_precision_are_read(scenario, tmp_path):
    from borderwatch.analysis.incidents import read_incidents

    segment = scenario.segments["segment_id"].iloc[0]
    path = write(
        tmp_path,
        "date,date_precision,gate_id,segment_id,province,weight\n"
        f"2020,,VN-LAO-009,,,3\n2020-05,,,{segment},,\n2021-03-04,month,,,Thanh Hóa,\n",
    )
    kw = dict(gates=scenario.gates, segments=scenario.segments, bounds=(90, 0, 120, 30), match_km=10.0)
    table = read_incidents(path, provinces=["Thanh Hóa"], **kw)
    assert list(table["match"]) == ["gate_id", "segment", "province"]
    assert list(table["date_precision"]) == ["year", "month", "month"]
    bad = write(tmp_path, "date,date_precision,province\n2020,day,Atlantis\n", name="bad.csv")
    with pytest.raises(ValidationError) as info:
        read_incidents(bad, provinces=["Thanh Hóa"], **kw)
    assert "gives only a year, coarser than date_precision 'day'" in str(info.value)
    assert "province 'Atlantis' is not a province" in str(info.value)


# ---------------------------------------------------------------------- the shipped graph
@pytest.fixture(scope="module")
def shipped(scenario):
    params = cal.parse_parameters("trail")
    table = cal.flow_table(scenario, params, grid=3, samples=1)
    return scenario, params, cal.make_likelihood(table, params)


def test_parameters_cost_the_edges_as_the_scaled_profile_would(shipped):
    sc, _, _ = shipped
    model = cal.CostModel(sc.arrays, sc.profile)
    assert np.array_equal(model.cost({}), sc.arrays.cost)
    informal = np.flatnonzero(sc.arrays.crossing == "informal")[:50]
    profile = load_profile(informal_crossing={"delay_h": 16.0, "exposure": 0.2})
    walk_h = sc.arrays.time_h[informal] - 8.0
    walk_exposure = sc.arrays.exposure[informal] - 0.1
    expected = edge_cost(walk_h + 16.0, walk_exposure + 0.2, profile=profile)
    assert np.allclose(model.cost({"trail": 2.0})[informal], expected)


def test_shipped_graph_recovery_at_200_incidents(shipped):
    _, _, lik = shipped
    for truth in (2.0, 1.0):
        obs, _ = cal.synthetic_observations(lik, {"trail": truth}, 200, seed=11)
        result = cal.fit(lik, obs)
        low, high = result.intervals["trail"]
        assert low <= truth <= high, (truth, result.intervals)
        assert result.verdicts["trail"] == ("contradicted" if truth != 1.0 else "supported")
    assert lik.table.probabilities.sum(axis=-1) == pytest.approx(1.0)
    assert set(lik.table.units.table["kind"]) == {"gate", "segment"}
    assert (lik.table.units.table["province"] != "").all()


def test_the_command_writes_a_profile_every_command_accepts(shipped, tmp_path):
    _sc, _, lik = shipped
    path = tmp_path / "synthetic.csv"
    cal.synthetic_incidents(lik, {"trail": 2.0}, 60, seed=4).to_csv(path, index=False)
    out = tmp_path / "calibrated.toml"
    args = ["--parameters", "trail", "--grid", "3", "--samples", "1", "--folds", "3", "--out", str(out)]
    result = CliRunner().invoke(main, ["calibrate", "--incidents", str(path), *args])
    assert result.exit_code == 0, result.output
    profile = load_profile(out)
    assert profile.value("informal_crossing.delay_h") != 8.0
    summary = __import__("json").loads(out.with_suffix(".json").read_text())
    assert summary["incidents"]["used"] == 60 and summary["cross_validation"]["folds"] == 3
    assert "sha256" in out.read_text() and summary["fit"]["parameters"]["trail"]["interval_95"]
    assert "<section" in cal.report_section(summary)
    assert sum(row["incidents"] for row in summary["crossings"]) <= 60 and summary["crossings"][0]["p_calibrated"] > 0
