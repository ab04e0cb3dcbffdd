"""Side by side with PyRates: every circuit template PyRates ships, read from PyRates's own YAML files
unchanged, run in both simulators. Nothing is skipped: each shipped circuit falls in exactly one class below
(``test_every_shipped_circuit_is_classified`` guards the lists).

* **plain** circuits: both run the same equations with explicit Euler, same step and outputs, in float64; they
  must agree to 1e-12 relative (only round-off, i.e. operation order, may differ).
* **complex** states (``COMPLEX``): PyRates 1.2.3 with ``float_precision="float64"`` silently drops the
  imaginary part of complex state variables (asserted below: its output is real-typed); with
  ``float_precision="complex128"`` it keeps them, and then the complex trajectories agree to 1e-12 as well.
* **broken** files (``BROKEN``): PyRates's own loader fails on six shipped circuits (old-format variables, an
  edge to an operator the node does not have, an undefined edge template, a mis-indented file). For each, the
  exact PyRates exception and neurodyn's typed error are asserted; then the file is repaired by the minimal
  edit written in the test (to what it evidently means) and neurodyn's trajectory is checked against a
  high-accuracy scipy solution of those equations, written here.
* **gamma-distributed delays** (``spread``): on ``JRC_2delaycoupled`` PyRates's vectorised code reads its delay
  buffer before writing it in the same evaluation (delayed inputs lag by one evaluation: asserted, > 1e-3 off);
  with ``vectorize=False`` PyRates agrees with neurodyn to round-off. On ``qif_sd`` (a depressing edge operator
  *and* a gamma delay) both tools apply the edge operator to the undelayed source and delay its output (PyRates's
  composition, which neurodyn follows): the two are checked against a scipy solution of that reading, and that
  reading is shown to differ from the other (delaying the source first) by ~8e-4. See docs/library.md.
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import shutil
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import yaml
from scipy.integrate import solve_ivp

pyrates = pytest.importorskip("pyrates", reason="PyRates (test extra) is not installed")
import model_templates  # noqa: E402  (installed by PyRates)

from neurodyn.errors import (EquationError, TemplateError, TemplateNotFoundError,  # noqa: E402
                             VariablePathError)
from neurodyn.lang.yaml_io import set_model_templates_root  # noqa: E402
from neurodyn.simulate import compile_model  # noqa: E402

ROOT = os.path.dirname(model_templates.__file__)
MT = "model_templates."
PI = np.pi


def _circuits() -> list[str]:
    names = []
    for f in sorted(glob.glob(os.path.join(ROOT, "**", "*.yaml"), recursive=True)):
        if "test_resources" in f:
            continue
        data = yaml.safe_load(open(f)) or {}
        rel = os.path.relpath(f, ROOT)[:-5].replace(os.sep, ".")
        names += [f"{rel}.{k}" for k, v in data.items() if isinstance(v, dict) and v.get("base") == "CircuitTemplate"]
    return names


@pytest.fixture(autouse=True)
def pyrates_root():
    set_model_templates_root(ROOT)
    yield
    set_model_templates_root(None)


def _run_pyrates(name, T, dt, outputs, **kw):
    from pyrates import clear, clear_frontend_caches
    from pyrates.frontend import CircuitTemplate
    clear_frontend_caches()
    kw.setdefault("float_precision", "float64")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmpl = CircuitTemplate.from_yaml(MT + name)
        try:
            res = tmpl.run(simulation_time=T, step_size=dt, solver="euler", backend="default", outputs=outputs, **kw)
        finally:
            clear(tmpl)
    return res


def _state_outputs(model) -> dict:
    """Every state of every user node (internal delay-chain and edge-operator nodes carry an '@')."""
    return {f"o{k}": f"{g.nodes[i]}/{v.path}" for k, (g, v, i) in enumerate(
        (g, v, i) for g in model.ir.groups for v in g.variables if v.kind == "state" for i in range(g.n)
        if "@" not in g.nodes[i])}


def _horizon(name):
    return (0.5, 1e-4) if "jansenrit" in name else (10.0, 1e-3)


def _euler_pair(name, **pyrates_kw):
    """(neurodyn, PyRates) Euler trajectories of every user state, as arrays of equal shape."""
    T, dt = _horizon(name)
    model = compile_model(MT + name)
    outputs = _state_outputs(model)
    ours = model.run(T, dt, outputs=outputs, solver="euler")[list(outputs)].to_numpy()
    ref = _run_pyrates(name, T, dt, outputs, **pyrates_kw)[list(outputs)].to_numpy()
    assert ours.shape == ref.shape
    return ours, ref


# ----------------------------------------------------------------------------------------------------------
# the classes of shipped circuits
# ----------------------------------------------------------------------------------------------------------

COMPLEX = ["neural_mass_models.theta.kmo_theta", "oscillators.kuramoto.kmo_mf", "oscillators.kuramoto.kmo_mf_2coupled"]
DELAY_BUFFER = ["neural_mass_models.jansenrit.JRC_2delaycoupled"]
EDGE_OPERATOR_WITH_DELAY = ["neural_mass_models.qif.qif_sd"]


@dataclass
class Broken:
    """A shipped circuit PyRates cannot load: PyRates's exception, neurodyn's error, the repair, a reference."""

    pyrates_error: tuple            # (exception type, regex of its message)
    neurodyn_error: tuple           # (neurodyn.errors type, regex of its message)
    file: str                       # file (relative to model_templates) the repair edits
    repairs: list                   # [(old text, new text)], each old text must occur exactly once
    reference: Callable             # () -> (y0, rhs(t, y), {output name: (path, observe(y))}), states real
    T: float = 10.0
    params: dict = field(default_factory=dict)


CNS = "CNS_2019_Tutorial/templates.yaml"
CNS_PI = [("(delta/(PI*tau)+2.*r*v)/tau'\n    - 'd/dt * v = (v^2+eta+I_ext+J*(r+r_exc-r_inh)*tau-(PI*r*tau)^2)/tau'",
           "(delta/(pi*tau)+2.*r*v)/tau'\n    - 'd/dt * v = (v^2+eta+I_ext+J*(r+r_exc-r_inh)*tau-(pi*r*tau)^2)/tau'"),
          ("(delta/(PI*tau)+2.*r*v)/tau'\n    - 'd/dt * v = (v^2+eta+I_ext+J*(r_exc-r_inh-r)*tau-(PI*r*tau)^2)/tau'",
           "(delta/(pi*tau)+2.*r*v)/tau'\n    - 'd/dt * v = (v^2+eta+I_ext+J*(r_exc-r_inh-r)*tau-(pi*r*tau)^2)/tau'")]
CNS_PI_SYNS = [("delta/(PI * tau^2) + 2.*r*v/tau\"\n    - \"d/dt * v = (v^2 + eta + inp) / tau + J_e * I_e - J_i * I_i - "
                "tau*(PI*r)^2\"\n    - \"d/dt * I_e = x_e\"\n    - \"d/dt * x_e = H_e*(r + r_e)",
                "delta/(pi * tau^2) + 2.*r*v/tau\"\n    - \"d/dt * v = (v^2 + eta + inp) / tau + J_e * I_e - J_i * I_i - "
                "tau*(pi*r)^2\"\n    - \"d/dt * I_e = x_e\"\n    - \"d/dt * x_e = H_e*(r + r_e)"),
               ("delta/(PI * tau^2) + 2.*r*v/tau\"\n    - \"d/dt * v = (v^2 + eta + inp) / tau + J_e * I_e - J_i * I_i - "
                "tau*(PI*r)^2\"\n    - \"d/dt * I_e = x_e\"\n    - \"d/dt * x_e = H_e*r_e",
                "delta/(pi * tau^2) + 2.*r*v/tau\"\n    - \"d/dt * v = (v^2 + eta + inp) / tau + J_e * I_e - J_i * I_i - "
                "tau*(pi*r)^2\"\n    - \"d/dt * I_e = x_e\"\n    - \"d/dt * x_e = H_e*r_e")]


def _mpr_pop(r, v, inp, J=15.0, eta=-5.0):
    """The CNS tutorial's Op_exc/Op_inh with tau = delta = 1: (dr, dv) given the net input inp (times J)."""
    return 1.0 / PI + 2.0 * r * v, v * v + eta + J * inp - (PI * r) ** 2


