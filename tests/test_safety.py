"""Issue 18: outputs that lose nobody's data, claims that cannot race, a cache that runs no code.

One test (or a few) per defect a hostile tester found: folders replaced that
borderwatch did not write, two runs silently replacing each other, temporaries
left by ``kill -9`` and SIGHUP, symbolic links, planted temporaries, the
pickle cache (code execution, tampering, faults, permissions), CSV formula
injection and GDAL errors on a full disk.
"""

import json
import logging
import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point, Polygon

from borderwatch import OutputError, OutputExistsError
from borderwatch.cli import main
from borderwatch.cli.options import handle_errors
from borderwatch.network import cache
from borderwatch.network.graphio import save_graph
from borderwatch.network.profile import load_profile
from borderwatch.output import TABLE_WRITERS, atomic_dir, atomic_path, check_output, check_output_dir, write_table
from borderwatch.readers import LAYER_FILES
from borderwatch.region import Region

REPO = Path(__file__).resolve().parents[1]
#: A region without layers: cached_route_graph checks its type, graph_key and the build are replaced.
NO_LAYERS = Region(layers={}, terrain=None)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def failed_cleanly(result, message: str) -> bool:
    return result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def python(code: str, **kwargs) -> subprocess.Popen:
    """A child Python running ``code`` with this checkout's borderwatch."""
    env = os.environ | {"PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True, **kwargs)


def borderwatch_folder(path: Path, files: dict[str, str]) -> Path:
    """A folder like one borderwatch wrote: the files and a manifest listing them."""
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text, encoding="utf-8")
    manifest = {"made_by": "borderwatch", "files": {name: {"sha256": "0"} for name in files}}
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def contents(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- overwrite replaces only what borderwatch wrote -------------------------------------------------


def extension(tmp_path: Path) -> Path:
    """A browser-extension folder that happens to hold a manifest.json."""
    ext = tmp_path / "ext"
    (ext / "src").mkdir(parents=True)
    (ext / "manifest.json").write_text('{"manifest_version": 3, "name": "mine"}', encoding="utf-8")
    (ext / "src" / "app.js").write_text("app()", encoding="utf-8")
    (ext / "background.js").write_text("bg()", encoding="utf-8")
    return ext


def test_overwrite_refuses_a_folder_whose_manifest_is_not_borderwatchs(tmp_path):
    ext = extension(tmp_path)
    before = contents(ext)
    with pytest.raises(OutputError, match="does not say borderwatch made it"):
        check_output_dir(ext, overwrite=True)
    result = run("report", "--out", ext, "--overwrite", "--data", tmp_path / "nowhere")
    assert failed_cleanly(result, "output folder") and "does not say borderwatch made it" in result.output
    assert contents(ext) == before and sorted(p.name for p in tmp_path.iterdir()) == ["ext"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"notes.txt": "mine"}, "it holds 'notes.txt', which its manifest.json does not list"),
        ({"a.txt": "1", "b.txt": "2"}, "it holds 'a.txt' (and 1 more)"),
    ],
)
def test_overwrite_refuses_a_borderwatch_folder_holding_unlisted_files(tmp_path, extra, reason):
    out = borderwatch_folder(tmp_path / "report", {"ranking.csv": "rank"})
    for name, text in extra.items():
        (out / name).write_text(text, encoding="utf-8")
    before = contents(out)
    with pytest.raises(OutputError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        with atomic_dir(out, overwrite=True) as tmp:
            (tmp / "manifest.json").write_text("{}")
    assert contents(out) == before


def test_overwrite_refuses_a_subfolder_even_if_listed(tmp_path):
    out = borderwatch_folder(tmp_path / "report", {"ranking.csv": "rank"})
    (out / "ranking.csv").unlink()
    (out / "ranking.csv").mkdir()
    with pytest.raises(OutputError, match=r"'ranking\.csv' in it is not a regular file"):
        check_output_dir(out, overwrite=True)


def test_overwrite_replaces_a_folder_borderwatch_wrote_and_leaves_nothing_beside_it(tmp_path):
    out = borderwatch_folder(tmp_path / "report", {"ranking.csv": "old"})
    with atomic_dir(out, overwrite=True) as tmp:
        (tmp / "ranking.csv").write_text("new")
        (tmp / "manifest.json").write_text(json.dumps({"made_by": "borderwatch", "files": {"ranking.csv": {}}}))
    assert (out / "ranking.csv").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # no temporary, no .old, no lock
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()  # an ordinary folder, not mkdtemp's 0700


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_overwrite_replaces_only_regular_files(tmp_path, kind):
    out = tmp_path / "out.csv"
    if kind == "fifo":
        os.mkfifo(out)
        with pytest.raises(OutputError, match="is not a regular file"):
            check_output(out, overwrite=True)
    else:
        out.mkdir()
        with pytest.raises(Exception, match="is a folder"):
            check_output(out, overwrite=True)
    assert out.exists() and not out.is_file()


# -- symbolic links are refused, never replaced ---------------------------------------------------------


def test_a_symlinked_output_folder_is_refused_and_nothing_is_left(tmp_path):
    target = borderwatch_folder(tmp_path / "real", {"ranking.csv": "old"})
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(OutputError, match="is a symbolic link"):
        with atomic_dir(link, overwrite=True) as tmp:
            (tmp / "manifest.json").write_text(json.dumps({"made_by": "borderwatch", "files": {}}))
    assert link.is_symlink() and (target / "ranking.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]  # no .link.<pid>.old


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_output_file_is_refused(tmp_path, region, dangling):
    target = tmp_path / "victim.csv"
    if not dangling:
        target.write_text("precious")
    link = tmp_path / "gates.csv"
    link.symlink_to(target)
    with pytest.raises(OutputError, match="is a symbolic link"):
        write_table(region.gates.iloc[:2], link, overwrite=True)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "precious" if not dangling else not target.exists()


# -- claims are exclusive ------------------------------------------------------------------------------


def _holding(code: str, ready: Path) -> subprocess.Popen:
    child = python(code)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), "the child never got there"
    return child


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_a_second_writer_of_the_same_output_fails_at_its_check(tmp_path, kind):
    out, ready = tmp_path / ("report" if kind == "folder" else "gates.csv"), tmp_path / "ready"
    check = "check_output_dir" if kind == "folder" else "check_output"
    child = _holding(
        f"""
        import time
        from pathlib import Path
        from borderwatch.output import {check}
        {check}({str(out)!r})
        Path({str(ready)!r}).touch()
        time.sleep(60)
        """,
        ready,
    )
    try:
        with pytest.raises(OutputError, match=rf"being written by another borderwatch run \(process {child.pid}\)"):
            (check_output_dir if kind == "folder" else check_output)(out)
    finally:
        child.kill()
        child.wait()
    (check_output_dir if kind == "folder" else check_output)(out)  # the claim died with its process


def test_two_cli_runs_to_the_same_new_output_cannot_both_succeed(tmp_path):
    out = tmp_path / "graph.gpkg"
    env = os.environ | {"PYTHONPATH": str(REPO)}
    first = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "build-network", "--no-cache", "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / ".graph.gpkg.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = run("build-network", "--no-cache", "--out", out)
        assert failed_cleanly(second, "is being written by another borderwatch run"), second.output
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert list(tmp_path.iterdir()) == []


def test_an_output_that_appears_during_the_run_is_not_replaced(tmp_path):
    out = tmp_path / "gates.csv"
    with pytest.raises(OutputExistsError, match="appeared while it was being written"):
        with atomic_path(out) as tmp:
            tmp.write_text("mine")
            out.write_text("someone else's")
    assert out.read_text() == "someone else's"
    folder = tmp_path / "report"
    with pytest.raises(OutputExistsError, match="appeared while it was being written"):
        with atomic_dir(folder) as tmp:
            (tmp / "manifest.json").write_text("{}")
            folder.mkdir()
            (folder / "theirs.txt").write_text("theirs")
    assert contents(folder) == {"theirs.txt": "theirs"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gates.csv", "report"]


def test_a_failed_command_releases_its_claim(tmp_path):
    out = tmp_path / "routes.csv"
    result = run("routes", "--to", "Hanoi", "--out", out, "--data", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert list(tmp_path.iterdir()) == []  # no lock file left


# -- temporaries of killed writers, planted temporaries ---------------------------------------------------


def test_a_killed_report_writers_part_folder_is_removed_by_the_next_write(tmp_path):
    out, ready = tmp_path / "report", tmp_path / "ready"
    child = _holding(
        f"""
        import time
        from pathlib import Path
        from borderwatch.output import atomic_dir
        with atomic_dir({str(out)!r}) as tmp:
            (tmp / "map.html").write_text("half a map")
            Path({str(ready)!r}).touch()
            time.sleep(60)
        """,
        ready,
    )
    child.kill()  # kill -9: no clean-up runs
    child.wait()
    ready.unlink()
    old_style = tmp_path / ".report.999999999.part"  # what earlier versions left
    old_style.mkdir()
    (old_style / "ranking.csv").write_text("half")
    assert len([p for p in tmp_path.iterdir() if ".part" in p.name]) == 2
    with atomic_dir(out) as tmp:
        (tmp / "manifest.json").write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_stale_part_folders_of_files_are_removed(tmp_path, region):
    stale = tmp_path / ".gates.csv.999999999.abcd1234.part"
    stale.mkdir()
    (stale / "gates.csv").write_text("half")
    write_table(region.gates.iloc[:2], tmp_path / "gates.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["gates.csv"]


def test_a_planted_symlink_cannot_redirect_a_temporary(tmp_path, region):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "gates.csv"
    for name in (f".gates.csv.{os.getpid()}.part.csv", f".gates.csv.{os.getpid()}.part"):
        (tmp_path / name).symlink_to(victim)  # the names earlier versions wrote to
    write_table(region.gates.iloc[:2], out)
    assert victim.read_text() == "precious"
    assert out.is_file() and not out.is_symlink() and pd.read_csv(out)["id"].tolist() == ["VN-CHN-001", "VN-CHN-002"]


# -- signals ------------------------------------------------------------------------------------------------


def _default_signal_handling() -> None:
    """In the child: the signals a launcher may have set to be ignored (nohup: SIGHUP; `&`: SIGINT) act again.

    The command keeps an ignored SIGHUP ignored (the next test); this test is about what it does
    when a signal arrives, so its child starts as a terminal's would.
    """
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_sigterm_ctrl_c_and_sighup_exit_by_convention_and_leave_nothing(tmp_path, sig, code):
    out = tmp_path / "graph.gpkg"
    env = os.environ | {"BORDERWATCH_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "borderwatch", "build-network", "--no-cache", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=_default_signal_handling,  # as from a terminal, even when the suite runs under nohup or in `&`
    )
    deadline = time.monotonic() + 30
    while not (tmp_path / ".graph.gpkg.lock").exists() and time.monotonic() < deadline:  # --out checked
        time.sleep(0.05)
    time.sleep(2)  # inside the build
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "nothing was written" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".graph*"))


def test_an_ignored_sighup_stays_ignored(monkeypatch):
    seen = []
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        handle_errors(lambda: seen.append(signal.getsignal(signal.SIGHUP)))()
        assert seen == [signal.SIG_IGN] and signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)


# -- CSV formula injection -------------------------------------------------------------------------------------

EVIL = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\r=1+1", "x\r=1+1", "a=b"]


def test_csv_text_cells_that_start_a_formula_are_neutralised_numbers_are_not(tmp_path):
    table = pd.DataFrame({"name": EVIL, "score": [-3.5, 1.0, -2.0, 0.0, 5.0, 6.0, 7.0, 8.0], "@odd": range(8)})
    out = write_table(table, tmp_path / "t.csv")
    back = pd.read_csv(out, keep_default_na=False)  # a carriage return in a cell is quoted, not a row break
    assert back["name"].tolist() == ["'" + v if v[0] in "=+-@\t\r" else v for v in EVIL]
    assert back["score"].tolist() == [-3.5, 1.0, -2.0, 0.0, 5.0, 6.0, 7.0, 8.0]  # numbers unchanged
    assert list(back.columns) == ["name", "score", "'@odd"]
    assert table["name"].tolist() == EVIL  # the caller's table is not modified
    gdf = gpd.GeoDataFrame({"name": EVIL}, geometry=[Point(105, 21)] * len(EVIL), crs="EPSG:4326")
    geojson = write_table(gdf, tmp_path / "t.geojson")
    assert [f["properties"]["name"] for f in json.loads(geojson.read_text())["features"]] == EVIL  # untouched


def test_report_csvs_use_the_neutralising_writer(tmp_path):
    # ranking.csv, ranking_agreement.csv, sites.csv and compare.csv are written by TABLE_WRITERS[".csv"]
    TABLE_WRITERS[".csv"](pd.DataFrame({"gate_name": ["=1+1"], "score": [-1.25]}), tmp_path / "r.csv", "r")
    assert (tmp_path / "r.csv").read_text().splitlines() == ["gate_name,score", "'=1+1,-1.25"]


def test_gates_out_csv_neutralises_gate_names(data_dir, gates_csv, tmp_path):
    evil = gates_csv.replace("VN-CHN-005,Co Sau,", "VN-CHN-005,=cmd|' /C calc'!A0,", 1)
    root = data_dir({LAYER_FILES["gates"]: evil})
    out = tmp_path / "gates.csv"
    result = run("-q", "gates", "--data", root, "--out", out)
    assert result.exit_code == 0, result.output
    row = pd.read_csv(out).set_index("id").loc["VN-CHN-005"]
    assert row["name"] == "'=cmd|' /C calc'!A0"


# -- GDAL errors -----------------------------------------------------------------------------------------


def test_a_full_disk_while_gdal_writes_is_a_clear_error_and_leaves_nothing(tmp_path, region, monkeypatch):
    from pyogrio.errors import FeatureError

    def full(self, path, **kwargs):
        Path(path).write_text('{"type": "FeatureCollection", "features": [')  # half written
        raise FeatureError("failed to write feature 3: No space left on device")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", full)
    out = tmp_path / "gates.geojson"
    with pytest.raises(OutputError, match=r"output '.*gates.geojson' cannot be written \(GDAL: .*No space left"):
        write_table(region.gates.iloc[:3], out)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="No space left"), atomic_dir(tmp_path / "report") as tmp:
        TABLE_WRITERS[".geojson"](region.gates.iloc[:3], tmp / "routes.geojson", "routes")
    assert list(tmp_path.iterdir()) == []
    result = run("-q", "gates", "--out", out)
    assert failed_cleanly(result, "gates.geojson' cannot be written (GDAL: failed to write feature 3")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match=r"g.gpkg' cannot be written \(GDAL: .*No space left"):
        save_graph(toy_graph(), tmp_path / "g.gpkg")  # the graph writers too
    assert list(tmp_path.iterdir()) == []


