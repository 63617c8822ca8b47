"""The map in a real headless Chromium with the network cut off: it renders, counts, toggles and pops up.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them).
Without them these tests are skipped, unless ``BORDERWATCH_REQUIRE_BROWSER=1``
(set by ``.ci/run``), which turns the skip into a failure.  Screenshots go to
``test-artifacts/`` (or ``$BORDERWATCH_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("BORDERWATCH_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def comparison(scenario):
    """Loc Thinh closed and the trails of the route to Ho Chi Minh City, Cau Treo inspected, a BLO named like a
    script added."""
    from borderwatch import AddBLO, CloseGates, CloseSegments, InspectGates, compare

    other = scenario.edited(
        CloseGates(("VN-KHM-009",)),
        CloseSegments(("KHM-05-0104",)),
        InspectGates(("VN-LAO-016",)),
        AddBLO(name=EVIL, at_gate="VN-LAO-019"),
    )
    return compare(scenario, other)


@pytest.fixture(scope="module")
def comparison_dir(comparison, tmp_path_factory):
    """The comparison folder (write_comparison), written once."""
    from borderwatch.report import write_comparison

    out = tmp_path_factory.mktemp("comparison") / "cmp"
    write_comparison(comparison, out)
    return out


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("BORDERWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (apt-get install chromium chromium-driver)")
        pytest.skip("no chromium/chromedriver on this machine")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="borderwatch-chromium-")
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
        "--proxy-server=127.0.0.1:9",  # a dead proxy: any request for the network fails
        "--proxy-bypass-list=<-loopback>",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def open_page(driver, path: Path) -> float:
    """Open a local page; return the seconds until Leaflet has drawn the gate symbols."""
    started = time.perf_counter()
    driver.get(path.resolve().as_uri())
    deadline = started + 20
    while time.perf_counter() < deadline:
        if driver.execute_script("return document.querySelectorAll('.bw-gate').length") > 0:
            break
        time.sleep(0.05)
    return time.perf_counter() - started


def shot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    return path


def popup_text(driver) -> str:
    """Text of the open popup, once Leaflet has shown it (not one closing: it fades out for 0.2 s first)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 5).until(
        lambda d: d.execute_script(
            "var open = Array.from(document.querySelectorAll('.leaflet-popup')).filter(p => p.style.opacity !== '0');"
            "return open.length ? open[open.length - 1].querySelector('.leaflet-popup-content').textContent : null;"
        )
    )


