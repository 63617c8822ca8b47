"""Commands about the region's data: ``validate``, ``info``, ``gates``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import NOTES_SUMMARY
from ..output import TABLE_WRITERS
from .format import echo, format_gate_notes, format_gates, format_info, json_text
from .options import (
    check_outputs,
    data_files,
    data_option,
    handle_errors,
    json_option,
    out_option,
    overwrite_option,
    profile_option,
)


@click.command(short_help="Check the data and profile as every command does, before any work.")
@data_option
@profile_option
@handle_errors
def validate(data_dir: Path | None, profile_path: Path | None) -> None:
    """Run the preflight every command runs: every layer, every cross-layer and DEM check, the profile's names.

    Exit 1 and list all problems if any.  The same checks run at the start of
    every command, before any graph is built.  Then place the gates on their
    borders and list, in full, those placed with a note (other commands only
    count them).
    """
    import time

    from ..gates import place_gates
    from .options import load_inputs, load_profile_for

    started = time.perf_counter()
    region = load_inputs(data_dir, load_profile_for(profile_path))
    n = sum(len(g) for g in region.layers.values())
    echo(
        f"valid: {len(region.layers)} layers, {n} records, DEM {region.terrain.shape[0]}x{region.terrain.shape[1]} "
        f"cells; checked in {time.perf_counter() - started:.1f} s"
    )
    with notes_in_full():
        notes = format_gate_notes(place_gates(region))
    if notes:
        echo(notes)


@click.command(short_help="Counts, published counts, border lengths, gate snapping.")
@data_option
@json_option
@handle_errors
def info(data_dir: Path | None, as_json: bool) -> None:
    """Print counts, published-count reconciliation, border lengths and gate snapping."""
    from ..info import region_info
    from ..readers import load_region

    facts = region_info(load_region(data_dir))
    echo(json_text(facts) if as_json else format_info(facts))


@click.command(short_help="Snap every gate onto its border; per-gate table.")
@data_option
@out_option(TABLE_WRITERS, "the snapped gates")
@overwrite_option
@handle_errors
def gates(data_dir: Path | None, out: Path | None, overwrite: bool) -> None:
    """Snap every gate onto its border; print, per gate, method, distance moved and flags."""
    from ..gates import place_gates
    from ..output import write_table
    from ..readers import load_region

    check_outputs({"--out": (out, TABLE_WRITERS)}, overwrite=overwrite, inputs=data_files(data_dir))
    with notes_in_full():
        snapped = place_gates(load_region(data_dir))
    echo(format_gates(snapped))
    if out is not None:
        write_table(snapped, out, overwrite=overwrite)
        echo(f"wrote {len(snapped)} gates to {out}")


@contextmanager
def notes_in_full() -> Iterator[None]:
    """Hold back the one-line count of gate placement notes: the command prints the notes themselves."""

    def not_summary(record: logging.LogRecord) -> bool:
        return not getattr(record, NOTES_SUMMARY, False)

    logger = logging.getLogger("borderwatch.gates")
    logger.addFilter(not_summary)
    try:
        yield
    finally:
        logger.removeFilter(not_summary)


COMMANDS = [validate, info, gates]