# -- the graph cache ------------------------------------------------------------------------------------------


def toy_graph() -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326", origin="o", destinations={"D": "d"})
    G.add_node("o", x=100.0, y=20.0, kind="origin", country="LAO")
    G.add_node("d", x=105.8, y=21.0, kind="destination", country="VNM", name="D")
    G.add_edge("o", "d", key=0, mode="road", cost=1.5, length_m=1000.0, geometry=LineString([(100, 20), (105.8, 21)]))
    G.add_edge("o", "d", key=1, mode="river", cost=2.5, length_m=900.0, geometry=LineString([(100, 20), (105.8, 21)]))
    G.add_edge("d", "o", key=0, mode="road", cost=1.5, length_m=1000.0, geometry=LineString([(105.8, 21), (100, 20)]))
    return G


def cached_toy(tmp_path, monkeypatch, *, with_view: bool = False):
    """cached_route_graph on the toy graph (its view too with ``with_view``): the getter, the file, the builds.

    The key is fixed and every build is counted; the cache is tmp_path/cache.
    """
    builds = []
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "graph_key", lambda region, profile: "ab" * 32)
    monkeypatch.setattr(cache, "build_route_graph", lambda region, profile: builds.append(1) or toy_graph())
    profile = load_profile()
    kwargs = {"with_view": True} if with_view else {}

    def get():
        return cache.cached_route_graph(NO_LAYERS, profile=profile, **kwargs)

    return get, tmp_path / "cache" / f"route-graph-{'ab' * 16}.npz", builds


