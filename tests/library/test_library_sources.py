"""Every bundled template's parameters against their sources.

Two independent statements of the values, neither read from our YAML:

* the papers: the constants of REFERENCE.md (Montbrio, Pazo & Roxin 2015; Jansen & Rit 1995; Delicado,
  Huguet & Clusella 2025; Dumont & Gutkin 2019), written in this file with their units converted by hand;
* PyRates's own template files (the installed ``model_templates`` package, the peer whose names and defaults
  our library keeps): for every circuit PyRates also ships, each parameter, initial value, input default and
  edge (weight, delay, spread) of our circuit equals PyRates's.

neurodyn's values are read from the IR that neurodyn builds from the bundled YAML (``build_ir``), i.e. what a
simulation actually uses after inheritance, ``replace`` and node/edge resolution. The trajectory tests
(test_library_vs_scipy.py) pin the same numbers through the dynamics; this file names the constant that is
wrong when one is.
"""
from __future__ import annotations

import numpy as np
import pytest

from neurodyn.ir import build_ir
from neurodyn.lang.templates import CircuitTemplate
from neurodyn.lang.yaml_io import set_model_templates_root

# ------------------------------------------------------------------------------------------------------
# the papers (REFERENCE.md), units as in the templates
# ------------------------------------------------------------------------------------------------------

# Montbrio, Pazo & Roxin 2015 (PRX 5:021028), the defaults of TVB and PyRates: tau = 1, Delta = 1, eta = -5,
# J = 15 (in the templates J is the weight of the self-edge r -> r_in).
MPR = dict(tau=1.0, Delta=1.0, eta=-5.0, J=15.0)

# Jansen & Rit 1995 (Biol. Cybern. 73:357), Table/Section 2: A = 3.25 mV, B = 22 mV, a = 100/s, b = 50/s,
# e0 = 2.5/s, v0 = 6 mV, r = 0.56/mV, C = 135 with C1 = C, C2 = 0.8 C, C3 = C4 = 0.25 C; p = 220 pulses/s (the
# middle of their 120-320 range, PyRates's default). SI units in the templates: V, s.
JR_A, JR_B, JR_a, JR_b = 3.25e-3, 22e-3, 100.0, 50.0
JR_e0, JR_v0, JR_r, JR_C, JR_p = 2.5, 6e-3, 0.56e3, 135.0, 220.0

# Delicado, Huguet & Clusella 2025 (arXiv:2512.03907), REFERENCE.md section 3; time in ms.
NG = dict(tau_e=8.0, tau_i=8.0, tau_se=1.0, tau_si=5.0, nu_e=-5.0, nu_i=-5.0, Delta_e=1.0, Delta_i=1.0,
          J_ee=5.0, J_ei=13.0, J_ie=13.0, J_ii=5.0, I_ext_i=0.0)


def _jr_column(prefix=""):
    values = {}
    for node, op in (("pc", "rpo_e_in"), ("ein", "rpo_e"), ("iin", "rpo_e")):
        values[f"{prefix}{node}/{op}/h"] = JR_A                 # excitatory PSP gain A
        values[f"{prefix}{node}/{op}/tau"] = 1.0 / JR_a         # 1/a
        values[f"{prefix}{node}/pro/m_max"] = 2.0 * JR_e0       # sigmoid maximum 2 e0
        values[f"{prefix}{node}/pro/s"] = JR_r
        values[f"{prefix}{node}/pro/v_thr"] = JR_v0
    values[f"{prefix}pc/rpo_i/h"] = -JR_B                      # inhibitory PSP: gain B with a minus sign
    values[f"{prefix}pc/rpo_i/tau"] = 1.0 / JR_b
    values[f"{prefix}pc/rpo_e_in/u"] = JR_p
    edges = {(f"{prefix}pc/pro/m", f"{prefix}ein/rpo_e/m_in"): JR_C,            # C1
             (f"{prefix}ein/pro/m", f"{prefix}pc/rpo_e_in/m_in"): 0.8 * JR_C,   # C2
             (f"{prefix}pc/pro/m", f"{prefix}iin/rpo_e/m_in"): 0.25 * JR_C,     # C3
             (f"{prefix}iin/pro/m", f"{prefix}pc/rpo_i/m_in"): 0.25 * JR_C}     # C4
    return values, edges


