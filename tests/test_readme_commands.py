"""Every command line of the README runs, as written, in a scratch folder, and the files it writes are checked.

The commands are read from the README itself (every ``neurodyn ...`` line of its plain code blocks, with ``\\``
continuations and ``VAR=value`` prefixes), so a command added to the README is tested without touching this
file. ``yaml file=NAME`` blocks of the README are written to the scratch folder first (the README runs its
own model file). Output files: a ``.nc`` loads back with neurodyn.io.load and holds finite numbers, a ``.csv``
has a row per sample, a ``.png`` is an image of sensible size with something drawn on it.

The quickstart is checked too: exactly two command lines (install + demo, install + tests, the second being
the one .ci/run executes), and examples/demo.py shows what it says (the step after the low state, units on
every axis).
"""
from __future__ import annotations

import os
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neurodyn

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(text: str):
    """(info string, body) of every fenced block."""
    return re.findall(r"^```([^\n]*)\n(.*?)^```\s*$", text, flags=re.M | re.S)


def readme_commands() -> list[str]:
    cmds = []
    for info, body in _blocks(README):
        if info.strip():
            continue
        joined = re.sub(r"\\\n\s*", " ", body)
        for line in joined.splitlines():
            words = shlex.split(line, comments=True)
            k = next((i for i, w in enumerate(words) if "=" not in w), None)
            if k is not None and words[k] == "neurodyn":
                cmds.append(" ".join(shlex.quote(w) for w in words))
    return cmds


COMMANDS = readme_commands()


def test_the_readme_has_its_command_lines():
    assert len(COMMANDS) >= 6, COMMANDS
    assert any(" brain " in c for c in COMMANDS) and any(c.startswith("neurodyn run JRC") for c in COMMANDS)


def _check_png(path: Path) -> None:
    import matplotlib.image as mpimg
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert h >= 300 and w >= 400, f"{path.name}: {w} x {h} pixels"
    assert float(np.std(img[..., :3])) > 0.02, f"{path.name} is blank"


def _check_output(path: Path) -> None:
    assert path.is_file(), f"{path.name} was not written"
    if path.suffix == ".nc":
        res = neurodyn.load(path)
        arrays = [res[c].to_numpy() for c in res.columns] if isinstance(res, pd.DataFrame) else \
            [res[v].values for v in res.data_vars]
        assert arrays and all(a.size and np.all(np.isfinite(a)) for a in arrays)
    elif path.suffix == ".csv":
        table = pd.read_csv(path, index_col=0)
        assert len(table) > 10 and np.all(np.isfinite(table.to_numpy()))
    elif path.suffix == ".png":
        _check_png(path)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One folder for all the README's command lines, run in their order (a later line may read what an earlier
    one wrote, as on a user's machine), with the README's ``yaml file=NAME`` blocks written into it."""
    d = tmp_path_factory.mktemp("readme")
    for info, body in _blocks(README):
        m = re.fullmatch(r"yaml\s+file=(\S+)\s*", info)
        if m:
            (d / m.group(1)).write_text(body)
    return d


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c.split()[:3]))
def test_readme_command(command, scratch):
    tmp_path = scratch
    words = shlex.split(command)
    k = words.index("neurodyn")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.update(dict(w.split("=", 1) for w in words[:k]))
    r = subprocess.run([sys.executable, "-m", "neurodyn.cli", *words[k + 1:]], cwd=tmp_path, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, f"{command}\nstdout:\n{r.stdout[-2000:]}\nstderr:\n{r.stderr[-3000:]}"
    assert "Traceback" not in r.stderr
    args = words[k + 1:]
    written = [tmp_path / args[i + 1] for i, a in enumerate(args) if a in ("--output", "--plot")]
    for path in written:
        _check_output(path)
    if args[0] == "brain" and "--output" in args:
        ds = neurodyn.load(tmp_path / args[args.index("--output") + 1])
        off = ds["fc"].values[~np.eye(ds.sizes["region"], dtype=bool)]
        assert off.std() > 0.05 and off.min() < 0.9, "the README's network shows no structure (FC ~ 1)"
    if args[0] == "templates":
        assert "JRC" in r.stdout


def test_quickstart_is_two_command_lines_and_ci_runs_the_second():
    quick = README[README.index("## Quickstart"):README.index("## A taste")]
    lines = [body.strip() for info, body in _blocks(quick)]
    assert len(lines) == 2 and all("\n" not in line for line in lines), lines
    assert lines[0].endswith("examples/demo.py") and lines[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "grep -m1 -E '^python3 -m venv \\.venv .*pytest' README.md" in ci
    assert re.search(r"^python3 -m venv \.venv .*pytest", lines[1])


def test_demo_shows_what_it_says(monkeypatch):
    """Panel 2: the rate is low before the step (which starts after t = 0) and high after it; every panel has
    both axis labels with units; the printed numbers are the theory's (alpha, gamma, |z - Z| ~ 0)."""
    monkeypatch.setenv("NEURODYN_EXAMPLE_QUICK", "1")
    monkeypatch.syspath_prepend(str(ROOT / "examples"))          # the examples' shared _paths module
    monkeypatch.delitem(sys.modules, "_paths", raising=False)   # read with the quick setting
    demo = runpy.run_path(str(ROOT / "examples" / "demo.py"), run_name="demo")
    assert demo["STEP_ON"] > 0
    fig, numbers = demo["build"]()
    for ax in fig.axes:
        assert re.search(r"\(.+\)", ax.get_xlabel()) and re.search(r"\(.+\)", ax.get_ylabel()), ax.get_title()
    assert numbers["mpr_rate_before_step"] < 0.2 < 0.5 < numbers["mpr_rate_after_step"]
    assert 8 <= numbers["jrc_frequency_hz"] <= 13 and 30 <= numbers["ping_frequency_hz"] <= 100
    assert numbers["theta_vs_mpr_max_error"] < 1e-6
