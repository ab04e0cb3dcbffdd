"""Every bundled circuit template, run by neurodyn, against a hand-written scipy solution.

The references (``libref_models.py``) are written from the papers' equations, not from the YAML. Both sides
integrate with DOP853 at rtol = atol = 1e-12, so each trajectory is within ~1e-11 (relative) of the exact
solution over these short horizons; two such solutions of the same ODE written with differently ordered
floating-point operations then agree to ~1e-10 or better (measured: the same references agree with PyRates
to <= 3e-11 relative, see docs/library.md). We assert ``rtol=1e-8`` plus an absolute floor of 1e-9 times
the output's largest magnitude (for outputs that cross zero), which leaves a factor ~100 of margin for
error amplification along the trajectories while still failing on any wrong term, parameter, sign,
initial value or unit (those give errors of order 1e-3 or more).

Input arrays follow the neurodyn convention: sample k at t_k = k * step_size, linear interpolation between
samples, held after the last one; the reference interpolates the same samples with ``numpy.interp``.
Output sample k is at t = k * sampling_step_size, row 0 being the initial state.

These tests need ``neurodyn.frontend`` (the core). Until it lands they fail (by design: no skip).
"""

from __future__ import annotations

import numpy as np
import pytest

import libref_models as ref

RTOL = 1e-8      # see module docstring
ATOL_REL = 1e-9  # absolute floor, relative to max |reference|


def circuit_template():
    from neurodyn.frontend import CircuitTemplate  # imported here so that collection never fails
    return CircuitTemplate


def sample_grid(T, dt):
    """Input sample times t_k = k dt, k = 0 .. round(T/dt) - 1."""
    return np.arange(int(round(T / dt))) * dt


def output_grid(T, ds):
    return np.arange(int(round(T / ds))) * ds


def run_neurodyn(template, reference, T, dt, ds, inputs=None):
    res = template.run(simulation_time=T, step_size=dt, sampling_step_size=ds, outputs=reference.outputs,
                       inputs=inputs, solver="scipy", method="DOP853", rtol=1e-12, atol=1e-12)
    return res


def assert_matches(res, reference, T, ds):
    t = output_grid(T, ds)
    assert len(res.index) == len(t), f"expected {len(t)} samples, got {len(res.index)}"
    np.testing.assert_allclose(np.asarray(res.index, dtype=float), t, rtol=0, atol=1e-9 * ds)
    expected = reference.solve(t)
    for key in reference.outputs:
        got = np.asarray(res[key].values)
        exp = expected[key]
        if np.iscomplexobj(exp):
            assert np.iscomplexobj(got), f"{key} must stay complex, got dtype {got.dtype}"
        np.testing.assert_allclose(got, exp, rtol=RTOL, atol=ATOL_REL * np.max(np.abs(exp)),
                                   err_msg=f"{reference.template}: output {key}")


def pulse(T, dt, t_on, t_off, amp):
    t = sample_grid(T, dt)
    return t, np.where((t > t_on) & (t < t_off), amp, 0.0)


