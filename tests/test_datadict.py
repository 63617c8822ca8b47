"""The report's words: cost and time named apart, rounding for display, the data dictionary, the headline."""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from borderwatch import datadict
from borderwatch.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _columns(folder: Path) -> dict[str, list[str]]:
    out = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8") as f:
                out[path.name] = next(csv.reader(f))
        elif path.suffix == ".geojson":
            out[path.name] = [c for c in gpd.read_file(path).columns if c != "geometry"]
    return out


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value[:50] for k in _keys(v)}
    return set()


def test_generalised_cost_is_never_named_as_hours_in_any_file(report_dir):
    names = {c for cols in _columns(report_dir).values() for c in cols}
    for path in report_dir.glob("*.json"):
        if path.name not in ("manifest.json", "datapackage.json"):
            names |= _keys(json.loads(path.read_text(encoding="utf-8")))
    costly = sorted(n for n in names if "cost" in n or "resistance" in n)
    assert costly, "no cost columns found"
    assert [n for n in costly if not n.endswith("_heq")] == []  # e.g. was travel_cost_h, cost, cost_before
    assert "time_h" in names  # clock time keeps its hours


def test_the_index_page_labels_cost_and_travel_time_apart_and_explains_them_once(report_dir):
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    card = re.search(r"Least-cost route to Hanoi</div><div class=\"value\">([^<]*)<", page).group(1)
    assert "h-eq" in card and "h travel time" in card  # was "49.1 h via ..."
    assert "travel (h)" not in page  # the ranking's cost from the Golden Triangle, labelled as time
    assert page.count('id="glossary"') == 1
    glossary = page[page.index('id="glossary"') :]
    for term in ("cost (h-eq)", "travel time (h)"):
        assert term in glossary
    assert page.count("h-equivalent") == 1  # explained once, in the glossary


def test_scores_and_shares_are_rounded_on_the_page_but_not_in_the_files(report_dir):
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    tables = "".join(re.findall(r"<table.*?</table>", page, flags=re.S))
    assert re.findall(r"\b\d+\.\d{4,}\b", tables) == []  # was 0.7763, 0.01518
    ranking = pd.read_csv(report_dir / "ranking.csv")
    assert (ranking["score"].round(6) != ranking["score"].round(3)).any()  # full precision kept


def test_the_datapackage_describes_every_column_and_validates(report_dir):
    frictionless = pytest.importorskip("frictionless")
    package = json.loads((report_dir / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["path"]: r for r in package["resources"]}
    listed = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert set(described) | {"datapackage.json"} == set(listed) | {"manifest.json"}  # all but itself
    for name, columns in _columns(report_dir).items():
        fields = {f["name"]: f for f in described[name]["schema"]["fields"]}
        assert [c for c in columns if c not in fields] == [], name
        for c in columns:
            assert fields[c]["description"] and fields[c]["type"], (name, c)
    report = frictionless.Package(str(report_dir / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])[:10]


def test_an_undocumented_column_is_refused(report_dir, tmp_path):
    table = pd.read_csv(report_dir / "sites.csv").assign(mystery=1)
    table.to_csv(tmp_path / "sites.csv", index=False)
    with pytest.raises(datadict.UndocumentedError, match=r"sites\.csv: column 'mystery' is not in the data dictionary"):
        datadict.data_package(tmp_path, files={"sites.csv": "proposed new BLO sites"})


def test_the_data_dictionary_page_is_current():
    page = (ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert page == datadict.dictionary_markdown(), (
        "regenerate: python -m borderwatch.datadict > docs/data_dictionary.md"
    )


def test_the_report_headline_says_what_a_planner_needs(analysis, report_dir):
    from borderwatch.report import headline

    lines = headline(analysis, report_dir)
    text = "\n".join(lines)
    top = analysis.ranking.gates.iloc[0]
    assert str(top["name"]) in lines[0]
    for border in ("LAO", "CHN", "KHM"):
        assert border in text
    assert "next BLO" in text and "interdict" in text.lower()
    assert str(report_dir / "index.html") in lines[-1]
    assert len(lines) <= 8


def test_gate_notes_are_one_summary_line_elsewhere_and_in_full_in_gates(region, caplog):
    from borderwatch.gates import NOTES_SUMMARY, place_gates

    with caplog.at_level(logging.WARNING, logger="borderwatch.gates"):
        placed = place_gates(region)
    noted = int((~placed["snap_plausible"]).sum())
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and getattr(warnings[0], NOTES_SUMMARY)
    assert warnings[0].getMessage().startswith(f"{noted} gates placed with notes")
    result = CliRunner().invoke(main, ["gates"])
    assert result.exit_code == 0, result.output
    assert "see `borderwatch gates`" not in result.stderr
    assert sum("placed with a note: " in line for line in result.stdout.splitlines()) == noted
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert f"{noted} gates placed with notes" in result.stdout
    assert "WARNING" not in result.stderr


def test_the_cli_shows_the_summary_as_a_note():
    from borderwatch.cli import _SafeFormatter
    from borderwatch.gates import NOTES_SUMMARY, notes_summary

    record = logging.LogRecord("borderwatch.gates", logging.WARNING, __file__, 1, notes_summary(9), None, None)
    setattr(record, NOTES_SUMMARY, True)
    line = _SafeFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert line == "note: 9 gates placed with notes (their border position is approximate); see `borderwatch gates`"
