"""CLI command modules; each registers its commands on `evol.commands.app.app` (`evol.cli` imports them all)."""
