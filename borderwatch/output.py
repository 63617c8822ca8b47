"""Write outputs atomically and exclusively, with the format chosen by the file suffix.

Every writer goes through :func:`atomic_path` (a file) or :func:`atomic_dir` (a
folder).  The rules, for every output borderwatch writes:

- **Atomic.**  The data is written into a private temporary folder made
  (``mkdtemp``, mode 0700) beside the output, ``.<name>.<pid>.<random>.part``,
  and renamed onto the output only when complete, so a failure (a full disk,
  Ctrl-C, or SIGTERM/SIGHUP handled by the CLI) never leaves a half-written
  output.  Nothing is ever opened through a name someone else could have
  planted.  Temporaries of a writer that was killed outright (``kill -9``),
  files and folders, are removed by the next write of the same output.
- **Exclusive.**  An output is claimed when it is checked, before the work
  (:func:`check_output`, :func:`check_output_dir`), with a lock on
  ``.<name>.lock`` beside it that the system releases when the process ends;
  a second run to the same output fails at once ("being written by another
  borderwatch run").  The final rename checks again: an output that appeared
  meanwhile is replaced only with ``overwrite``.
- **Overwrite.**  ``overwrite`` replaces a regular file, or a folder whose
  ``manifest.json`` says borderwatch made it (``"made_by": "borderwatch"``)
  and lists every file in it (its ``files``); an empty folder too.  Anything
  else is refused with the reason (the first unlisted file ...).  A symbolic
  link is never written through nor replaced: give the path itself.
- **CSV.**  A text cell (or header) beginning with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return is written with a leading ``'`` so that
  spreadsheets show it as text instead of running it as a formula (OWASP,
  CSV injection); numbers in numeric columns are never altered, and GeoJSON
  and GeoPackage outputs are written unchanged.  Rows end in CRLF (RFC 4180),
  so a cell holding a line break is always quoted.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BorderwatchError, OutputError, OutputExistsError, ParameterError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

#: Marker ending the names of temporaries: ``.<name>.<pid>.<random>.part``.
PART = ".part"
#: Longest file name and path (bytes) on Linux and macOS file systems.
NAME_MAX, PATH_MAX = 255, 4096
#: Bytes a temporary name adds to an output's name (``.`` ``.<pid>`` ``.part`` and the suffix, with room).
TEMP_EXTRA = 32
#: The file that says a folder is borderwatch's, and lists its files.
MANIFEST = "manifest.json"
#: The ``made_by`` value of a manifest borderwatch wrote.
MADE_BY = "borderwatch"
#: Text cells starting with these are formulas to a spreadsheet (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _write_geojson(gdf: gpd.GeoDataFrame, tmp: Path, name: str) -> None:
    # the layer name is what GIS programs show; never the temporary file's name
    gdf.to_file(tmp, driver="GeoJSON", layer=name)


def _write_gpkg(gdf: gpd.GeoDataFrame, tmp: Path, name: str) -> None:
    gdf.to_file(tmp, driver="GPKG", layer=name)


def _write_errors() -> tuple[type[Exception], ...]:
    """Exceptions that mean "the output could not be written": OSError, and GDAL's (pyogrio) once it is loaded."""
    gdal = sys.modules.get("pyogrio.errors")
    return (OSError,) if gdal is None else (OSError, gdal.DataSourceError, gdal.DataLayerError)