def _conformal(r, v):
    """Z = (1 - conj(W)) / (1 + conj(W)), W = pi r + i v (tau = 1): the theta state of an MPR state."""
    W = np.pi * r + 1j * v
    return (1 - np.conj(W)) / (1 + np.conj(W))


def _paper_cases():
    """(short name, {path: value}, {(source, target): weight}) stated from the papers."""
    cases = []
    mpr = {f"p/{{op}}/{k}": MPR[k] for k in ("tau", "Delta", "eta")}
    for name, op in (("qif", "qif_op"), ("qif_sfa", "qif_sfa_op"), ("qif_syn", "qif_syn_op")):
        cases.append((name, {k.format(op=op): v for k, v in mpr.items()},
                      {(f"p/{op}/r", f"p/{op}/r_in"): MPR["J"]}))
    # theta neurons = MPR through the conformal map; the initial z is the MPR state r = 0, v = -2
    cases.append(("kmo_theta", {"p/theta_op/tau": MPR["tau"], "p/theta_op/Delta": MPR["Delta"],
                                "p/theta_op/eta": MPR["eta"], "p/theta_op/z": _conformal(0.0, -2.0),
                                "p/theta_op/i": 1j},
                  {("p/theta_op/r", "p/theta_op/s"): MPR["J"]}))
    cases.append(("JRC",) + _jr_column())
    jrc2 = {"jrc/jrc_op/h_e": JR_A, "jrc/jrc_op/h_i": JR_B, "jrc/jrc_op/tau_e": 1.0 / JR_a,
            "jrc/jrc_op/tau_i": 1.0 / JR_b, "jrc/jrc_op/m_max": 2.0 * JR_e0, "jrc/jrc_op/r": JR_r,
            "jrc/jrc_op/V_thr": JR_v0, "jrc/jrc_op/c": JR_C, "jrc/jrc_op/ei_ratio": JR_C / (0.25 * JR_C),
            "jrc/jrc_op/u": JR_p}
    cases.append(("JRC2", jrc2, {}))
    v1, e1 = _jr_column("jrc1/")
    v2, e2 = _jr_column("jrc2/")
    cases.append(("JRC_2delaycoupled", {**v1, **v2}, {**e1, **e2}))
    ng = {f"p/ei_ping_op/{k}": v for k, v in NG.items()}
    ng["p/ei_ping_op/eps"] = 0.0          # the isolated node by default (docs/library.md)
    cases.append(("ei_ping", ng, {("p/ei_ping_op/s_e", "p/ei_ping_op/s_net"): 1.0}))   # homogeneous network state
    # Dumont & Gutkin 2019: the same node without recurrent excitation and inhibition
    dg = {k.replace("ei_ping_op", "ping_dg_op"): v for k, v in ng.items()}
    dg.update({"p/ping_dg_op/J_ee": 0.0, "p/ping_dg_op/J_ii": 0.0})
    cases.append(("ping_dg", dg, {("p/ping_dg_op/s_e", "p/ping_dg_op/s_net"): 1.0}))
    return cases


PAPER_CASES = _paper_cases()


def circuit_values(circuit) -> tuple[dict, dict]:
    """({node/op/var: value} of every constant, state and input default, {(source, target): edge}) of the IR
    neurodyn builds for ``circuit`` (a dotted name or short name)."""
    c = CircuitTemplate.from_yaml(circuit)
    ir = build_ir(c)
    values = {}
    for g in ir.groups:
        for v in g.variables:
            if v.kind in ("constant", "state", "input") and v.sym in g.values:
                for i, node in enumerate(g.nodes):
                    if "@" not in node:       # internal nodes (gamma-delay chains, edge operators)
                        values[f"{node}/{v.path}"] = complex(g.values[v.sym][i]) if np.iscomplexobj(
                            g.values[v.sym]) else float(g.values[v.sym][i])
    edges = {(e.source, e.target): (e.weight, e.delay, e.spread) for e in c.flat_edges()}
    return values, edges


