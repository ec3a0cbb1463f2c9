"""`evol sandbox doctor`: the isolation layers and language runners this machine gives the sandbox.

Exit code 0, or 1 when no sandbox mode keeps root-only files unreadable (the line says how to fix it).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import typer

from evol.cli import app

sandbox_app = typer.Typer(no_args_is_help=True, help="Inspect the sandbox that runs generated code.")
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("doctor")
def doctor(as_json: bool = typer.Option(False, "--json", help="one JSON object instead of text"),
           config: Path | None = typer.Option(None, "--config", help="check what this recipe's stages need"),
           ) -> None:
    """Print the isolation in force (tool, namespaces, uid, capabilities), each runner's tool, and what the
    stages need (the defaults with verification on, or those of --config) with what this machine lacks."""
    from evol.sandbox import Limits, Sandbox, SandboxUnavailable
    from evol.sandbox.languages import RUNNERS
    from evol.stages.requires import runner

    box = Sandbox(Limits(timeout_s=10.0), workers=1)
    try:
        isolation = box.isolation.describe()
    except SandboxUnavailable as exc:
        typer.secho(f"isolation: unavailable: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    runners = {
        name: {
            "available": spec.available(),
            "tool": shutil.which(spec.tools[0]) if spec.tools else sys.executable,
            "missing": runner(name).missing(),
        }
        for name, spec in RUNNERS.items()
    }
    stages = _stage_needs(config)
    if as_json:
        typer.echo(json.dumps({"isolation": isolation, "runners": runners, "stages": stages}, indent=2))
        return
    typer.echo("isolation:")
    for key, value in isolation.items():
        typer.echo(f"  {key:13} {', '.join(map(str, value)) if isinstance(value, list) else value}")
    typer.echo("runners:")
    for name, info in runners.items():
        typer.echo(f"  {name:11} {'ok ' + str(info['tool']) if info['available'] else 'missing: ' + info['missing']}")
    typer.echo("stages:")
    for name, needs in stages.items():
        typer.echo(f"  {name:11} " + ("; ".join(f"{n['need']}: {n['missing'] or 'ok'}" for n in needs) or "-"))


def _stage_needs(config: Path | None) -> dict[str, list[dict[str, str | None]]]:
    """Each stage the recipe uses -> what it declares it needs (evol/stages/requires.py) and what is missing."""
    from evol.config import PipelineConfig, load_config
    from evol.stages.compose import run_stages

    cfg = load_config(config) if config else PipelineConfig.model_validate({"verify": {"enabled": True}})
    return {s.name: [{"need": str(req), "missing": req.missing()} for req in s.requires(cfg)]
            for s in run_stages(cfg) if s.active(cfg)}
