"""Side by side with PyRates: every circuit template PyRates ships, read from PyRates's own YAML files
unchanged, run in both simulators with the same solver (Euler), step and outputs.

Agreement is required to 1e-12 relative: both integrate the same equations with the same explicit Euler
scheme in float64, so only round-off (operation order) may differ. Templates PyRates itself cannot run are
skipped with PyRates's error as the reason. Two known differences are reported explicitly:

- complex states (kmo_theta, kmo_mf, ...): PyRates 1.2.3 with float64 precision silently drops the imaginary
  part of complex state variables, so its trajectories are no reference; neurodyn keeps them complex and is
  validated against scipy in tests/library.
- gamma-distributed edge delays (``spread``): see the xfail reason.
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import warnings

import numpy as np
import pytest
import yaml

pyrates = pytest.importorskip("pyrates", reason="PyRates (test extra) is not installed")
import model_templates  # noqa: E402  (installed by PyRates)

from neurodyn.lang.yaml_io import set_model_templates_root  # noqa: E402
from neurodyn.simulate import compile_model  # noqa: E402

ROOT = os.path.dirname(model_templates.__file__)
GAMMA_DELAY = {"model_templates.neural_mass_models.jansenrit.JRC_2delaycoupled",
               "model_templates.neural_mass_models.qif.qif_sd"}


def _circuits() -> list[str]:
    names = []
    for f in sorted(glob.glob(os.path.join(ROOT, "**", "*.yaml"), recursive=True)):
        if "test_resources" in f:
            continue
        data = yaml.safe_load(open(f)) or {}
        rel = os.path.relpath(f, ROOT)[:-5].replace(os.sep, ".")
        names += [f"model_templates.{rel}.{k}" for k, v in data.items()
                  if isinstance(v, dict) and v.get("base") == "CircuitTemplate"]
    return names


@pytest.fixture(autouse=True)
def pyrates_root():
    set_model_templates_root(ROOT)
    yield
    set_model_templates_root(None)


def _run_pyrates(name, T, dt, outputs):
    from pyrates import clear, clear_frontend_caches
    from pyrates.frontend import CircuitTemplate
    clear_frontend_caches()
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmpl = CircuitTemplate.from_yaml(name)
        res = tmpl.run(simulation_time=T, step_size=dt, solver="euler", backend="default", outputs=outputs,
                       float_precision="float64")
        clear(tmpl)
    return res


@pytest.mark.peer
@pytest.mark.parametrize("name", _circuits(), ids=lambda n: n.replace("model_templates.", ""))
def test_matches_pyrates(name, request):
    T, dt = (0.5, 1e-4) if "jansenrit" in name else (10.0, 1e-3)
    if name in GAMMA_DELAY:
        request.applymarker(pytest.mark.xfail(strict=True, reason=(
            "gamma-distributed delays: PyRates and neurodyn use the same linear chain (order round((d/s)^2), "
            "rate order/d) but differ by 1e-4..1e-2 relative; neurodyn's chain is checked against the analytic "
            "gamma kernel in tests/core; the cause on PyRates's side is not identified yet")))
    try:
        model = compile_model(name)
    except Exception as exc:  # report which templates neurodyn cannot read, with PyRates's own verdict
        try:
            _run_pyrates(name, T, dt, {})
        except Exception as perr:
            pytest.skip(f"PyRates cannot run it either ({type(perr).__name__}: {str(perr)[:120]}); "
                        f"neurodyn says: {exc}")
        raise
    outputs = {f"o{k}": f"{g.nodes[i]}/{v.path}" for k, (g, v, i) in enumerate(
        (g, v, i) for g in model.ir.groups for v in g.variables if v.kind == "state" for i in range(g.n)
        if "@" not in g.nodes[i])}
    try:
        ref = _run_pyrates(name, T, dt, outputs)
    except Exception as exc:
        pytest.skip(f"PyRates cannot run {name}: {type(exc).__name__}: {str(exc)[:160]}")
    ours = model.run(T, dt, outputs=outputs, solver="euler")
    P = ref[list(outputs)].to_numpy()
    N = ours[list(outputs)].to_numpy()
    if np.iscomplexobj(N) and not np.iscomplexobj(P):
        pytest.skip("PyRates drops the imaginary part of complex states (float64 precision), so its trajectory "
                    "is not a reference; neurodyn keeps complex states complex (validated in tests/library)")
    assert P.shape == N.shape
    scale = np.max(np.abs(P)) + 1e-300
    np.testing.assert_allclose(N, P, rtol=0, atol=1e-12 * scale)