def _write_failure(what: str, path: Path, exc: Exception) -> OutputError:
    """Return the error naming the output and the cause (a full disk, GDAL's message) of a failed write."""
    cause = (exc.strerror or str(exc)) if isinstance(exc, OSError) else f"GDAL: {exc}"
    return OutputError(f"{what} {str(path)!r} cannot be written ({cause}); nothing was written")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix ``'`` to every text cell and header a spreadsheet would run as a formula.

    Parameters
    ----------
    frame
        A table.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing starts with :data:`FORMULA_START`, else a
        copy with those cells as ``"'" + text``.  Numeric, boolean and date
        columns are never changed.
    """
    import pandas as pd

    def safe(value: Any) -> Any:
        return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value

    changed = {}
    for i, (_, column) in enumerate(frame.items()):
        if not (pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)) and not isinstance(
            column.dtype, pd.CategoricalDtype
        ):
            continue
        cells = column.astype(object)
        fixed = cells.map(safe)
        if not fixed.equals(cells):
            changed[i] = fixed
    headers = [safe(c) for c in frame.columns]
    if not changed and headers == list(frame.columns):
        return frame
    out = frame.copy()
    for i, fixed in changed.items():
        out.isetitem(i, fixed)
    out.columns = headers
    return out


def _write_csv(gdf: gpd.GeoDataFrame, tmp: Path, name: str) -> None:
    import geopandas as gpd
    import pandas as pd

    has_geometry = isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns
    frame = (
        pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).assign(geometry_wkt=gdf.geometry.to_wkt())
        if has_geometry
        else pd.DataFrame(gdf)
    )
    # CRLF rows (RFC 4180): the csv module then quotes a cell holding a carriage return, which with bare LF
    # rows would end the row there and start the next row with the rest of the cell, unneutralised
    neutralise_formulas(frame).to_csv(tmp, index=False, lineterminator="\r\n")


#: Table formats by suffix: suffix -> writer(frame, temporary path, layer name).
TABLE_WRITERS: dict[str, Callable[[gpd.GeoDataFrame, Path, str], None]] = {
    ".geojson": _write_geojson,
    ".gpkg": _write_gpkg,
    ".csv": _write_csv,
}


def _refuse_link(path: Path, what: str) -> None:
    if path.is_symlink():
        raise OutputError(
            f"{what} {str(path)!r} is a symbolic link; borderwatch neither writes through nor replaces links: "
            "give the path of the file or folder itself"
        )


def _check_parent(path: Path, what: str) -> None:
    """Check that the nearest existing folder above ``path`` is a folder we can create files in."""
    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{what} {str(path)!r}: {str(existing)!r} is a file, not a folder; choose another location")
    try:  # the only reliable test (root, read-only mounts, /proc): create a probe file there
        fd, probe = tempfile.mkstemp(prefix=".borderwatch-probe-", dir=existing)
    except OSError as exc:
        raise OutputError(
            f"{what} {str(path)!r}: cannot write in folder {str(existing)!r} ({exc.strerror}); choose another location"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_output(
    path: str | Path, *, overwrite: bool = False, formats: Iterable[str] | None = None, what: str = "output"
) -> Path:
    """Check an output file before any work is done, and claim it for this process.

    The claim (see the module docstring) is held until the output is written
    (:func:`atomic_path`) or :func:`release_claims` is called; another
    process checking the same output meanwhile fails.

    Parameters
    ----------
    path
        The output file.
    overwrite
        Allow replacing an existing regular file.
    formats
        Allowed suffixes (lower case, with the dot); ``None`` allows any.
    what
        How messages name the output (e.g. ``"--out"``).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    ParameterError
        Not a path; a name or the whole path too long for the file system; the
        suffix is not one of ``formats``; or the path is a folder.
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    OutputError
        ``path`` is a symbolic link or not a regular file, another run is
        writing it, or the folder cannot be created or written.
    """
    if not isinstance(path, str | os.PathLike):
        raise ParameterError(f"{what} must be a file path (str or Path), got {type(path).__name__} {path!r}")
    path = Path(path)
    _check_length(path, what)
    if formats is not None:
        allowed = sorted(formats)
        if path.suffix.lower() not in allowed:
            got = repr(path.suffix) if path.suffix else "no suffix"
            raise ParameterError(f"{what} {str(path)!r}: cannot write {got}; use one of {', '.join(allowed)}")
    _refuse_link(path, what)
    if path.is_dir():
        raise ParameterError(f"{what} {str(path)!r} is a folder; give a file name")
    if path.exists():
        if not overwrite:
            raise OutputExistsError(f"{what} {str(path)!r} exists; pass --overwrite (overwrite=True) to replace it")
        if not path.is_file():
            raise OutputError(f"{what} {str(path)!r} is not a regular file; borderwatch replaces only regular files")
    _check_parent(path, what)
    claim_output(path, what=what)
    return path


def _check_length(path: Path, what: str) -> None:
    """Refuse a path the file system would reject (ENAMETOOLONG), before anything touches it."""
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX - (TEMP_EXTRA if part == path.name else 0):
            limit = NAME_MAX - TEMP_EXTRA if part == path.name else NAME_MAX
            raise ParameterError(
                f"{what}: the name {part[:40]!r}... is {size} bytes, longer than the {limit} bytes a name may have "
                "(the file system allows 255, and the temporary file beside it needs the rest); give a shorter name"
            )
    size = len(os.fsencode(os.path.abspath(path)))
    if size > PATH_MAX - TEMP_EXTRA:
        raise ParameterError(
            f"{what}: the path is {size} bytes, longer than the {PATH_MAX - TEMP_EXTRA} bytes a path may have "
            f"(the file system allows {PATH_MAX}); choose a shorter folder or name"
        )


# ------------------------------------------------------------------------------------------ claims

#: Outputs this process has claimed: the lock file's key -> (open descriptor holding the lock, lock path).
_CLAIMS: dict[Path, tuple[int, Path]] = {}


def _claim_key(path: Path) -> Path:
    return Path(os.path.realpath(path.parent)) / path.name


def claim_output(path: str | Path, *, what: str = "output") -> None:
    """Claim ``path`` for this process (exclusive lock on ``.<name>.lock``); a no-op if already claimed.

    Nothing is claimed while the folder does not exist yet: :func:`atomic_path`
    and :func:`atomic_dir` claim again once they have created it.

    Parameters
    ----------
    path
        The output (file or folder).
    what
        How messages name the output.

    Raises
    ------
    OutputError
        Another process holds the claim.
    """
    key = _claim_key(Path(path))
    if key in _CLAIMS or not key.parent.is_dir():
        return
    lock = key.parent / f".{key.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise OutputError(f"{what} {str(path)!r}: cannot create the lock {str(lock)!r} ({exc.strerror})") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 20).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise OutputError(
                f"{what} {str(path)!r} is being written by another borderwatch run (process {holder}); "
                "wait for it to finish or choose another output"
            ) from None
        try:  # the holder may have released (and removed) the lock between our open and flock: lock the new one
            current = os.stat(lock, follow_symlinks=False)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(os.fstat(fd), current):
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _CLAIMS[key] = (fd, lock)


def release_output(path: str | Path) -> None:
    """Give up this process's claim on ``path`` (removing its lock file); a no-op when not claimed.

    Parameters
    ----------
    path
        The output.
    """
    claim = _CLAIMS.pop(_claim_key(Path(path)), None)
    if claim is not None:
        fd, lock = claim
        try:
            os.unlink(lock)  # while still holding it: see claim_output
        except FileNotFoundError:
            pass
        os.close(fd)


@atexit.register
def release_claims() -> None:
    """Give up every claim of this process (the CLI does at the end of each command; also at exit)."""
    for key in list(_CLAIMS):
        release_output(key)


# ------------------------------------------------------------------------------------ temporaries


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_parts(path: Path) -> list[Path]:
    """Remove temporaries of ``path`` (files and folders) left by writers that no longer run.

    Parameters
    ----------
    path
        The output whose temporaries (``.<name>.<pid>.<random>.part``, and the
        ``.<name>.<pid>.part*`` files of earlier versions) to look for.

    Returns
    -------
    list of Path
        The temporaries removed.
    """
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)(?:\.[a-z0-9_]+)?{re.escape(PART)}")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except FileNotFoundError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or int(match[1]) == os.getpid() or _pid_alive(int(match[1])):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            Path(entry.path).unlink(missing_ok=True)
        removed.append(Path(entry.path))
    return removed


def _prepare(path: Path, what: str) -> Path:
    """Create the output's folder, claim the output, clear stale temporaries; return a new private work folder."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{what} {str(path)!r}: cannot create folder {str(path.parent)!r} ({exc.strerror})") from exc
    claim_output(path, what=what)
    remove_stale_parts(path)
    try:
        return Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=PART, dir=path.parent))
    except OSError as exc:
        raise OutputError(f"{what} {str(path)!r}: cannot write in {str(path.parent)!r} ({exc.strerror})") from exc