def severe_console_messages(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def layer_toggle(driver, starts_with: str):
    for label in driver.find_elements("css selector", ".leaflet-control-layers-overlays label"):
        if label.get_attribute("textContent").strip().startswith(starts_with):  # the control may be collapsed
            return label.find_element("css selector", "input")
    raise AssertionError(f"no layer {starts_with!r} in the layer control")


#: What the layer control lists, by group (the answer first; heavy layers off).
GROUPS = ["Answer", "Analysis", "Interdiction and inspection (one at a time)", "Reference data"]
INTERACTIVE = (
    "return document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length"
    " + document.querySelectorAll('.leaflet-marker-icon.leaflet-interactive').length"
)
DOCS_SHOTS = ("map_desktop_z6.png", "map_z11.png", "map_print.png", "map_phone.png", "map_popup.png")


def test_report_map_renders_offline_with_every_gate_and_layer(browser, report_dir, analysis):
    seconds = open_page(browser, report_dir / "map.html")
    print(f"map.html rendered in {seconds:.2f} s")
    assert severe_console_messages(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    gates = analysis.ranking.gates
    placed = int((gates["lon"].notna() & gates["lat"].notna()).sum())
    assert browser.execute_script("return document.querySelectorAll('.bw-gate').length") == placed
    labels = browser.find_elements("css selector", ".leaflet-control-layers-overlays label")
    assert len(labels) == 26  # 4 answer, 7 analysis, 2 interdiction + 2 inspection, 11 reference layers
    titles = browser.find_elements("css selector", ".leaflet-control-layers-overlays .bw-group-title")
    assert [t.get_attribute("textContent") for t in titles] == GROUPS
    control = browser.find_element("css selector", ".leaflet-control-layers")
    assert "leaflet-control-layers-expanded" not in control.get_attribute("class")  # collapsed to its icon
    assert not layer_toggle(browser, "Ensemble route usage").is_selected()  # heavy layers start off
    assert layer_toggle(browser, "Least-cost routes").is_selected() and layer_toggle(browser, "Uncovered").is_selected()
    interactive = browser.execute_script(INTERACTIVE)
    print(f"interactive paths and markers at load: {interactive}")
    assert interactive < 400  # was 4,294 (4,159 paths and 135 markers) with every layer on
    assert "the shipped data" in browser.find_element("css selector", ".bw-title").text
    assert browser.find_element("css selector", ".bw-legend").is_displayed()
    assert browser.find_element("css selector", ".leaflet-control-scale").is_displayed()
    assert browser.find_element("css selector", ".bw-search input").is_displayed()
    shot(browser, "map.png")


def zoom_to(driver, lat: float, lon: float, zoom: int) -> None:
    driver.execute_script(f"{map_variable(driver)}.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    time.sleep(0.6)


def shown(driver, selector: str) -> int:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).filter(e => e.offsetParent !== null).length",
        selector,
    )


def test_labels_appear_with_zoom_and_roads_are_drawn(browser, report_dir, analysis):
    open_page(browser, report_dir / "map.html")
    zoom_to(browser, 16.0, 105.5, 6)
    assert shown(browser, ".bw-lbl-gate") == 5  # the top five gates named at zoom 6
    assert shown(browser, ".bw-lbl-province") == 0
    assert 0 < shown(browser, ".bw-lbl-town") < 30  # the largest towns only
    assert browser.execute_script("return document.querySelectorAll('.leaflet-overlay-pane canvas').length") >= 1
    shot(browser, "map_desktop_z6.png")
    top = analysis.ranking.gates.iloc[0]
    zoom_to(browser, float(top["lat"]), float(top["lon"]), 11)
    assert shown(browser, ".bw-lbl-province") > 0 and shown(browser, ".bw-lbl-town") > 0
    gate_labels = [e.text for e in browser.find_elements("css selector", ".bw-lbl-gate") if e.is_displayed()]
    assert f"1. {top['name']}" in gate_labels
    assert severe_console_messages(browser) == []
    shot(browser, "map_z11.png")


def search(driver, query: str) -> list[str]:
    box = driver.find_element("css selector", ".bw-search input")
    box.clear()
    box.send_keys(query)
    return [li.text for li in driver.find_elements("css selector", ".bw-search li")]


def test_search_finds_a_gate_a_town_and_says_when_nothing_matches(browser, report_dir, analysis):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, report_dir / "map.html")
    top = analysis.ranking.gates.iloc[0]
    results = search(browser, top["name"].lower())  # any case, accents ignored
    assert results and results[0].startswith(top["name"]) and results[0].endswith("gate")
    browser.find_element("css selector", ".bw-search input").send_keys(Keys.ENTER)
    assert popup_text(browser).startswith(top["name"])
    assert browser.execute_script(f"return {map_variable(browser)}.getZoom()") >= 10
    assert search(browser, top["gate_id"])[0].startswith(top["name"])  # by id
    assert any(r.startswith("Lang Son") for r in search(browser, "lạng sơn"))  # a town, with its accents
    segment = analysis.coverage.segments["segment_id"].iloc[0]
    assert search(browser, segment)[0] == f"{segment}border segment"  # in a layer that starts off
    assert search(browser, "Atlantis <b>") == ["Nothing on this map is called \u201cAtlantis <b>\u201d"]
    assert severe_console_messages(browser) == []