def _ref_cns_ec():
    # Pop_exc alone: its own rate excites it (J (r + r_exc - r_inh), inputs 0); 'default: output' and
    # 'default: variable' start at 0
    def rhs(t, y):
        return _mpr_pop(y[0], y[1], y[0])
    return np.zeros(2), rhs, {"r": ("Pop_exc/Op_exc/r", lambda y: y[0]), "v": ("Pop_exc/Op_exc/v", lambda y: y[1])}


def _ref_cns_jrc_nosyns():
    # PC, EIN: Op_exc (J (r + r_exc - r_inh)); IIN: Op_inh (J (r_exc - r_inh - r)); edges (repaired to the inputs
    # the operators declare): PC -> IIN r_exc 0.3375, IIN -> PC r_inh 0.3375, PC -> EIN r_exc 1.08,
    # EIN -> PC r_exc 1.35
    def rhs(t, y):
        rp, vp, re, ve, ri, vi = y
        return [*_mpr_pop(rp, vp, rp + 1.35 * re - 0.3375 * ri), *_mpr_pop(re, ve, re + 1.08 * rp),
                *_mpr_pop(ri, vi, 0.3375 * rp - ri)]
    obs = {f"{k}_{n}": (f"{n}/{op}/{k}", (lambda j: lambda y: y[j])(2 * i + (k == "v")))
           for i, (n, op) in enumerate((("PC", "Op_exc"), ("EIN", "Op_exc"), ("IIN", "Op_inh"))) for k in "rv"}
    return np.zeros(6), rhs, obs