@pytest.mark.parametrize("name, expected, expected_edges", PAPER_CASES, ids=[c[0] for c in PAPER_CASES])
def test_parameters_are_the_papers(name, expected, expected_edges):
    values, edges = circuit_values(name)
    for path, value in expected.items():
        assert path in values, f"{name}: no parameter {path} (have {sorted(values)[:8]} ...)"
        # decimal constants converted by one multiplication: equal to round-off
        assert values[path] == pytest.approx(value, rel=1e-14, abs=0.0), f"{name}: {path}"
    for key, weight in expected_edges.items():
        assert key in edges, f"{name}: no edge {key}"
        assert edges[key][0] == pytest.approx(weight, rel=1e-14), f"{name}: weight of {key}"


# ------------------------------------------------------------------------------------------------------
# PyRates's own template files
# ------------------------------------------------------------------------------------------------------

SHARED_WITH_PYRATES = {
    "qif": "neural_mass_models.qif.qif",
    "qif_sfa": "neural_mass_models.qif.qif_sfa",
    "kmo_theta": "neural_mass_models.theta.kmo_theta",
    "JRC": "neural_mass_models.jansenrit.JRC",
    "JRC2": "neural_mass_models.jansenrit.JRC2",
    "JRC_2delaycoupled": "neural_mass_models.jansenrit.JRC_2delaycoupled",
    "WC": "neural_mass_models.wilsoncowan.WC",
    "kmo": "oscillators.kuramoto.kmo",
    "kmo_2coupled": "oscillators.kuramoto.kmo_2coupled",
    "kmo_mf": "oscillators.kuramoto.kmo_mf",
    "sl": "oscillators.stuartlandau.sl",
}


@pytest.fixture(scope="module")
def pyrates_root():
    pytest.importorskip("pyrates", reason="PyRates (test peer) not installed: cannot read its template files")
    import model_templates
    return model_templates.__path__[0]


@pytest.mark.peer
@pytest.mark.parametrize("name", sorted(SHARED_WITH_PYRATES))
def test_parameters_equal_pyrates_template(name, pyrates_root):
    dotted = "model_templates." + SHARED_WITH_PYRATES[name]
    ours, our_edges = circuit_values(dotted)
    set_model_templates_root(pyrates_root)
    try:
        theirs, their_edges = circuit_values(dotted)
    finally:
        set_model_templates_root(None)
    assert ours.keys() == theirs.keys(), (sorted(set(ours) ^ set(theirs)))
    different = {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}
    assert not different, f"{name}: values differ from PyRates's template (ours, PyRates): {different}"
    assert our_edges == their_edges


def test_every_bundled_circuit_is_checked_against_a_source():
    """Guards the lists: a new circuit template must come with its source statement (paper or PyRates)."""
    from pathlib import Path

    import yaml

    library = Path(__file__).resolve().parents[2] / "src" / "neurodyn" / "library"
    index = yaml.safe_load((library / "index.yaml").read_text())
    circuits = set()
    for f in library.rglob("*.yaml"):
        if f.name == "index.yaml":
            continue
        for key, body in (yaml.safe_load(f.read_text()) or {}).items():
            if isinstance(body, dict) and body.get("base") == "CircuitTemplate":
                circuits.add(key)
    checked = {c[0] for c in PAPER_CASES} | set(SHARED_WITH_PYRATES)
    assert circuits <= checked, f"circuits without a source check: {sorted(circuits - checked)}"
    assert all(name in index for name in checked)
