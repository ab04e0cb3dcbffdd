"""The analytic Jacobian built from the IR, checked against independent computations:
the MPR trace formula, central finite differences of neurodyn's generated kernel (a separate code path:
code generation + Numba, no SymPy differentiation), the conformal map between the theta (complex) and QIF
mean fields, and the eigen-decomposition of a small network around its homogeneous state."""
import numpy as np
import pytest

from neurodyn.analysis import (SymbolicSystem, find_fixed_points, homogeneous_node, network_linearisation)
from neurodyn.backends.data import build_data
from neurodyn.network import BrainNetwork, Connectome, Coupling
from neurodyn.simulate import compile_model, resolve_circuit


def kernel_rhs(model, system):
    """f(x) from the compiled kernel, in the system's real coordinates."""
    data = build_data(model.ir, 0.01)
    pos = []
    for path in system.state_paths:
        gi, i, v, _ = model.ir.find(path)[0]
        pos.append((data.position(gi, v.sym, i)[1], v.dtype == "complex"))
    a = np.zeros(max(data.n_a, 1), dtype=data.dtype)

    def f(x):
        y = data.y0.copy()
        j = 0
        for q, c in pos:
            y[q] = complex(x[j], x[j + 1]) if c else x[j]
            j += 2 if c else 1
        dy = np.zeros_like(y)
        model.kernel.rhs(0.0, 0.0, y, dy, a, data.p, data.M)
        out = []
        for q, c in pos:
            out += [dy[q].real, dy[q].imag] if c else [dy[q].real]
        return np.array(out)
    return f


@pytest.mark.parametrize("name", ["qif", "qif_syn", "ei_ping", "JRC", "kmo_theta", "WC"])
def test_jacobian_matches_finite_differences_of_kernel(name):
    circuit = resolve_circuit(name)
    model = compile_model(circuit)
    s = SymbolicSystem.from_circuit(circuit)
    f = kernel_rhs(model, s)
    rng = np.random.default_rng(1)
    x = s.x0 + 0.1 * rng.standard_normal(s.x0.size) * np.maximum(np.abs(s.x0), 1e-3)
    # the symbolic f equals the kernel's f (same model, different code path)
    np.testing.assert_allclose(s.f(x), f(x), rtol=1e-10, atol=1e-12)
    J = s.jacobian(x)
    h = 1e-6 * np.maximum(np.abs(x), 1e-3)
    fd = np.column_stack([(f(x + hk * e) - f(x - hk * e)) / (2 * hk) for hk, e in zip(h, np.eye(x.size))])
    # central differences: truncation O(h^2) and round-off O(eps |f| / h); 1e-6 relative is comfortably above both
    scale = np.maximum(np.abs(fd).max(), 1.0)
    np.testing.assert_allclose(J, fd, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("tau", [1.0, 2.5])
def test_mpr_trace_is_4v_over_tau(tau):
    s = SymbolicSystem.from_circuit("qif", params={"p/qif_op/tau": tau})
    for x in ([0.3, -0.7], [1.2, 0.4], [0.05, -2.0]):
        assert np.trace(s.jacobian(np.array(x))) == pytest.approx(4 * x[1] / tau, rel=1e-12)


def test_theta_complex_fixed_points_match_qif_through_conformal_map():
    """kmo_theta (complex z, Wirtinger derivatives) and qif are the same system in other coordinates:
    same fixed points under z = (1 - conj W)/(1 + conj W), W = pi tau r + i v, and the same eigenvalues."""
    q = SymbolicSystem.from_circuit("qif")
    th = SymbolicSystem.from_circuit("kmo_theta")
    assert th.labels == ["p/theta_op/z.re", "p/theta_op/z.im"]
    fq = find_fixed_points(q, bounds={"p/qif_op/r": (1e-6, 3.0)})
    assert len(fq) == 3
    for fp in fq:
        r, v = fp.x
        W = np.pi * r + 1j * v
        z = (1 - np.conj(W)) / (1 + np.conj(W))
        x = np.array([z.real, z.imag])
        assert np.max(np.abs(th.f(x))) < 1e-10
        np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(th.jacobian(x))),
                                   np.sort_complex(fp.eigenvalues), rtol=1e-8, atol=1e-10)


def test_homogeneous_network_modes():
    """Around the homogeneous fixed point of a 4-region row-normalised network, the eigenvalues of the full
    network Jacobian (built and differentiated independently from the network circuit) are the union over the
    eigenvalues Lambda of W of eig(DF + Lambda B)."""
    rng = np.random.default_rng(3)
    C = rng.random((4, 4))
    np.fill_diagonal(C, 0.0)
    conn = Connectome(C).normalise("rows")
    coupling = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
    eps, I = 3.0, 2.0
    hom = SymbolicSystem.from_circuit(homogeneous_node("ei_ping_pop", coupling),
                                      params={"node/ei_ping_op/eps": eps, "node/ei_ping_op/I_ext_e": I})
    fps = find_fixed_points(hom, bounds={"node/ei_ping_op/r_e": (1e-9, 1.0), "node/ei_ping_op/r_i": (1e-9, 1.0)})
    assert fps
    x = fps[0].x
    lin = network_linearisation("ei_ping_pop", coupling, x,
                                params={"node/ei_ping_op/eps": eps, "node/ei_ping_op/I_ext_e": I})
    np.testing.assert_allclose(lin.DF + lin.B, hom.jacobian(x), rtol=1e-12, atol=1e-14)
    net = BrainNetwork("ei_ping_pop", conn, coupling)
    full = SymbolicSystem.from_circuit(net.circuit(), params={"all/ei_ping_op/eps": eps,
                                                              "all/ei_ping_op/I_ext_e": I})
    X = np.concatenate([np.full(4, xi) for xi in x])  # state order: variable-major, region-minor
    assert [lab.split("/", 1)[1] for lab in full.labels[::4]] == [lab.split("/", 1)[1] for lab in hom.labels]
    assert np.max(np.abs(full.f(X))) < 1e-10          # the homogeneous state is a fixed point of the network
    ev_full = list(np.linalg.eigvals(full.jacobian(X)))
    ev_modes = lin.mode_eigenvalues(np.linalg.eigvals(conn.weights)).ravel()
    assert len(ev_full) == ev_modes.size == 24
    for ev in ev_modes:  # one-to-one matching; 1e-7: eigenvalue round-off of two different 24x24 / 6x6 problems
        k = int(np.argmin(np.abs(np.array(ev_full) - ev)))
        assert abs(ev_full[k] - ev) < 1e-7 * max(1.0, abs(ev))
        ev_full.pop(k)