def _syn_pop(y, r_e, r_i, J_i):
    """Op_exc_syns / Op_inh_syns (tau = delta = 1, eta = -2.5, J_e = 10, H_e = 3.25, H_i = 22, tau_e = 1,
    tau_i = 2); r_e, r_i: the excitatory and inhibitory rates reaching the alpha kernels."""
    r, v, Ie, xe, Ii, xi = y
    tau_e, tau_i = 1.0, 2.0
    return [1.0 / PI + 2.0 * r * v, v * v - 2.5 + 10.0 * Ie - J_i * Ii - (PI * r) ** 2,
            xe, 3.25 * r_e / tau_e - 2 * xe / tau_e - Ie / tau_e ** 2,
            xi, 22.0 * r_i / tau_i - 2 * xi / tau_i - Ii / tau_i ** 2]


def _ref_cns_jrc():
    # PC, EIN: Op_exc_syns (the population's own rate enters its excitatory kernel: H_e (r + r_e)), J_i = 10;
    # IIN: Op_inh_syns (own rate in the inhibitory kernel: H_i (r + r_i)), J_i = 0. Edges as in the file.
    def rhs(t, y):
        pc, ein, iin = y[0:6], y[6:12], y[12:18]
        return np.concatenate([_syn_pop(pc, pc[0] + 1.35 * ein[0], 0.3375 * iin[0], 10.0),
                               _syn_pop(ein, ein[0] + 1.08 * pc[0], 0.0, 10.0),
                               _syn_pop(iin, 0.3375 * pc[0], iin[0], 0.0)])
    names = ("r", "v", "I_e", "x_e", "I_i", "x_i")
    obs = {f"{k}_{n}": (f"{n}/{op}/{k}", (lambda j: lambda y: y[j])(6 * i + names.index(k)))
           for i, (n, op) in enumerate((("PC", "Op_exc_syns"), ("EIN", "Op_exc_syns"), ("IIN", "Op_inh_syns")))
           for k in names}
    return np.zeros(18), rhs, obs


def _ref_qif_gap():
    # qif_gap_op: 2 r v -> r (2 v - g); run with g = 0.5 (params) so that the gap term is exercised
    g = 0.5

    def rhs(t, y):
        r, v = y
        return [1.0 / PI + r * (2.0 * v - g), v * v - 5.0 + 15.0 * r - (PI * r) ** 2]
    return np.array([0.01, -2.0]), rhs, {"r": ("p/qif_gap_op/r", lambda y: y[0]),
                                         "v": ("p/qif_gap_op/v", lambda y: y[1])}


def _ref_qif_alpha_syn():
    # the rate reaches r_in through the alpha kernel of base_templates.alpha_op (tau = 1): a'' = r - 2 a' - a,
    # r_in = 15 a (the edge is linear, so where the weight is applied does not matter)
    def rhs(t, y):
        r, v, a, da = y
        return [1.0 / PI + 2.0 * r * v, v * v - 5.0 + 15.0 * a - (PI * r) ** 2, da, r - 2.0 * da - a]
    return np.array([0.01, -2.0, 0.0, 0.0]), rhs, {"r": ("p/qif_op/r", lambda y: y[0]),
                                                   "v": ("p/qif_op/v", lambda y: y[1])}


