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
    """Text of the open popup, once Leaflet has shown it."""
    from selenium.webdriver.support.ui import WebDriverWait

    popup = WebDriverWait(driver, 5).until(
        lambda d: next((p for p in d.find_elements("css selector", ".leaflet-popup-content") if p.is_displayed()), None)
    )
    return popup.get_attribute("textContent")


def severe_console_messages(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def layer_toggle(driver, starts_with: str):
    for label in driver.find_elements("css selector", ".leaflet-control-layers-overlays label"):
        if label.text.strip().startswith(starts_with):
            return label.find_element("css selector", "input")
    raise AssertionError(f"no layer {starts_with!r} in the layer control")


def test_report_map_renders_offline_with_every_gate_and_layer(browser, report_dir, analysis):
    seconds = open_page(browser, report_dir / "map.html")
    print(f"map.html rendered in {seconds:.2f} s")
    assert severe_console_messages(browser) == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    gates = analysis.ranking.gates
    placed = int((gates["lon"].notna() & gates["lat"].notna()).sum())
    assert browser.execute_script("return document.querySelectorAll('.bw-gate').length") == placed
    labels = browser.find_elements("css selector", ".leaflet-control-layers-overlays label")
    assert len(labels) == 17  # 8 region layers and 9 analysis layers
    assert browser.find_element("css selector", ".bw-legend").is_displayed()
    assert browser.find_element("css selector", ".leaflet-control-scale").is_displayed()
    shot(browser, "map.png")


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
    shot(browser, "map_popup.png")


def test_a_gate_named_like_a_script_is_shown_as_text(browser, region, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException

    from borderwatch.maps import region_map, save_map

    gates = region.layers["gates"]
    original = gates.loc[0, "name"]
    gates.loc[0, "name"] = EVIL
    try:
        path = save_map(region_map(region), tmp_path / "evil.html")
    finally:
        gates.loc[0, "name"] = original
    open_page(browser, path)
    marker = browser.find_element("css selector", f'.bw-gate[title="{EVIL} ({gates.loc[0, "id"]})"]')
    browser.execute_script("arguments[0].click()", marker)
    assert popup_text(browser).startswith(f"{EVIL} (")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 (reading it is the check)
    assert severe_console_messages(browser) == []


def test_report_index_page(browser, report_dir):
    browser.get((report_dir / "index.html").resolve().as_uri())
    assert "borderwatch report" in browser.title
    assert browser.find_element("css selector", "a.button").get_attribute("href").endswith("map.html")
    assert len(browser.find_elements("css selector", "table.data")) >= 5
    assert severe_console_messages(browser) == []
    shot(browser, "index.png")