def test_parameters_and_errors():
    from neurodyn.analysis import AnalysisError
    from neurodyn.errors import VariablePathError
    s = SymbolicSystem.from_circuit("qif_syn")
    assert s.parameters["p/qif_syn_op/I_ext"] == 0.0        # input default is a parameter
    x = s.x0
    d = s.f(x, {"p/qif_syn_op/I_ext": 2.0}) - s.f(x)
    np.testing.assert_allclose(d, [0.0, 2.0, 0.0])            # tau = 1: dv/dt gains I
    np.testing.assert_allclose(s.dfdp(x, "p/qif_syn_op/I_ext"), [0.0, 1.0, 0.0])
    with pytest.raises(VariablePathError, match="did you mean"):
        s.f(x, {"p/qif_syn_op/I_ex": 1.0})
    with pytest.raises(AnalysisError, match="shape"):
        s.f(np.zeros(2))


def test_modal_noise_covariance_matches_dense_lyapunov():
    """The mode-by-mode stationary covariance equals scipy's dense Lyapunov solution for the full network."""
    from scipy.linalg import solve_continuous_lyapunov
    from neurodyn.analysis import modal_noise_covariance
    rng = np.random.default_rng(5)
    C = rng.random((7, 7))
    np.fill_diagonal(C, 0.0)
    W = C / C.sum(axis=1, keepdims=True)
    coupling = Coupling("ei_ping_op/s_e", "ei_ping_op/s_net")
    p = {"node/ei_ping_op/eps": 10.0, "node/ei_ping_op/I_ext_e": 3.0}
    hom = SymbolicSystem.from_circuit(homogeneous_node("ei_ping_pop", coupling), params=p)
    x = find_fixed_points(hom, bounds={"node/ei_ping_op/r_e": (1e-9, 1.0)})[0].x
    lin = network_linearisation("ei_ping_pop", coupling, x, params=p)
    Q0 = np.diag([0, 0.04, 0, 0, 0.01, 0])
    A = np.kron(np.eye(7), lin.DF) + np.kron(W, lin.B)
    S_dense = solve_continuous_lyapunov(A, -np.kron(np.eye(7), Q0))
    S = modal_noise_covariance(lin.DF, lin.B, W, Q0)
    np.testing.assert_allclose(S.reshape(42, 42), S_dense, rtol=1e-8, atol=1e-10 * np.abs(S_dense).max())
    np.testing.assert_allclose(modal_noise_covariance(lin.DF, lin.B, W, Q0, components=0), S_dense[0::6, 0::6],
                               rtol=1e-8, atol=1e-10 * np.abs(S_dense).max())


def test_delayed_edges_refused_or_made_instantaneous():
    from neurodyn.analysis import AnalysisError
    from neurodyn.lang.templates import CircuitTemplate
    delayed = CircuitTemplate.from_yaml("qif").update_var(edge_vars=[("p/qif_op/r", "p/qif_op/r_in",
                                                                      {"delay": 0.5})])
    with pytest.raises(AnalysisError, match="delays='instantaneous'"):
        SymbolicSystem.from_circuit(delayed)
    s = SymbolicSystem.from_circuit(delayed, delays="instantaneous")
    ref = SymbolicSystem.from_circuit("qif")
    x = np.array([0.4, -0.5])
    np.testing.assert_allclose(s.f(x), ref.f(x), rtol=1e-14)
    np.testing.assert_allclose(s.jacobian(x), ref.jacobian(x), rtol=1e-14)


def test_loop_closed_only_by_a_delay_is_refused_when_made_instantaneous():
    """p.m -> q.r is delayed, q.m -> p.r is not; m = 2 r feeds x' = -x + m. With the delay set to zero the
    derived variables define each other (m_p = 2 r_p = 2 m_q = 4 r_q = 4 m_p): the delay-free system is
    undefined, and the analysis must say so (naming the loop) instead of recursing forever."""
    from neurodyn.analysis import AnalysisError
    from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate
    op = OperatorTemplate("aloop", ["x' = -x + m", "m = 2*r"], {"x": "output(1.0)", "m": "variable(0.0)",
                                                           "r": "input(0.0)"})
    node = NodeTemplate("aloop_node", [op])
    circ = CircuitTemplate("aloop", nodes={"p": node, "q": node},
                           edges=[("p/aloop/m", "q/aloop/r", None, {"delay": 0.2}),
                                  ("q/aloop/m", "p/aloop/r", None, {})])
    with pytest.raises(AnalysisError, match=r"algebraic loop when the edge delays are set to zero: "
                                            r"[pq]/aloop/\w+ -> .*[pq]/aloop/\w+"):
        SymbolicSystem.from_circuit(circ, delays="instantaneous")