def _ref_kmo_conductance():
    # theta_op with the file's two replacements: I_ext + s -> I_ext + s v_s and Delta) -> Delta) - s (z^2 - 1);
    # s = 15 r, r = (1 - |z|^2) / (pi tau |1 + z|^2); tau = 1, eta = -5, Delta = 1, v_s = -10; z = x + i y
    def rhs(t, y):
        z = y[0] + 1j * y[1]
        s = 15.0 * (1 - abs(z) ** 2) / (PI * abs(1 + z) ** 2)
        dz = ((z + 1) ** 2 * (1j * (-5.0 + s * -10.0) - 1.0) - s * (z * z - 1) - 1j * (z - 1) ** 2) / 2.0
        return [dz.real, dz.imag]
    return np.array([-0.6, -0.8]), rhs, {"z": ("p/conductance_op/z", lambda y: y[0] + 1j * y[1])}


BROKEN = {
    "CNS_2019_Tutorial.templates.EC": Broken(
        (KeyError, r"^'vtype'$"), (EquationError, r"CNS_2019_Tutorial/templates.yaml:7: .*symbol 'PI'"),
        CNS, CNS_PI, _ref_cns_ec),
    "CNS_2019_Tutorial.templates.JRC_nosyns": Broken(
        (KeyError, r"^'vtype'$"), (TemplateError, r"edge template 'DummyEdge' must declare exactly one output"),
        CNS, CNS_PI + [("DummyEdge, {weight: 0.3375}]\n    - [IIN/Op_inh/r, PC/Op_exc/r_i, DummyEdge, {weight: 0.3375}]\n"
                        "    - [PC/Op_exc/r, EIN/Op_exc/r_e, DummyEdge, {weight: 1.080}]\n"
                        "    - [EIN/Op_exc/r, PC/Op_exc/r_e, DummyEdge, {weight: 1.350}]",
                        "null, {weight: 0.3375}]\n    - [IIN/Op_inh/r, PC/Op_exc/r_inh, null, {weight: 0.3375}]\n"
                        "    - [PC/Op_exc/r, EIN/Op_exc/r_exc, null, {weight: 1.080}]\n"
                        "    - [EIN/Op_exc/r, PC/Op_exc/r_exc, null, {weight: 1.350}]"),
                       ("- [PC/Op_exc/r, IIN/Op_inh/r_e, null", "- [PC/Op_exc/r, IIN/Op_inh/r_exc, null")],
        _ref_cns_jrc_nosyns, T=5.0),
    "CNS_2019_Tutorial.templates.JRC": Broken(
        (KeyError, r"^'vtype'$"), (TemplateError, r"edge template 'DummyEdge' must declare exactly one output"),
        CNS, CNS_PI_SYNS + [("Op_exc_syns/r, IIN/Op_inh_syns/r_e, DummyEdge", "Op_exc_syns/r, IIN/Op_inh_syns/r_e, null"),
                            ("Op_inh_syns/r, PC/Op_exc_syns/r_i, DummyEdge", "Op_inh_syns/r, PC/Op_exc_syns/r_i, null"),
                            ("Op_exc_syns/r, EIN/Op_exc_syns/r_e, DummyEdge", "Op_exc_syns/r, EIN/Op_exc_syns/r_e, null"),
                            ("EIN/Op_exc_syns/r, PC/Op_exc_syns/r_e, DummyEdge", "EIN/Op_exc_syns/r, PC/Op_exc_syns/r_e, null")],
        _ref_cns_jrc, T=5.0),
    "neural_mass_models.qif.qif_gap": Broken(
        (KeyError, r"^'p/qif_op/r'$"), (VariablePathError, r"node 'qif_gap_pop' has no operator 'qif_op'"),
        "neural_mass_models/qif.yaml", [("- [p/qif_op/r, p/qif_op/r_in, null, {weight: 15.0}]\n\n# qif population with alpha",
                                         "- [p/qif_gap_op/r, p/qif_gap_op/r_in, null, {weight: 15.0}]\n\n# qif population with alpha")],
        _ref_qif_gap, params={"p/qif_gap_op/g": 0.5}),
    "neural_mass_models.qif.qif_alpha_syn": Broken(
        (AttributeError, r"Could not find alpha_edge in .*qif.yaml"),
        (TemplateNotFoundError, r"template 'alpha_edge' not found \(referenced in .*qif.yaml\)"),
        "neural_mass_models/qif.yaml", [("# operator templates\n", "alpha_edge:\n  base: EdgeTemplate\n  operators:\n"
                                         "    - model_templates.base_templates.alpha_op\n\n# operator templates\n")],
        _ref_qif_alpha_syn),
    "neural_mass_models.theta.kmo_conductance": Broken(
        (AttributeError, r"^'str' object has no attribute 'name'$"),
        (TemplateError, r"theta.yaml:22: unknown key\(s\) \['variables'\] under 'equations'"),
        "neural_mass_models/theta.yaml",
        [("      Delta): Delta) - s*(z^2-1)\n    variables:\n      v_s: -10.0",
          "      Delta): Delta) - s*(z^2-1)\n  variables:\n    v_s: -10.0"),
         ("    p: conductance_pop\n    edges:\n      - [ p/conductance_op/r, p/conductance_op/s, null, {weight: 15.0}]",
          "    p: conductance_pop\n  edges:\n    - [ p/conductance_op/r, p/conductance_op/s, null, {weight: 15.0}]")],
        _ref_kmo_conductance),
}

