"""`evol report`: a self-contained page with every plot, rendered for real in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evol.cli import app

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out

REPO = Path(__file__).resolve().parents[2]
PLOT_KEYS = ("funnel", "reasons", "methods", "lengths", "difficulty", "tokens", "dedup")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--hide-scrollbars")


@pytest.fixture(scope="module")
def report(demo_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", str(demo_run), "--out", str(out),
                                      "--prices", str(REPO / "pipelines" / "wizardcoder.toml")])
    assert result.exit_code == 0, result.output
    assert "self-contained" in result.output
    return out


def test_default_path_is_inside_the_run(run_copy: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(run_copy)])
    assert result.exit_code == 0, result.output
    assert (run_copy / "report.html").stat().st_size > 1_000_000


def test_page_is_self_contained_with_plotly_once(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert page.count("* plotly.js v") == 1  # the bundle's licence header: inlined exactly once
    assert not re.search(r"<script[^>]+src=", page), "no external scripts"
    assert not re.search(r"<link[^>]+href=[\"']https?:", page), "no external stylesheets"
    assert f'data-plots="{len(PLOT_KEYS)}"' in page
    for key in PLOT_KEYS:
        assert f'id="plot-{key}"' in page
    assert "SYNTHETIC DATA" in page  # the demo run used the simulator
    assert "at gpt-3.5-turbo prices" in page
    assert "estimated as characters / 4" in page  # says where token lengths come from
    assert page.count('class="chain"') >= 1 and "round 3" in page  # a lineage chain reaches the last round


def _chromium(binary: str, page: Path, profile: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [binary, *CHROME_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_renders_in_headless_chromium(report: Path, chromium: str, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    wait = "--virtual-time-budget=10000"  # let timers and the load event run before dumping
    procs = [  # two runs at once (separate profiles): the DOM with console logging, and a screenshot
        _chromium(chromium, report, tmp_path / "p1", "--enable-logging=stderr", "--v=0", wait, "--dump-dom"),
        _chromium(chromium, report, tmp_path / "p2", f"--screenshot={shot}", "--window-size=1280,4000", wait),
    ]
    (html, log), (_, shot_log) = (p.communicate(timeout=180) for p in procs)
    assert procs[0].returncode == 0, log[-3000:]
    console = [line for line in log.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert not console, "the page logged to the console:\n" + "\n".join(console)
    errors = re.search(r'<div id="js-errors"[^>]*>(.*?)</div>', html, re.S)
    assert errors is not None and not errors.group(1).strip(), f"script error on the page: {errors and errors.group(1)}"
    for key in PLOT_KEYS:  # every plot div holds a drawn plotly svg
        start = html.index(f'id="plot-{key}"')
        end = html.find('class="evol-plot"', start)
        assert 'class="main-svg"' in html[start:end if end > 0 else len(html)], f"plot {key} was not drawn"
    rendered = re.search(r'data-rendered-svgs="(\d+)"', html)
    assert rendered and int(rendered.group(1)) >= len(PLOT_KEYS)

    assert procs[1].returncode == 0 and shot.exists(), shot_log[-3000:]
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 200, f"screenshot looks blank ({len(colours)} colours)"
    white = max((n for n, rgb in colours if rgb == (255, 255, 255)), default=0)
    assert white < 0.95 * image.width * image.height, "screenshot is almost all white"


def test_verification_table_shows_agreement_figures_when_k_answers_decided() -> None:
    from evol.report.page import _verification_tables

    base = {"round": 1, "kept": 2, "no_gain": 1, "weak_tests": 1, "by_method": {}}
    one = {**base, "verification": {"tried": 3, "status": {"verified": 2}, "kept_verified": 2,
                                    "attempts_total": 4, "difficulty": {"first_try": 1, "later_try": 1}}}
    k = {**base, "verification": {"tried": 3, "status": {"verified": 2}, "kept_verified": 2, "attempts_total": 18,
                                  "difficulty": {"0.5": 2}, "pass_rate_mean": 0.6667, "cases_dropped": 1,
                                  "mutation_score_mean": 0.75}}
    assert "first try" in _verification_tables([one]) and "mean pass rate" not in _verification_tables([one])
    table = _verification_tables([k])
    assert "mean pass rate over k" in table and "0.67" in table and "0.75" in table and "first try" not in table