@pytest.fixture
def toy_cache(tmp_path, monkeypatch):
    """cached_route_graph on a toy graph, built and cached once: builds count the calls."""
    get, _, builds = cached_toy(tmp_path, monkeypatch)
    assert get()[1] == "built, cached"
    (path,) = (tmp_path / "cache").glob("route-graph-*")
    return get, path, builds


def same_as_toy(G) -> bool:
    want = toy_graph()
    return list(G.edges(keys=True, data="cost")) == list(want.edges(keys=True, data="cost"))


class Evil:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_cache_file_runs_no_code(toy_cache, tmp_path):
    get, path, builds = toy_cache
    marker = tmp_path / "pwned"
    path.write_bytes(pickle.dumps(Evil(marker)))
    G, status = get()
    assert not marker.exists()
    assert status == "built, cached" and same_as_toy(G) and len(builds) == 2


def test_a_tampered_pickle_is_not_loaded(toy_cache):
    get, path, _ = toy_cache
    tampered = toy_graph()
    tampered["o"]["d"][0]["cost"] = 1e9  # closes the cheapest road
    path.write_bytes(pickle.dumps(tampered))
    G, status = get()
    assert status == "built, cached" and same_as_toy(G)


@pytest.mark.parametrize(
    "fault",
    ["not a graph", "future pickle protocol", "truncated", "garbage", "empty", "other key", "numpy object array"],
)
def test_cache_faults_warn_and_rebuild(toy_cache, fault, caplog):
    get, path, builds = toy_cache
    good = path.read_bytes()
    planted = {
        "not a graph": pickle.dumps({"a": 1}),
        "future pickle protocol": b"\x80\x09" + good[2:],
        "truncated": good[: len(good) // 2],
        "garbage": os.urandom(4096),
        "empty": b"",
    }
    if fault == "other key":
        with open(path, "wb") as fh:
            cache.write_graph_archive(fh, cache.encode_graph(toy_graph(), key="cd" * 32))
    elif fault == "numpy object array":
        with open(path, "wb") as fh:
            np.savez(fh, doc=np.array([{"a": 1}], dtype=object))
    else:
        path.write_bytes(planted[fault])
    with caplog.at_level(logging.WARNING, logger="borderwatch.network.cache"):
        G, status = get()
    assert status == "built, cached" and same_as_toy(G) and len(builds) == 2
    assert "ignoring the cached graph" in caplog.text and "rebuilding it" in caplog.text
    assert get()[1] == "cache hit"  # and the rebuilt file is good


def test_a_folder_where_the_cache_file_should_be_warns_and_continues(toy_cache, caplog):
    get, path, _ = toy_cache
    path.unlink()
    path.mkdir()
    with caplog.at_level(logging.WARNING, logger="borderwatch.network.cache"):
        G, status = get()
    assert status == "built, cache not writable" and same_as_toy(G)
    assert "could not cache the route graph" in caplog.text


def test_cache_is_private_whatever_the_umask(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "graph_key", lambda region, profile: "ab" * 32)
    monkeypatch.setattr(cache, "build_route_graph", lambda region, profile: toy_graph())
    previous = os.umask(0o002)
    try:
        assert cache.cached_route_graph(NO_LAYERS, profile=load_profile())[1] == "built, cached"
    finally:
        os.umask(previous)
    (path,) = (tmp_path / "cache").iterdir()
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_cache_others_can_write_is_not_read(toy_cache, what, caplog):
    get, path, builds = toy_cache
    os.chmod(path if what == "file" else path.parent, 0o666 if what == "file" else 0o777)
    with caplog.at_level(logging.WARNING, logger="borderwatch.network.cache"):
        G, status = get()
    assert status != "cache hit" and same_as_toy(G) and len(builds) == 2
    assert f"others may write to the {what}" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_cache_folder_of_another_user_is_not_used(toy_cache, caplog):
    get, path, _ = toy_cache
    os.chown(path.parent, 12345, -1)
    with caplog.at_level(logging.WARNING, logger="borderwatch.network.cache"):
        assert get()[1] == "built"
    assert "belongs to user id 12345, not to you" in caplog.text


@pytest.mark.slow
def test_graph_cache_is_reused_and_keyed_by_inputs(region, route_graph, tmp_path, monkeypatch):
    """The shipped region's key, and the shipped graph written, read back and bypassed.

    The build itself is the session's shipped graph (the same region and default profile, built or
    cached once for the whole run): each build here would take 20 s and is not what is tested; the
    calls are counted instead.
    """
    builds = []
    monkeypatch.setattr(cache, "build_route_graph", lambda reg, profile: builds.append(reg) or route_graph)
    monkeypatch.setenv("BORDERWATCH_CACHE", str(tmp_path))
    profile = load_profile()
    G1, status1 = cache.cached_route_graph(region, profile=profile)
    G2, status2 = cache.cached_route_graph(region, profile=profile)
    assert (status1, status2) == ("built, cached", "cache hit") and builds == [region]
    assert G2 is not G1 and G2.number_of_edges() == G1.number_of_edges()
    assert G2.graph["destinations"] == G1.graph["destinations"]
    other = load_profile(informal_crossing={"delay_h": 5.0})
    assert cache.graph_key(region, other) != cache.graph_key(region, profile)
    _, status3 = cache.cached_route_graph(region, profile=profile, use_cache=False)
    assert status3 == "built" and builds == [region, region]
    assert len(list(tmp_path.glob("route-graph-*"))) == 1


def assert_identical(H: nx.MultiDiGraph, G: nx.MultiDiGraph) -> None:
    """Same nodes, edges, keys, attributes (values, types and order), neighbour orders and G.graph."""

    def same(a, b):
        if isinstance(a, shapely.Geometry):
            return type(a) is type(b) and shapely.equals_identical(a, b) and shapely.get_srid(a) == shapely.get_srid(b)
        return type(a) is type(b) and (a == b or (a != a and b != b))

    def same_dict(a, b):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)

    assert type(H) is type(G)
    assert list(H.nodes) == list(G.nodes) and [type(n) for n in H] == [type(n) for n in G]
    assert all(same_dict(H.nodes[n], G.nodes[n]) for n in G)
    assert [e[:3] for e in H.edges(keys=True)] == [e[:3] for e in G.edges(keys=True)]
    pairs = zip(H.edges(keys=True, data=True), G.edges(keys=True, data=True), strict=True)
    assert all(same_dict(a, b) for (*_, a), (*_, b) in pairs)
    assert all(list(H.pred[n]) == list(G.pred[n]) and list(H.succ[n]) == list(G.succ[n]) for n in G)
    assert json.dumps(H.graph) == json.dumps(G.graph)  # values and key order
    assert H.graph == G.graph