PLAIN = [n for n in _circuits() if n not in set(COMPLEX) | set(BROKEN) | set(DELAY_BUFFER) | set(EDGE_OPERATOR_WITH_DELAY)]


def test_every_shipped_circuit_is_classified():
    classes = [PLAIN, COMPLEX, list(BROKEN), DELAY_BUFFER, EDGE_OPERATOR_WITH_DELAY]
    every = _circuits()
    assert sorted(sum(classes, [])) == sorted(every)
    assert sum(map(len, classes)) == len(every) == len(set(every))
    assert len(PLAIN) >= 14        # PyRates 1.2.3 ships 27 circuits


# ----------------------------------------------------------------------------------------------------------
# plain and complex circuits
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.peer
@pytest.mark.parametrize("name", PLAIN)
def test_matches_pyrates(name):
    ours, ref = _euler_pair(name)
    assert not np.iscomplexobj(ours)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))


@pytest.mark.peer
@pytest.mark.parametrize("name", COMPLEX)
def test_complex_states_match_pyrates_in_complex128(name):
    ours, ref = _euler_pair(name, float_precision="complex128")
    assert np.iscomplexobj(ours) and np.iscomplexobj(ref)
    assert np.abs(ours.imag).max() > 0.1 * np.abs(ours).max()      # the imaginary parts matter here
    # same Euler scheme in complex128 on both sides: round-off only (measured <= 1e-15 relative)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))


@pytest.mark.peer
@pytest.mark.parametrize("name", COMPLEX)
def test_pyrates_float64_drops_the_imaginary_part(name):
    """How PyRates fails on complex states in float64: the state is cast to real at every step (no error), so
    its trajectory is neither neurodyn's nor its real part."""
    ours, ref = _euler_pair(name, float_precision="float64")
    assert not np.iscomplexobj(ref)
    assert np.abs(ref - ours.real).max() > 1e-2 * np.abs(ours).max()


# ----------------------------------------------------------------------------------------------------------
# circuits PyRates cannot load as shipped
# ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def repaired_root(tmp_path_factory):
    """A copy of PyRates's model_templates with every repair of BROKEN applied (the shipped files unchanged)."""
    root = tmp_path_factory.mktemp("pyrates_repaired") / "model_templates"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
    done = set()
    for case in BROKEN.values():
        path = root / case.file
        text = path.read_text()
        for old, new in case.repairs:
            if (case.file, old) in done:
                continue
            assert text.count(old) == 1, f"repair text not found exactly once in {case.file}: {old[:60]!r}"
            text = text.replace(old, new)
            done.add((case.file, old))
        path.write_text(text)
    return root


@pytest.mark.peer
@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_shipped_circuit(name, repaired_root):
    case = BROKEN[name]
    T, dt = case.T, 1e-3
    # 1. PyRates 1.2.3 fails on its own file, exactly so
    exc, pattern = case.pyrates_error
    with pytest.raises(exc, match=pattern):
        _run_pyrates(name, T, dt, {})
    # 2. neurodyn refuses it with a typed error that says what is wrong
    exc, pattern = case.neurodyn_error
    with pytest.raises(exc, match=pattern):
        compile_model(MT + name)
    # 3. the repaired file, run by neurodyn, against a scipy solution of its equations written in this test
    y0, rhs, observe = case.reference()
    set_model_templates_root(repaired_root)
    model = compile_model(MT + name)
    ds = 0.01
    df = model.run(T, dt, outputs={k: path for k, (path, _) in observe.items()}, solver="scipy", method="DOP853",
                   rtol=1e-12, atol=1e-12, sampling_step_size=ds, params=case.params)
    t = np.arange(int(round(T / ds))) * ds
    np.testing.assert_allclose(df.index.to_numpy(dtype=float), t, rtol=0, atol=1e-9)
    sol = solve_ivp(rhs, (0.0, t[-1]), y0, method="DOP853", t_eval=t, rtol=1e-12, atol=1e-12)
    assert sol.success
    for key, (path, obs) in observe.items():
        expected = obs(sol.y)
        got = df[key].to_numpy()
        assert np.iscomplexobj(got) == np.iscomplexobj(expected), key
        # two DOP853 solutions at 1e-12 of the same equations (different operation order): measured 4e-14 ..
        # 1.4e-11 of the output's range; 1e-8 asserted (a wrong term or parameter gives >= 1e-3)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-8 * np.abs(expected).max(),
                                   err_msg=f"{name}: {key}")


