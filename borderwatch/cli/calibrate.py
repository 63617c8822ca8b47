"""Calibrating the cost profile to incident records: ``calibrate``."""

from __future__ import annotations

import math
from pathlib import Path

import click

from ..errors import CalibrationError, ParameterError
from .format import echo, echo_scenario, json_text
from .options import ScenarioOptions, build_scenario, check_outputs, overwrite_option, scenario_options


def parse_reporting(values: tuple[str, ...]) -> dict[str, float]:
    """Read ``--reporting "PROVINCE=FACTOR"`` options (repeatable) into province -> factor.

    Raises
    ------
    ParameterError
        A value without ``=``, a factor that is not a number > 0, a province named twice.
    """
    out: dict[str, float] = {}
    for value in values:
        name, sep, factor = value.rpartition("=")
        try:
            number = float(factor)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not (math.isfinite(number) and number > 0):
            raise ParameterError(
                f'--reporting {value!r}: write PROVINCE=FACTOR with a factor > 0, e.g. --reporting "Lào Cai=0.5"'
            )
        if name.strip() in out:
            raise ParameterError(f"--reporting names {name.strip()!r} twice; name each province once")
        out[name.strip()] = number
    return out


@click.command(short_help="Fit profile multipliers to incident records; write a calibrated profile.")
@click.option(
    "--incidents",
    "incidents_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Incidents CSV: date and gate_id, segment_id, lat/lon or only province per row (see 'rank-gates').",
)
@click.option(
    "--parameters",
    default=None,
    help="Comma-separated multipliers to fit, each optionally NAME=LOW:HIGH (bounds must hold 1): trail, "
    "gate_exposure, offroad_speed, road_speed, export_share.  [default: trail,gate_exposure,offroad_speed,"
    "export_share]",
)
@click.option(
    "--folds", type=click.IntRange(min=0), default=5, show_default=True, help="Cross-validation folds (0: none)."
)
@click.option(
    "--grid",
    type=click.IntRange(min=2, max=9),
    default=3,
    show_default=True,
    help="Grid nodes per cost parameter (1 is added when it is not one; 4 or more: cubic interpolation).",
)
@click.option(
    "--logit-scale-h",
    type=click.FloatRange(min=0.0, min_open=True, max=100.0),
    default=2.0,
    show_default=True,
    help="Logit scale of the crossing choice (h).",
)
@click.option(
    "--reporting",
    multiple=True,
    help='Reporting factor of a province, "PROVINCE=FACTOR" (repeatable; others 1).',
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The calibrated profile (.toml); the estimates, intervals and scores go beside it (.json).",
)
@overwrite_option
@scenario_options(graph=False, hours=True)
def calibrate(
    incidents_path: Path,
    parameters: str | None,
    folds: int,
    grid: int,
    logit_scale_h: float,
    reporting: tuple[str, ...],
    out: Path,
    overwrite: bool,
    scenario_opts: ScenarioOptions,
) -> None:
    """Calibrate the cost profile to your incident records, with intervals and cross-validated scores.

    Each parameter multiplies profile values (1: the profile as given):
    trail (informal crossing delay and exposure), gate_exposure (every gate
    class's exposure), offroad_speed, road_speed, export_share (the export
    demand against the domestic destinations).  The chance of an incident at a
    crossing is taken as modelled flow x detection effort (gate class, BLO
    patrol hours) x reporting factor; the fit is maximum likelihood with 95 %
    profile-likelihood intervals and a verdict per parameter (supported,
    contradicted, not identifiable from these records).  --samples sets the
    perturbed cost samples averaged (default 2).

    The records never leave this machine: the command reads the file, and
    writes only the profile and the JSON (which hold estimates, scores and the
    file's sha256, no record).

    \b
    Examples:
      borderwatch calibrate --incidents seizures.csv --out calibrated.toml
      borderwatch calibrate --incidents seizures.csv --parameters trail,gate_exposure=0.5:2 --folds 5 \\
          --out calibrated.toml
      borderwatch rank-gates --profile calibrated.toml --out ranking.csv
    """
    from ..analysis import calibrate as cal
    from ..analysis.incidents import check_incidents_header
    from ..output import atomic_path

    params = cal.parse_parameters(parameters)
    factors = parse_reporting(reporting)
    if out.suffix.lower() != ".toml":
        raise ParameterError(f"--out {str(out)!r}: the calibrated profile is a .toml file; end the name in .toml")
    json_path = out.with_suffix(".json")
    check_outputs(
        {"--out": (out, (".toml",)), "the JSON beside --out": (json_path, (".json",))},
        overwrite=overwrite,
        inputs={"--incidents": incidents_path, **scenario_opts.inputs()},
    )
    rows = check_incidents_header(incidents_path)
    if rows < len(params):
        raise CalibrationError(
            f"incidents file {str(incidents_path)!r} has {rows} rows for {len(params)} parameters "
            f"({', '.join(params)}); a fit needs at least as many incidents as parameters: name fewer "
            "(--parameters) or give more incidents"
        )
    if folds == 1 or folds > rows:
        raise ParameterError(f"--folds {folds}: give 2 to {rows} (the incidents), or 0 for no cross-validation")

    def provinces_known(region, profile) -> None:  # before the graph is built
        layer = region.layers["provinces"]
        names = list(layer.loc[layer["iso_a3"] == "VNM", "name"])
        cal.check_provinces(factors, names)

    scenario = build_scenario(scenario_opts, check=provinces_known)
    result = cal.calibrate(
        scenario,
        incidents_path,
        parameters=params,
        folds=folds,
        grid=grid,
        samples=scenario_opts.samples or cal.DEFAULT_SAMPLES,
        scale_h=logit_scale_h,
        reporting=factors,
    )
    echo_scenario(scenario)
    echo(cal.summary_text(result.summary))
    with atomic_path(out, overwrite=overwrite) as tmp_profile, atomic_path(json_path, overwrite=overwrite) as tmp_json:
        tmp_profile.write_text(result.toml(), encoding="utf-8")
        tmp_json.write_text(json_text(result.summary) + "\n", encoding="utf-8")
    echo(f"wrote the calibrated profile to {out} and the estimates, intervals and scores to {json_path}")


COMMANDS = [calibrate]
