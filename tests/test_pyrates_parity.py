"""Side by side with PyRates: every circuit template PyRates ships, read from PyRates's own YAML files
unchanged, run in both simulators with the same solver (Euler), step and outputs.

Agreement is required to 1e-12 relative: both integrate the same equations with the same explicit Euler
scheme in float64, so only round-off (operation order) may differ. Templates PyRates itself cannot run are
skipped with PyRates's error as the reason. Two known differences are reported explicitly:

- complex states (kmo_theta, kmo_mf, ...): PyRates 1.2.3 with float64 precision silently drops the imaginary
  part of complex state variables, so its trajectories are no reference; neurodyn keeps them complex and is
  validated against scipy in tests/library.
- gamma-distributed edge delays (``spread``) on a source that also has instantaneous edges: PyRates 1.2.3's
  generated right-hand side reads its delay buffer (``m_buffered_in0``) before writing the current chain output
  into it, so delayed inputs use values one evaluation old. A single gamma-delayed edge, where PyRates does not
  use the buffer, agrees exactly (test_gamma_delay_single_edge_matches_pyrates).
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
            "PyRates 1.2.3 bug: its generated vector_field reads the delay buffer before updating it in the same "
            "evaluation (stale by one evaluation), so delayed inputs lag; neurodyn evaluates in dependency order")))
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


@pytest.mark.peer
def test_gamma_delay_single_edge_matches_pyrates():
    """One gamma-distributed self-edge (delay 1, spread 0.5 -> a 4th-order chain): identical to PyRates."""
    from pyrates.frontend import CircuitTemplate as PT, NodeTemplate as PN
    from neurodyn.frontend import CircuitTemplate, template_from_yaml
    edge = ("p/qif_op/r", "p/qif_op/r_in", None, {"weight": 15.0, "delay": 1.0, "spread": 0.5})
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pc = PT(name="c", nodes={"p": PN.from_yaml("model_templates.neural_mass_models.qif.qif_pop")}, edges=[edge])
        ref = pc.run(simulation_time=5.0, step_size=1e-3, solver="euler", outputs={"r": "p/qif_op/r"},
                     float_precision="float64")
    node = template_from_yaml("model_templates.neural_mass_models.qif.qif_pop")
    ours = CircuitTemplate("c", nodes={"p": node}, edges=[edge]).run(5.0, 1e-3, solver="euler",
                                                                      outputs={"r": "p/qif_op/r"})
    np.testing.assert_allclose(ours["r"].to_numpy(), ref["r"].to_numpy(), rtol=1e-12, atol=0)
