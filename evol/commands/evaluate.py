"""`evol infer` (batch decoding) and `evol eval humaneval` (pass@k in the sandbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from evol.commands.app import app, command, friendly
from evol.errors import ConfigError

Opt, Arg = typer.Option, typer.Argument
eval_app = typer.Typer(no_args_is_help=True, help="Score a model on a benchmark (code runs only in the sandbox).")
app.add_typer(eval_app, name="eval")

BaseUrl = Annotated[list[str] | None, Opt("--base-url", envvar="OPENAI_BASE_URL",
                                          help="OpenAI-compatible URL, e.g. vLLM (repeat for replicas)")]
Backend = Annotated[str, Opt(help="endpoint (a server) or hf (local transformers, --model is a folder)")]
Api = Annotated[str, Opt(help="completions (training prompt template) or chat (server chat template)")]


def make_backend(
    backend: str,
    base_url: list[str] | None,
    model: str,
    api: str,
    *,
    concurrency: int,
    api_key_env: str,
    cache: Path | None,
    stage: str,
) -> Any:
    """The generation backend named on the command line."""
    if api not in ("completions", "chat"):
        raise ConfigError(f"--api: expected completions or chat, got {api!r}")
    if backend == "hf":
        from evol.eval.hf_backend import HFBackend

        return HFBackend(model)
    if backend != "endpoint":
        raise ConfigError(f"--backend: expected endpoint or hf, got {backend!r}")
    if not base_url:
        raise ConfigError("--base-url (or OPENAI_BASE_URL) is needed with --backend endpoint")
    from evol.config import env_name
    from evol.eval.backends import EndpointBackend
    from evol.preflight import check_endpoints

    try:
        env_name(api_key_env)
    except ValueError as exc:
        raise ConfigError(f"--api-key-env: {exc}") from None  # never the value: it may be a key
    base_url = check_endpoints(base_url, api_key_env)  # none reachable, or a refused key: one line, exit 4

    return EndpointBackend(
        base_url,
        model,
        api=api,
        concurrency=concurrency,  # type: ignore[arg-type]
        api_key_env=api_key_env,
        cache_path=cache,
        stage=stage,
    )


@command("infer")
def infer_command(
    in_path: Annotated[Path, Arg(metavar="IN", help="JSONL of {idx, Instruction} or {instruction[, input]}")],
    out_path: Annotated[Path, Arg(metavar="OUT", help="JSONL of {id, instruction, response, usage}")],
    model: Annotated[str, Opt(help="served model name, or checkpoint folder with --backend hf")],
    base_url: BaseUrl = None,
    api: Api = "completions",
    backend: Backend = "endpoint",
    temperature: Annotated[float, Opt(min=0.0, max=2.0, help="0 = greedy")] = 0.0,
    top_p: Annotated[float, Opt(min=0.0, max=1.0, help="above 0, at most 1")] = 1.0,
    max_tokens: Annotated[int, Opt(min=1)] = 1024,
    seed: Annotated[int | None, Opt(help="base seed when sampling")] = 0,
    concurrency: Annotated[int, Opt(min=1, help="max requests in flight")] = 64,
    api_key_env: Annotated[str, Opt(help="env var holding the API key")] = "OPENAI_API_KEY",
    no_cache: Annotated[bool, Opt("--no-cache", help="do not read or write the response cache")] = False,
) -> None:
    """Decode instructions with the training prompt template; rerun to continue an interrupted run."""
    from evol.eval.backends import Sampling
    from evol.eval.infer import infer

    check_top_p(top_p)
    cache = None if no_cache else out_path.with_name(out_path.name + ".cache.sqlite")
    gen = make_backend(
        backend, base_url, model, api, concurrency=concurrency, api_key_env=api_key_env, cache=cache, stage="infer"
    )
    from evol.commands.bars import ProgressBackend

    gen = ProgressBackend(gen, "infer")
    stats = infer(in_path, out_path, gen, Sampling(temperature, top_p, max_tokens, seed=seed), log=_log)
    typer.echo(f"wrote {stats['written']} responses to {out_path}")
    if stats["failed"]:
        typer.secho(
            f"{stats['failed']} failed ({'; '.join(stats['errors'])}); rerun to retry them", fg="yellow", err=True
        )
        raise typer.Exit(1)


@eval_app.command("humaneval")
@friendly
def humaneval_command(
    model: Annotated[str | None, Opt(help="served model name, or checkpoint folder with --backend hf")] = None,
    base_url: BaseUrl = None,
    api: Api = "completions",
    backend: Backend = "endpoint",
    samples: Annotated[int, Opt(min=1, help="samples per problem: 1 (greedy) or 20+ (sampled)")] = 1,
    temperature: Annotated[float | None, Opt(min=0.0, max=2.0, help="default 0 for 1 sample, 0.2 for more")] = None,
    top_p: Annotated[float | None, Opt(min=0.0, max=1.0, help="default 1.0 for 1 sample, 0.95 for more")] = None,
    max_tokens: Annotated[int, Opt(min=1)] = 512,
    seed: Annotated[int | None, Opt(help="base seed when sampling (sample i uses seed + i)")] = 0,
    out: Annotated[Path | None, Opt(help="output folder (default data/eval/<model>-<time>/)")] = None,
    resume: Annotated[bool, Opt("--resume", help="continue an interrupted evaluation")] = False,
    problems: Annotated[Path | None, Opt(help="local JSONL in HumanEval/EvalPlus/MBPP shape")] = None,
    samples_file: Annotated[Path | None, Opt(help="score these {task_id, completion} lines; no model")] = None,
    limit: Annotated[int | None, Opt(min=1, help="only the first N problems")] = None,
    timeout: Annotated[float, Opt(help="seconds per test program (above 0)")] = 5.0,
    memory_mb: Annotated[int, Opt(min=1, help="address-space limit per test program")] = 1024,
    workers: Annotated[int | None, Opt(min=1, help="programs run at once (default: CPU count)")] = None,
    concurrency: Annotated[int, Opt(min=1, help="max requests in flight")] = 64,
    api_key_env: Annotated[str, Opt(help="env var holding the API key")] = "OPENAI_API_KEY",
    prompt_style: Annotated[
        str, Opt(help="evol (default) or wizardcoder: humaneval_gen.py's exact prompt, to compare with its scores")
    ] = "evol",
    postprocess: Annotated[
        str, Opt(help="evol (default, robust) or wizardcoder: process_humaneval.py --add_prompt exactly")
    ] = "evol",
) -> None:
    """HumanEval (or --problems) pass@k: generate, post-process, run the tests in the sandbox."""
    from evol.eval.humaneval import EvalSettings, evaluate
    from evol.eval.outdir import resolve_out
    from evol.sandbox import Limits, Sandbox

    if model is None and samples_file is None:
        raise ConfigError("--model is needed (or --samples-file to score existing completions)")
    if timeout <= 0:
        raise ConfigError(f"--timeout {timeout}: must be above 0 seconds")
    _check_styles(prompt_style, postprocess, api)
    name = model or samples_file.stem  # type: ignore[union-attr]
    temperature, top_p = _sampling_defaults(samples, temperature, top_p, samples_file is not None)
    settings = EvalSettings(
        model=name,
        backend="samples-file" if samples_file else backend,
        api=api,
        samples=samples,
        temperature=temperature,
        top_p=top_p,
        max_tokens=max_tokens,
        seed=seed,
        problems=str(problems) if problems else None,
        samples_file=str(samples_file) if samples_file else None,
        limit=limit,
        timeout_s=timeout,
        memory_mb=memory_mb,
        prompt_style=prompt_style,  # type: ignore[arg-type]
        postprocess=postprocess,  # type: ignore[arg-type]
    )
    out_dir = resolve_out(out, name, resume)
    gen = None
    if samples_file is None:
        gen = make_backend(
            backend,
            base_url,
            name,
            api,
            concurrency=concurrency,
            api_key_env=api_key_env,
            cache=out_dir / "llm_cache.sqlite",
            stage="eval",
        )
        from evol.commands.bars import ProgressBackend

        gen = ProgressBackend(gen, "eval")
    sandbox = Sandbox(Limits(timeout_s=timeout, memory_mb=memory_mb), workers=workers)
    summary = evaluate(settings, out_dir, resume=resume, backend=gen, sandbox=sandbox, log=_log)
    _print_summary(summary, out_dir)
    if not summary["complete"]:
        typer.secho(
            f"incomplete: {summary['missing_samples']} samples missing; rerun with --resume --out {out_dir}",
            fg="yellow",
            err=True,
        )
        raise typer.Exit(1)


def _check_styles(prompt_style: str, postprocess: str, api: str) -> None:
    from evol.eval.styles import STYLES

    for flag, value in (("--prompt-style", prompt_style), ("--postprocess", postprocess)):
        if value not in STYLES:
            raise ConfigError(f"{flag}: expected {' or '.join(STYLES)}, got {value!r}")
    if prompt_style == "wizardcoder" and api != "completions":
        raise ConfigError("--prompt-style wizardcoder sends its exact prompt text: it needs --api completions")


def check_top_p(top_p: float) -> None:
    """--top-p 0 keeps no token at all: servers refuse it (the range check allows 0..1)."""
    if top_p <= 0:
        raise ConfigError(f"--top-p {top_p}: must be above 0 (at most 1)")


def _sampling_defaults(
    samples: int, temperature: float | None, top_p: float | None, from_file: bool
) -> tuple[float, float]:
    if samples < 1:
        raise ConfigError("--samples must be at least 1")
    greedy = samples == 1
    temperature = (0.0 if greedy else 0.2) if temperature is None else temperature
    top_p = (1.0 if greedy else 0.95) if top_p is None else top_p
    check_top_p(top_p)
    if not from_file and samples > 1 and temperature == 0:
        raise ConfigError("--samples > 1 with --temperature 0 repeats one greedy answer; use T=0.2 (default)")
    if not from_file and 1 < samples < 20:
        _log(f"note: {samples} samples per problem give a noisy pass@k; WizardCoder-style sampling uses 20+")
    return temperature, top_p


def _print_summary(summary: dict[str, Any], out_dir: Path) -> None:
    ks = [k for k in ("pass@1", "pass@10", "pass@100") if k in summary]
    scores = "  ".join(f"{k} = {summary[k]:.4f}" for k in ks)
    typer.echo(
        f"{summary['benchmark']} {summary['model']}: {scores}  ({summary['problems']} problems x "
        f"{summary['samples_per_problem']}; passed {summary['passed']}, failed {summary['failed']}, "
        f"timed out {summary['timed_out']})"
    )
    typer.echo(f"results in {out_dir}/ (samples.jsonl, results.jsonl, summary.json)")


def _log(message: str) -> None:
    typer.echo(message, err=True)
