"""`python -m evol` runs the CLI."""

from evol.cli import app

app()