def test_print_layout_shows_the_map_and_legend_without_controls(browser, report_dir):
    open_page(browser, report_dir / "map.html")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        time.sleep(0.5)
        for selector in (".leaflet-control-layers", ".leaflet-control-zoom", ".bw-search"):
            assert not browser.find_element("css selector", selector).is_displayed(), selector
        assert browser.find_element("css selector", ".bw-legend").is_displayed()
        assert browser.execute_script("return document.querySelector('.bw-legend details').open")
        size = browser.execute_script(
            "var r = document.querySelector('.folium-map').getBoundingClientRect(); return [r.width, r.height];"
        )
        assert size[0] >= 0.95 * browser.execute_script("return window.innerWidth") and size[1] > 500
        assert browser.execute_script("return document.querySelectorAll('.bw-gate').length") > 0
        shot(browser, "map_print.png")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_phone_layout_at_390_by_844(browser, report_dir, analysis):
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    )
    try:
        open_page(browser, report_dir / "map.html")
        assert not browser.execute_script("return document.querySelector('.bw-legend details').open")  # folded
        control = browser.find_element("css selector", ".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in control.get_attribute("class")
        title = browser.find_element("css selector", ".bw-title").rect
        assert title["width"] < 0.6 * 390
        search_box = browser.find_element("css selector", ".bw-search").rect
        assert search_box["x"] >= 0 and search_box["x"] + search_box["width"] <= 390
        top = analysis.ranking.gates.iloc[0]
        marker = browser.find_element("css selector", f'.bw-gate[title="{top["name"]} ({top["gate_id"]})"]')
        browser.execute_script("arguments[0].click()", marker)
        popup = browser.find_element("css selector", ".leaflet-popup").rect
        assert popup["width"] <= 390
        assert severe_console_messages(browser) == []
        shot(browser, "map_phone.png")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_interdiction_before_and_after_show_one_at_a_time(browser, report_dir):
    open_page(browser, report_dir / "map.html")
    before, after = layer_toggle(browser, "Interdiction: before"), layer_toggle(browser, "Interdiction: after")
    assert not before.is_selected() and not after.is_selected()
    browser.execute_script("arguments[0].click()", before)
    assert before.is_selected() and not after.is_selected()
    browser.execute_script("arguments[0].click()", layer_toggle(browser, "Interdiction: after"))
    time.sleep(0.2)
    before, after = layer_toggle(browser, "Interdiction: before"), layer_toggle(browser, "Interdiction: after")
    assert after.is_selected() and not before.is_selected()
    assert severe_console_messages(browser) == []


def test_toggling_a_layer_hides_it(browser, report_dir):
    open_page(browser, report_dir / "map.html")
    count = "return document.querySelectorAll('.bw-gate').length"
    before = browser.execute_script(count)
    toggle = layer_toggle(browser, "Border gates")
    browser.execute_script("arguments[0].click()", toggle)
    assert browser.execute_script(count) == 0
    browser.execute_script("arguments[0].click()", toggle)
    assert browser.execute_script(count) == before
    paths = "return document.querySelectorAll('.leaflet-overlay-pane path').length"
    with_routes = browser.execute_script(paths)
    browser.execute_script("arguments[0].click()", layer_toggle(browser, "Least-cost routes"))
    assert browser.execute_script(paths) < with_routes


def test_clicking_a_gate_opens_its_popup_with_metrics_and_provenance(browser, report_dir, analysis):
    open_page(browser, report_dir / "map.html")
    top = analysis.ranking.gates.iloc[0]
    marker = browser.find_element("css selector", f'.bw-gate[title="{top["name"]} ({top["gate_id"]})"]')
    browser.execute_script("arguments[0].click()", marker)
    text = popup_text(browser)
    assert top["name"] in text and "risk score" in text and "Provenance" in text and "snapping method" in text
    assert "Ranked 1 of" in text and "mainly because" in text and "closing it would move no flow" in text
    assert not browser.find_element("css selector", ".leaflet-popup details").get_attribute("open")  # folded
    shot(browser, "map_popup.png")


HOSTILE = [
    EVIL,
    "Cửa khẩu \"Lộc Thịnh\" <b>bold</b> & 'quoted'",
    "معبر حدودي שער",  # right to left
    ("A very long gate name " * 12).strip(),
]


def test_hostile_names_and_an_empty_layer_are_shown_safely(browser, region, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    from borderwatch.maps import region_map, save_map

    gates, places = region.layers["gates"], region.layers["places"]
    originals = gates.loc[: len(HOSTILE) - 1, "name"].copy()
    gates.loc[: len(HOSTILE) - 1, "name"] = HOSTILE
    region.layers["places"] = places.iloc[:0]  # an empty layer: no towns
    try:
        path = save_map(region_map(region), tmp_path / "evil.html")
    finally:
        gates.loc[: len(HOSTILE) - 1, "name"] = originals
        region.layers["places"] = places
    open_page(browser, path)
    for i, name in enumerate(HOSTILE):
        title = f"{name} ({gates.loc[i, 'id']})"
        marker = browser.execute_script(
            "return Array.from(document.querySelectorAll('.bw-gate')).find(e => e.title === arguments[0])", title
        )
        assert marker is not None, title
        browser.execute_script(f"{map_variable(browser)}.closePopup()")
        browser.execute_script("arguments[0].click()", marker)
        assert popup_text(browser).startswith(f"{name} (")
        # measured in the page, in one call: Leaflet may re-render the popup (auto-pan) between two driver calls
        width = browser.execute_script("return document.querySelector('.leaflet-popup').getBoundingClientRect().width")
        assert width <= 440  # a very long name wraps (popups are at most 380 px wide, plus padding)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert search(browser, "معبر")[0].startswith("معبر")
    assert not layer_toggle(browser, "Towns").is_selected() or shown(browser, ".bw-lbl-town") == 0
    assert severe_console_messages(browser) == []


def test_report_index_page(browser, report_dir):
    browser.get((report_dir / "index.html").resolve().as_uri())
    assert "borderwatch report" in browser.title
    assert browser.find_element("css selector", "a.button").get_attribute("href").endswith("map.html")
    assert len(browser.find_elements("css selector", "table.data")) >= 5
    assert severe_console_messages(browser) == []
    shot(browser, "index.png")


def map_variable(driver) -> str:
    return driver.execute_script(
        "for (var k in window) { if (k.startsWith('map_') && window[k] instanceof L.Map) { return k; } } return null;"
    )


def paths_stroked(driver, colour: str) -> int:
    return driver.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path[stroke=\"' + arguments[0] + '\"]').length", colour
    )


def test_comparison_map_renders_offline_with_three_route_colours_and_marked_edits(browser, comparison_dir, comparison):
    from borderwatch.maps.symbols import COLOURS

    seconds = open_page(browser, comparison_dir / "compare.html")
    print(f"compare.html rendered in {seconds:.2f} s")
    assert severe_console_messages(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    for part in ("both", "base_only", "scenario_only"):
        assert paths_stroked(browser, COLOURS[part]) > 0, part
    closed = browser.find_elements("css selector", ".bw-gate.bw-closed")
    assert [c.get_attribute("title") for c in closed] == ["Loc Thinh (VN-KHM-009, closed)"]
    assert len(browser.find_elements("css selector", ".bw-gate.bw-inspected")) == 1
    placed = comparison.other.scenario.gates.set_index("id")
    shown = placed.loc[placed.index.intersection(comparison.gates["gate_id"])]
    assert len(browser.find_elements("css selector", ".bw-gate")) == int(shown["lon"].notna().sum())
    legend = browser.find_element("css selector", ".bw-legend")
    assert legend.is_displayed() and "only in the scenario (new)" in legend.get_attribute("textContent")
    title = browser.find_element("css selector", ".bw-title").text
    assert title.startswith("What if: close gate VN-KHM-009") and "baseline: base" in title
    shot(browser, "compare.png")
    browser.execute_script(f"{map_variable(browser)}.setView([20.9, 104.2], 9)")
    time.sleep(0.5)
    shot(browser, "compare_zoom.png")


def test_clicking_a_closed_gate_on_the_comparison_map_gives_both_runs(browser, comparison_dir):
    open_page(browser, comparison_dir / "compare.html")
    marker = browser.find_element("css selector", ".bw-gate.bw-closed")
    browser.execute_script("arguments[0].click()", marker)
    text = popup_text(browser)
    assert text.startswith("Loc Thinh: baseline → scenario") and "closed" in text
    assert "risk rank, baseline → scenario" in text and "flow change interval (5–95 %)" in text
    shot(browser, "compare_popup.png")


def test_a_blo_named_like_a_script_on_the_comparison_map_is_shown_as_text(browser, comparison_dir):
    from selenium.common.exceptions import NoAlertPresentException

    open_page(browser, comparison_dir / "compare.html")
    marker = browser.find_element("css selector", f'.bw-blo[title="{EVIL} (added)"]')
    browser.execute_script("arguments[0].click()", marker)
    text = popup_text(browser)
    assert text.startswith(f"BLO {EVIL}") and "scenario edit" in text and "added" in text
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert EVIL in browser.find_element("css selector", ".bw-title").text  # the scenario's name, as text
    assert severe_console_messages(browser) == []


def test_toggling_a_route_part_of_the_comparison_hides_it(browser, comparison_dir):
    from borderwatch.maps.symbols import COLOURS

    open_page(browser, comparison_dir / "compare.html")
    before = paths_stroked(browser, COLOURS["scenario_only"])
    toggle = layer_toggle(browser, "Least-cost routes only in the scenario")
    browser.execute_script("arguments[0].click()", toggle)
    assert paths_stroked(browser, COLOURS["scenario_only"]) == 0 < before
    assert paths_stroked(browser, COLOURS["base_only"]) > 0


def test_report_index_with_a_comparison(browser, analysis, comparison, tmp_path):
    from borderwatch.report import write_report

    out = tmp_path / "report"
    write_report(analysis, out, comparison=comparison)
    browser.get((out / "index.html").resolve().as_uri())
    buttons = [b.get_attribute("href") for b in browser.find_elements("css selector", "a.button")]
    assert buttons[0].endswith("map.html") and buttons[1].endswith("compare.html")
    heading = next(h for h in browser.find_elements("css selector", "h2") if h.text.startswith("What if"))
    assert EVIL in heading.text  # escaped in the page, shown as text
    assert severe_console_messages(browser) == []
    shot(browser, "index_comparison.png")
