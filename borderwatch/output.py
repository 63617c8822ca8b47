"""Write outputs atomically, with the format chosen by the file suffix.

Every writer goes through :func:`atomic_path`: the data is written to a hidden
temporary file beside the output and renamed onto it only when complete, so a
failure (or Ctrl-C, or SIGTERM handled by the CLI) never leaves a half-written
output.  Temporaries of a writer that was killed outright (``kill -9``) are
removed by the next write of the same output.  :func:`check_output` runs every
check that can be made before the work (format, writable folder, existing file)
so that commands fail at once, not after minutes of computation.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BorderwatchError, OutputError, OutputExistsError, ParameterError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

#: Marker in the names of temporary files: ``.<name>.<pid>.part<suffix>``.
PART = ".part"
#: Longest file name and path (bytes) on Linux and macOS file systems.
NAME_MAX, PATH_MAX = 255, 4096
#: Bytes a temporary name adds to an output's name (``.`` ``.<pid>`` ``.part`` and the suffix, with room).
TEMP_EXTRA = 32


def _write_geojson(gdf: gpd.GeoDataFrame, tmp: Path, name: str) -> None:
    # the layer name is what GIS programs show; never the temporary file's name
    gdf.to_file(tmp, driver="GeoJSON", layer=name)


def _write_gpkg(gdf: gpd.GeoDataFrame, tmp: Path, name: str) -> None:
    gdf.to_file(tmp, driver="GPKG", layer=name)


def _write_csv(gdf: gpd.GeoDataFrame, tmp: Path, name: str) -> None:
    import geopandas as gpd
    import pandas as pd

    has_geometry = isinstance(gdf, gpd.GeoDataFrame) and gdf.geometry.name in gdf.columns
    frame = (
        pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).assign(geometry_wkt=gdf.geometry.to_wkt())
        if has_geometry
        else pd.DataFrame(gdf)
    )
    frame.to_csv(tmp, index=False)


#: Table formats by suffix: suffix -> writer(frame, temporary path, layer name).
TABLE_WRITERS: dict[str, Callable[[gpd.GeoDataFrame, Path, str], None]] = {
    ".geojson": _write_geojson,
    ".gpkg": _write_gpkg,
    ".csv": _write_csv,
}


def check_output(
    path: str | Path, *, overwrite: bool = False, formats: Iterable[str] | None = None, what: str = "output"
) -> Path:
    """Check an output path before any work is done.

    Parameters
    ----------
    path
        The output file.
    overwrite
        Allow replacing an existing file.
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
        The folder cannot be created or written.
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
    if path.is_dir():
        raise ParameterError(f"{what} {str(path)!r} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{what} {str(path)!r} exists; pass --overwrite (overwrite=True) to replace it")
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_parts(path: Path) -> list[Path]:
    """Remove temporaries of ``path`` left by writers that no longer run.

    Parameters
    ----------
    path
        The output whose temporaries (``.<name>.<pid>.part*``) to look for.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    for part in path.parent.glob(f".{path.name}.*{PART}*"):
        pid = part.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            part.unlink(missing_ok=True)
            removed.append(part)
    return removed


@contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    Parameters
    ----------
    path
        The final output.
    overwrite
        Allow replacing an existing file.

    Yields
    ------
    Path
        Where to write; it does not exist yet.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    OutputError
        The folder cannot be created or written.
    """
    path = check_output(path, overwrite=overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"output {str(path)!r}: cannot create folder {str(path.parent)!r} ({exc.strerror})") from exc
    remove_stale_parts(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{PART}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, BorderwatchError):
            raise
        raise OutputError(
            f"output {str(path)!r} cannot be written ({exc.strerror or exc}); choose another location"
        ) from exc
    finally:
        for leftover in path.parent.glob(f"{tmp.name}*"):  # the file and any journal
            leftover.unlink(missing_ok=True)


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
    in a ``geometry_wkt`` column.

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


def check_output_dir(path: str | Path, *, overwrite: bool = False, marker: str = "manifest.json") -> Path:
    """Check an output folder before any work: absent, or (with ``overwrite``) one this tool wrote.

    Parameters
    ----------
    path
        The folder.
    overwrite
        Allow replacing an existing folder; only an empty one or one holding
        ``marker`` (a folder borderwatch wrote) is replaced, never another.
    marker
        The file that identifies a folder borderwatch wrote.

    Returns
    -------
    Path

    Raises
    ------
    OutputExistsError
        The folder exists and ``overwrite`` is false.
    OutputError
        ``path`` is a file, a folder borderwatch did not write, or its parent
        cannot be written.
    ParameterError
        Not a path, or a name or path too long for the file system.
    """
    if not isinstance(path, str | os.PathLike):
        raise ParameterError(f"output folder must be a path (str or Path), got {type(path).__name__} {path!r}")
    path = Path(path)
    _check_length(path, "output folder")
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"output folder {str(path)!r} is a file; give a folder name")
        if not overwrite:
            raise OutputExistsError(f"output folder {str(path)!r} exists; pass --overwrite to replace it")
        if any(path.iterdir()) and not (path / marker).is_file():
            raise OutputError(
                f"output folder {str(path)!r} holds files borderwatch did not write (no {marker}); "
                "choose a new or empty folder"
            )
    check_output(path.parent / f".{path.name}.probe", what="output folder")
    return path


@contextmanager
def atomic_dir(path: str | Path, *, overwrite: bool = False, marker: str = "manifest.json") -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` only when the block succeeds.

    Parameters
    ----------
    path
        The final folder.
    overwrite
        Allow replacing an existing folder (see :func:`check_output_dir`).
    marker
        The file that identifies a folder borderwatch wrote.

    Yields
    ------
    Path
        An empty folder to fill.

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`check_output_dir`.
    """
    import shutil

    path = check_output_dir(path, overwrite=overwrite, marker=marker)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{PART}")
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, BorderwatchError):
            raise
        raise OutputError(f"output folder {str(path)!r} cannot be written ({exc.strerror or exc})") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists():
            if path.exists():
                shutil.rmtree(old, ignore_errors=True)
            else:  # the swap failed half-way: put the old report back
                os.replace(old, path)
