"""CLI command modules; each registers its commands on `evol.cli.app`."""