def round_trip(G, tmp_path, key="k" * 64):
    path = tmp_path / "g.npz"
    with open(path, "wb") as fh:
        cache.write_graph_archive(fh, cache.encode_graph(G, key=key))
    return cache.read_graph_archive(path, key=key)


def test_the_shipped_graph_round_trips_exactly(route_graph, tmp_path):
    assert_identical(round_trip(route_graph, tmp_path), route_graph)


def test_odd_graphs_round_trip_exactly(tmp_path):
    G = nx.MultiDiGraph(crs="EPSG:4326", build={"t_s": 1.5, "n": [1, 2.0, None, {"x": True}]})
    G.add_node(3)
    G.add_node(1, big=2**70, v=None, tags=["a", {"b": 1}], mixed=1, id="clash", signature=3)
    G.add_node(2, mixed=2.5, where=Point(1, 2, 3), zone=Polygon([(0, 0), (1, 0), (1, 1)]))
    G.add_edge(2, 3, key="k", label="=x")  # added first: 3's predecessors are 2 then 1, unlike edge order
    G.add_edge(1, 3, key=7)
    G.add_edge(1, 3, key=2, w=float("nan"), flag=False, s="ü\x00", u="clash", **{"w.offsets": 1})
    G.edges[1, 3, 2]["key"] = 5  # attribute names that could clash with the archive's own arrays
    G.add_edge(3, 3)
    assert list(G.pred[3]) == [2, 1, 3]
    assert_identical(round_trip(G, tmp_path), G)


@pytest.mark.parametrize("odd", [(1, 2), np.float64(1.0), {1: "x"}])
def test_a_graph_the_format_would_change_is_not_cached(tmp_path, odd):
    G = toy_graph()
    G["o"]["d"][0]["odd"] = odd
    with pytest.raises(cache.NotCacheableError, match="cannot store exactly"):
        cache.encode_graph(G, key="k")