def _commit_file(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the finished ``tmp`` onto ``path``, checking ``path`` again first."""
    _refuse_link(path, "output")
    if os.path.lexists(path):
        if not overwrite:
            raise OutputExistsError(f"output {str(path)!r} appeared while it was being written; nothing was replaced")
        if not path.is_file():
            raise OutputError(f"output {str(path)!r} is no longer a regular file; nothing was replaced")
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if anything took the name meanwhile: never a silent replace
    except FileExistsError:
        raise OutputExistsError(
            f"output {str(path)!r} appeared while it was being written; nothing was replaced"
        ) from None
    except OSError:  # a file system without hard links: rename (the name was free a moment ago)
        os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path in a private folder beside ``path``; move it onto ``path`` only on success.

    Parameters
    ----------
    path
        The final output.
    overwrite
        Allow replacing an existing regular file.

    Yields
    ------
    Path
        Where to write (named like ``path``); it does not exist yet.

    Raises
    ------
    OutputExistsError
        ``path`` exists (or appeared meanwhile) and ``overwrite`` is false.
    OutputError
        ``path`` is a link or not a regular file, another run is writing it,
        or the data cannot be written (the cause, e.g. a full disk, is named).
    """
    path = check_output(path, overwrite=overwrite)
    try:
        work = _prepare(path, "output")
        try:
            yield work / path.name
            _commit_file(work / path.name, path, overwrite)
        except _write_errors() as exc:
            if isinstance(exc, BorderwatchError):
                raise
            raise _write_failure("output", path, exc) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)  # the file if not moved, and any journal
    finally:
        release_output(path)