# ----------------------------------------------------------------------------------------------------------
# gamma-distributed delays
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.peer
@pytest.mark.parametrize("name", DELAY_BUFFER)
def test_gamma_delays_match_unvectorised_pyrates(name):
    ours, ref = _euler_pair(name, vectorize=False)
    # unvectorised PyRates evaluates the delay chains in order: the same Euler arithmetic (measured 6e-15)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12 * np.max(np.abs(ref)))
    # how PyRates's default (vectorised) code fails: its delayed inputs lag by one right-hand-side evaluation,
    # measured 8.6e-3 relative over 0.5 s
    _, vec = _euler_pair(name)
    assert np.abs(vec - ref).max() > 1e-3 * np.max(np.abs(ref))


def _qif_sd_reference(order, T=10.0, ds=0.01):
    """qif population, self-edge through the depression operator (x' = (1 - x)/tau_x - k x r_in, r_eff = r_in x,
    tau_x = 100, k = 1) and a gamma delay (mean 0.75, sd 0.3: n = round(6.25) = 6 stages of rate n/0.75),
    weight 15. order 'delay_then_operator': the operator sees the delayed rate; 'operator_then_delay': the
    operator's output r x is delayed."""
    n = int(round((0.75 / 0.3) ** 2))
    rate = n / 0.75

    def rhs(t, y):
        r, v, x, g = y[0], y[1], y[2], y[3:]
        if order == "delay_then_operator":
            source, dx, drive = r, (1 - x) / 100.0 - x * g[-1], 15.0 * g[-1] * x
        else:
            source, dx, drive = r * x, (1 - x) / 100.0 - x * r, 15.0 * g[-1]
        dg = rate * (np.concatenate(([source], g[:-1])) - g)
        return np.concatenate(([1.0 / PI + 2 * r * v, v * v - 5.0 + drive - (PI * r) ** 2, dx], dg))
    t = np.arange(int(round(T / ds))) * ds
    sol = solve_ivp(rhs, (0.0, t[-1]), np.concatenate(([0.01, -2.0, 1.0], np.zeros(n))), method="DOP853",
                    t_eval=t, rtol=1e-12, atol=1e-12)
    return t, sol.y[:2].T


@pytest.mark.peer
@pytest.mark.parametrize("name", EDGE_OPERATOR_WITH_DELAY)
def test_edge_operator_with_gamma_delay_composes_as_pyrates(name):
    from pyrates import clear, clear_frontend_caches
    from pyrates.frontend import CircuitTemplate
    T, ds = 10.0, 0.01
    out = {"r": "p/qif_op/r", "v": "p/qif_op/v"}
    t, delayed_first = _qif_sd_reference("delay_then_operator", T, ds)
    _, operator_first = _qif_sd_reference("operator_then_delay", T, ds)
    assert np.abs(delayed_first - operator_first).max() > 1e-4      # the two readings are different models
    ours = compile_model(MT + name).run(T, 1e-3, outputs=out, solver="scipy", method="DOP853", rtol=1e-12,
                                        atol=1e-12, sampling_step_size=ds)[["r", "v"]].to_numpy()
    clear_frontend_caches()
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tmpl = CircuitTemplate.from_yaml(MT + name)
        try:
            theirs = tmpl.run(simulation_time=T, step_size=1e-3, sampling_step_size=ds, solver="scipy",
                              method="RK45", rtol=1e-12, atol=1e-12, backend="default", outputs=out,
                              float_precision="float64")[["r", "v"]].to_numpy()
        finally:
            clear(tmpl)
    # both apply the operator and delay its output (PyRates measured 1.0e-11 from that reference); DOP853 at
    # rtol 1e-12 on both sides: 1e-9 leaves a wide margin
    np.testing.assert_allclose(theirs[:len(t)], operator_first, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours, operator_first, rtol=0, atol=1e-9)


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