def _cases():
    """(id, reference, T, dt, ds, inputs, node_vars)."""
    out = []
    # input grids are kept coarse where the input has many kinks: every kink of a piecewise-linear input
    # forces both adaptive integrators to shorten their steps, which costs time, not accuracy
    T, dt = 40.0, 1e-2
    t, I = pulse(T, dt, 0.0, 30.0, 3.0)
    drive = ref.sampled_input(I, t)
    out.append(("qif-step", ref.qif(I=drive), T, dt, 1e-2, {"p/qif_op/I_ext": I}, {}))
    out.append(("qif_sfa-step", ref.qif_sfa(I=drive), T, dt, 1e-2, {"p/qif_sfa_op/I_ext": I}, {}))
    out.append(("qif_syn-step", ref.qif_syn(I=drive), T, dt, 1e-2, {"p/qif_syn_op/I_ext": I}, {}))
    out.append(("kmo_theta-step", ref.kmo_theta(I=drive), T, dt, 1e-2, {"p/theta_op/I_ext": I}, {}))
    out.append(("qif", ref.qif(), 20.0, 1e-3, 1e-2, None, {}))
    out.append(("kmo_theta", ref.kmo_theta(), 20.0, 1e-3, 1e-2, None, {}))
    out.append(("JRC", ref.jrc(), 2.0, 1e-4, 1e-3, None, {}))
    tp = sample_grid(1.0, 1e-3)
    p = 120.0 + 200.0 * tp              # ramp through the JR bifurcations; samples on a line: one kink only
    out.append(("JRC-input", ref.jrc(p=ref.sampled_input(p, tp)), 1.0, 1e-3, 1e-3, {"pc/rpo_e_in/u": p}, {}))
    out.append(("JRC2", ref.jrc2(), 2.0, 1e-4, 1e-3, None, {}))
    out.append(("JRC_2delaycoupled", ref.jrc_2delaycoupled(), 0.3, 1e-4, 1e-3, None, {}))
    tn = sample_grid(100.0, 1e-1)
    In = 4.0 + 0.08 * tn                # ramp 4 -> 12 across the lower Hopf point (one kink, at the end)
    out.append(("ei_ping-input", ref.ei_ping(I_ext_e=ref.sampled_input(In, tn)), 100.0, 1e-1, 1e-1,
                {"p/ei_ping_op/I_ext_e": In}, {}))
    out.append(("ei_ping", ref.ei_ping(), 200.0, 1e-2, 1e-1, None, {}))
    out.append(("ei_ping-eps", ref.ei_ping(eps=4.0), 200.0, 1e-2, 1e-1, None, {"p/ei_ping_op/eps": 4.0}))
    out.append(("ping_dg", ref.ping_dg(), 200.0, 1e-2, 1e-1, None, {}))
    tw = sample_grid(200.0, 1e-1)
    rext = np.where(tw > 20.0, 2.0, 0.0)
    out.append(("WC", ref.wc(r_ext_e=ref.sampled_input(rext, tw)), 200.0, 1e-1, 1e-1, {"e/se_op/r_ext": rext}, {}))
    tk = sample_grid(2.0, 1e-2)
    sext = np.sin(2 * np.pi * tk)
    out.append(("kmo", ref.kmo(drive=ref.sampled_input(sext, tk)), 2.0, 1e-2, 1e-2, {"p/phase_op/s_ext": sext}, {}))
    out.append(("kmo_2coupled", ref.kmo_2coupled(omega1=12.0), 5.0, 1e-3, 1e-2, None, {"p1/phase_op/omega": 12.0}))
    out.append(("kmo_mf", ref.kmo_mf(), 5.0, 1e-3, 1e-2, None, {}))
    out.append(("sl", ref.sl(), 10.0, 1e-3, 1e-2, None, {}))
    out.append(("sl-offcycle", ref.sl(x0=0.5), 10.0, 1e-3, 1e-2, None, {"p/sl_op/x": 0.5}))
    return out


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_template_matches_scipy_reference(case):
    _, reference, T, dt, ds, inputs, node_vars = case
    template = circuit_template().from_yaml(reference.template)
    if node_vars:
        template = template.update_var(node_vars=node_vars)
    res = run_neurodyn(template, reference, T, dt, ds, inputs)
    assert_matches(res, reference, T, ds)


def test_every_bundled_circuit_has_a_reference_case():
    """Guards the test list itself: a new circuit template must come with its scipy reference."""
    import yaml
    from pathlib import Path

    library = Path(__file__).resolve().parents[2] / "src" / "neurodyn" / "library"
    circuits = set()
    for f in library.rglob("*.yaml"):
        if f.name == "index.yaml":
            continue
        rel = f.relative_to(library).with_suffix("")
        for name, body in (yaml.safe_load(f.read_text()) or {}).items():
            if isinstance(body, dict) and body.get("base") == "CircuitTemplate":
                circuits.add("model_templates." + ".".join(rel.parts) + "." + name)
    covered = {c[1].template for c in CASES}
    assert circuits, "no circuit templates found"
    assert circuits <= covered, f"circuits without a scipy reference case: {sorted(circuits - covered)}"


def test_update_var_changes_the_frontend_template_in_place():
    """PyRates's habit: ``c.update_var(...)`` then ``c.run(...)`` runs the new values (PyRates 1.2.3 changes the
    circuit in place and returns it); the core's templates stay immutable."""
    from neurodyn.lang.templates import CircuitTemplate as CoreTemplate
    CT = circuit_template()
    T, dt, ds = 20.0, 1e-3, 1e-2
    circuit = CT.from_yaml("model_templates.neural_mass_models.qif.qif")
    assert circuit.update_var(node_vars={"p/qif_op/eta": -3.0}) is circuit
    res_changed = run_neurodyn(circuit, ref.qif(eta=-3.0), T, dt, ds)
    assert_matches(res_changed, ref.qif(eta=-3.0), T, ds)
    core = CoreTemplate.from_yaml("model_templates.neural_mass_models.qif.qif")
    changed = core.update_var(node_vars={"p/qif_op/eta": -3.0})
    assert changed is not core
    assert core.flat_nodes()["p"].operator("qif_op").variables["eta"].value == -5.0
    res_original = run_neurodyn(CT.from_core(core), ref.qif(eta=-5.0), T, dt, ds)
    assert_matches(res_original, ref.qif(eta=-5.0), T, ds)
    # and the two differ for real (eta = -3 is monostable high, eta = -5 from r0 = 0.01 stays low)
    assert abs(res_changed["r"].values[-1] - res_original["r"].values[-1]) > 0.5


def test_update_var_sets_initial_state_and_operator_parameter():
    CT = circuit_template()
    reference = ref.qif(r0=0.5, v0=-1.0, J=15.0, Delta=2.0)
    template = CT.from_yaml("model_templates.neural_mass_models.qif.qif").update_var(
        node_vars={"p/qif_op/r": 0.5, "p/qif_op/v": -1.0, "p/qif_op/Delta": 2.0})
    res = run_neurodyn(template, reference, 10.0, 1e-3, 1e-2)
    assert_matches(res, reference, 10.0, 1e-2)