def write_atomic(path: str | Path, writer: Callable[[Path], None], *, overwrite: bool = False) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically.

    Parameters
    ----------
    path
        The final output.
    writer
        Writes the whole output to the path it is given.
    overwrite
        Allow replacing an existing file.

    Returns
    -------
    Path
        ``path``.
    """
    with atomic_path(path, overwrite=overwrite) as tmp:
        writer(tmp)
    return Path(path)


def write_by_suffix(
    obj: object,
    path: str | Path,
    writers: dict[str, Callable[[object, Path, str], None]],
    *,
    overwrite: bool = False,
    layer: str | None = None,
) -> Path:
    """Write ``obj`` atomically with the writer its file suffix selects.

    The one place where an output format is chosen: tables use
    :data:`TABLE_WRITERS`, graphs :data:`borderwatch.network.graphio.GRAPH_WRITERS`.

    Parameters
    ----------
    obj
        What to write (a table, a graph).
    path
        Output file.
    writers
        Suffix -> ``writer(obj, temporary path, layer name)``.
    overwrite
        Allow replacing an existing file.
    layer
        Layer name inside the file (default: the file's stem).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        Unsupported suffix (the message lists the supported ones).
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    OutputError
        The folder cannot be created or written.
    """
    path = check_output(path, overwrite=overwrite, formats=writers)
    writer = writers[path.suffix.lower()]
    return write_atomic(path, lambda tmp: writer(obj, tmp, layer or path.stem), overwrite=overwrite)


def write_table(
    gdf: gpd.GeoDataFrame | pd.DataFrame, path: str | Path, *, overwrite: bool = False, layer: str | None = None
) -> Path:
    """Write a result table atomically; the format follows the suffix (:data:`TABLE_WRITERS`).

    ``.geojson`` and ``.gpkg`` keep geometries; ``.csv`` writes geometry as WKT
    in a ``geometry_wkt`` column, and text cells a spreadsheet would take for
    a formula (starting with ``= + - @``, tab or carriage return) with a
    leading ``'`` (:func:`neutralise_formulas`).

    Parameters
    ----------
    gdf
        The table.
    path
        Output file: ``.geojson``, ``.gpkg`` or ``.csv``.
    overwrite
        Allow replacing an existing file.
    layer
        Layer name inside the file (default: the file's stem).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        ``gdf`` is not a table, ``path`` not a path (or too long), or the suffix is unsupported.
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    """
    import pandas as pd

    if not isinstance(gdf, pd.DataFrame):
        raise ParameterError(f"write_table needs a pandas or geopandas table, got {type(gdf).__name__}")
    return write_by_suffix(gdf, path, TABLE_WRITERS, overwrite=overwrite, layer=layer)


def write_tables(tables: list[tuple[gpd.GeoDataFrame | pd.DataFrame, str | Path]], *, overwrite: bool = False) -> None:
    """Write several result tables all or nothing: none appears unless every one was written.

    Parameters
    ----------
    tables
        (table, output path) pairs; each format follows its suffix (:data:`TABLE_WRITERS`).
    overwrite
        Allow replacing existing files.

    Raises
    ------
    ParameterError
        Unsupported suffix, or two outputs with the same path.
    OutputExistsError
        An output exists and ``overwrite`` is false.
    OutputError
        A folder cannot be created or written.
    """
    paths = [check_output(path, overwrite=overwrite, formats=TABLE_WRITERS) for _, path in tables]
    if len({p.resolve() for p in paths}) < len(paths):
        raise ParameterError(f"two outputs name the same file ({', '.join(map(str, paths))}); give each its own")
    with ExitStack() as stack:
        for (table, _), path in zip(tables, paths, strict=True):
            tmp = stack.enter_context(atomic_path(path, overwrite=overwrite))
            TABLE_WRITERS[path.suffix.lower()](table, tmp, path.stem)


# ---------------------------------------------------------------------------------------- folders


def _not_replaceable(folder: Path, marker: str) -> str | None:
    """Say why ``folder`` is not one borderwatch wrote and may replace, or None (see the module docstring)."""
    entries = sorted(os.listdir(folder))
    if not entries:
        return None
    manifest = folder / marker
    if marker not in entries:
        return f"it has no {marker}"
    if not manifest.is_file() or manifest.is_symlink():
        return f"its {marker} is not a regular file"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return f"its {marker} cannot be read as JSON"
    if not isinstance(data, dict) or data.get("made_by") != MADE_BY:
        return f'its {marker} does not say borderwatch made it (no "made_by": "{MADE_BY}")'
    listed = data.get("files")
    if not isinstance(listed, dict | list):
        return f"its {marker} lists no files"
    unlisted = [name for name in entries if name != marker and name not in listed]
    if unlisted:
        more = f" (and {len(unlisted) - 1} more)" if len(unlisted) > 1 else ""
        return f"it holds {unlisted[0]!r}{more}, which its {marker} does not list"
    special = [name for name in entries if not (folder / name).is_file() or (folder / name).is_symlink()]
    if special:
        return f"{special[0]!r} in it is not a regular file"
    return None


def check_output_dir(path: str | Path, *, overwrite: bool = False, marker: str = MANIFEST) -> Path:
    """Check an output folder before any work, and claim it: absent, or (with ``overwrite``) one this tool wrote.

    Parameters
    ----------
    path
        The folder.
    overwrite
        Allow replacing an existing folder: only an empty one, or one whose
        ``marker`` says borderwatch made it and lists every file in it, is
        replaced, never another.
    marker
        The manifest that identifies a folder borderwatch wrote.

    Returns
    -------
    Path

    Raises
    ------
    OutputExistsError
        The folder exists and ``overwrite`` is false.
    OutputError
        ``path`` is a file or a symbolic link, a folder borderwatch may not
        replace (the message says why), being written by another run, or its
        parent cannot be written.
    ParameterError
        Not a path, or a name or path too long for the file system.
    """
    if not isinstance(path, str | os.PathLike):
        raise ParameterError(f"output folder must be a path (str or Path), got {type(path).__name__} {path!r}")
    path = Path(path)
    _check_length(path, "output folder")
    _refuse_link(path, "output folder")
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"output folder {str(path)!r} is a file; give a folder name")
        if not overwrite:
            raise OutputExistsError(f"output folder {str(path)!r} exists; pass --overwrite to replace it")
        problem = _not_replaceable(path, marker)
        if problem:
            raise OutputError(
                f"output folder {str(path)!r} is not replaced: {problem}, so borderwatch did not write all of it; "
                "choose a new or empty folder (or remove that one yourself)"
            )
    _check_parent(path, "output folder")
    claim_output(path, what="output folder")
    return path


def _commit_dir(new: Path, path: Path, overwrite: bool, marker: str, work: Path) -> None:
    """Move the finished folder ``new`` onto ``path``, checking ``path`` again first."""
    _refuse_link(path, "output folder")
    if not os.path.lexists(path):
        os.rename(new, path)  # fails if a non-empty folder or a file took the name meanwhile
        return
    if not path.is_dir():
        raise OutputError(f"output folder {str(path)!r} is now a file; nothing was replaced")
    if not overwrite:
        raise OutputExistsError(
            f"output folder {str(path)!r} appeared while it was being written; nothing was replaced"
        )
    problem = _not_replaceable(path, marker)
    if problem:
        raise OutputError(f"output folder {str(path)!r} is not replaced: {problem} (it changed during the run)")
    old = work / "old"  # inside the temporary folder: removed with it, whatever happens
    os.rename(path, old)
    try:
        os.rename(new, path)
    except OSError:
        os.rename(old, path)
        raise


@contextmanager
def atomic_dir(path: str | Path, *, overwrite: bool = False, marker: str = MANIFEST) -> Iterator[Path]:
    """Yield a new folder in a private temporary folder beside ``path``; it replaces ``path`` only on success.

    Parameters
    ----------
    path
        The final folder.
    overwrite
        Allow replacing an existing folder (see :func:`check_output_dir`).
    marker
        The manifest that identifies a folder borderwatch wrote.

    Yields
    ------
    Path
        An empty folder to fill.

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`check_output_dir`, or the folder cannot be written (the cause is named).
    """
    path = check_output_dir(path, overwrite=overwrite, marker=marker)
    try:
        work = _prepare(path, "output folder")
        try:
            new = work / path.name
            new.mkdir()
            yield new
            _commit_dir(new, path, overwrite, marker, work)
        except _write_errors() as exc:
            if isinstance(exc, BorderwatchError):
                raise
            raise _write_failure("output folder", path, exc) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        release_output(path)
