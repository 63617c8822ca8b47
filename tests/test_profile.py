"""The cost profile: every key typed and range-checked, one cost formula."""

import math
import tomllib
from importlib import resources

import numpy as np
import pytest

from borderwatch import Profile, ProfileError, edge_cost, load_profile
from borderwatch.network.profile import OPTIONS, default_profile


def leaves(table, where=()):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from leaves(value, (*where, key))
        else:
            yield ".".join((*where, key))


def test_every_shipped_key_is_declared_once_with_a_validator_and_a_doc():
    shipped = tomllib.loads(resources.files("borderwatch.network").joinpath("profile.toml").read_text(encoding="utf-8"))
    for key in leaves(shipped):
        parent = key.rsplit(".", 1)[0] + ".*"
        option = OPTIONS.get(key) or OPTIONS.get(parent)
        assert option is not None, f"{key} has no Option"
        assert option.doc and option.validate.__doc__
        assert option.validate(shipped_value(shipped, key)) is None, key


def shipped_value(table, dotted):
    for part in dotted.split("."):
        table = table[part]
    return table


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[informal_crossing]\ndelay_h = nan\n", "key 'informal_crossing.delay_h' must be a finite number, got nan"),
        ("[offroad]\npeak_speed_kmh = inf\n", "key 'offroad.peak_speed_kmh' must be a finite number, got inf"),
        ('[river]\nnavigable = "Mekong"\n', "key 'river.navigable' must be a list of strings"),
        ('[cost]\nexposure_weight_h = "lots"\n', "key 'cost.exposure_weight_h' must be a number, got str 'lots'"),
        ("[sea]\noverseas_harbor_sizes = 5\n", "key 'sea.overseas_harbor_sizes' must be a list of strings"),
        (
            '[sea]\noverseas_harbor_sizes = ["Huge"]\n',
            "has 'Huge', which is not one of Very Small, Small, Medium, Large",
        ),
        ("[gate.primary]\nexposure = 1.5\n", "key 'gate.primary.exposure' must be <= 1, got 1.5"),
        ("[offroad]\ndetour_factor = 0.5\n", "key 'offroad.detour_factor' must be >= 1, got 0.5"),
        ("[lattice]\nrefine = 1.5\n", "key 'lattice.refine' must be an integer"),
        ("[cost]\nexposure_weight_h = true\n", "key 'cost.exposure_weight_h' must be a number, got bool True"),
        ("[demand]\nHanoi = -1\n", "key 'demand.Hanoi' must be >= 0, got -1"),
        ("[gate]\nprimary = 3\n", "key 'gate.primary' must be a table, got 3"),
        ("[gate.tertiary]\ndelay_h = 1\n", "unknown key 'gate.tertiary'"),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path, toml, message):
    f = tmp_path / "mine.toml"
    f.write_text(toml)
    with pytest.raises(ProfileError) as err:
        load_profile(f)
    assert message in str(err.value)
    assert "mine.toml: " in str(err.value)


def test_all_demand_zero_is_refused():
    shares = dict.fromkeys(default_profile()["demand"], 0.0)
    with pytest.raises(ProfileError, match="the shares sum to 0"):
        load_profile(demand=shares)


def test_profile_is_read_only_and_round_trips_through_a_dict():
    p = load_profile(informal_crossing={"delay_h": 2.0})
    with pytest.raises(TypeError):
        p["informal_crossing"]["delay_h"] = 5.0
    assert p.value("informal_crossing.delay_h") == 2.0
    again = Profile.from_dict(p.to_dict())
    assert again.to_dict() == p.to_dict()
    assert p.demand == dict(p["demand"])


def test_edge_cost_is_time_plus_weighted_exposure_with_a_floor():
    p = load_profile(cost={"exposure_weight_h": 10.0, "min_edge_cost_h": 0.01})
    assert float(edge_cost(2.0, 0.3, profile=p)) == pytest.approx(5.0)
    assert float(edge_cost(0.0, 0.0, profile=p)) == 0.01
    got = edge_cost(np.array([1.0, 0.0]), np.array([0.1, 0.0]), profile=p)
    assert got.tolist() == [2.0, 0.01]
    assert math.isclose(float(edge_cost(1.0, 0.5, profile=default_profile())), 1.0 + 48.0 * 0.5)
