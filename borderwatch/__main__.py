"""``python -m borderwatch`` runs the command line."""

from .cli import main

main(prog_name="borderwatch")
