"""Hand-written reference right-hand sides of every bundled circuit template.

Written straight from the equations of the papers (``../shared/science/REFERENCE.md`` next to the checkout, and the sources
named in each function), *not* from the YAML files, so that a template and its reference can only agree
when both are right. Each reference integrates a plain real state vector with scipy's ``solve_ivp``
(complex states are split into real and imaginary parts) and maps it to the template's output paths.

Used by ``test_library_vs_scipy.py`` (against neurodyn) and by ``pyrates_check.py`` (against PyRates).

Example
-------
>>> ref = REFERENCES["qif"]()
>>> out = ref.solve(np.linspace(0.0, 1.0, 11))
>>> sorted(out)
['r', 'v']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import expit

PI = np.pi


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x))."""
    return expit(x)


def sampled_input(samples, times):
    """Piecewise-linear function through ``(times[k], samples[k])``, constant after the last sample."""
    samples = np.asarray(samples, dtype=float)
    times = np.asarray(times, dtype=float)
    return lambda t: np.interp(t, times, samples)


@dataclass
class Reference:
    """A reference model: dotted template name, outputs (name -> path), initial state, rhs and observer.

    ``rhs(t, y)`` returns dy/dt for the real state vector y; ``observe(y)`` maps the (n_state, n_t)
    solution to a dict output-name -> array (complex outputs allowed).
    """

    template: str
    outputs: dict
    y0: np.ndarray
    rhs: Callable
    observe: Callable
    node_vars: dict = field(default_factory=dict)   # update_var arguments that produce this reference
    inputs: dict = field(default_factory=dict)       # input path -> samples (interpreted by the caller)

    def solve(self, t_eval, rtol=1e-12, atol=1e-12):
        """Integrate with DOP853 from 0 to ``t_eval[-1]`` and return the observed outputs at ``t_eval``."""
        t_eval = np.asarray(t_eval, dtype=float)
        sol = solve_ivp(self.rhs, (0.0, t_eval[-1]), np.asarray(self.y0, dtype=float), method="DOP853",
                        t_eval=t_eval, rtol=rtol, atol=atol, dense_output=False)
        if not sol.success:
            raise RuntimeError(f"reference solve of {self.template} failed: {sol.message}")
        return self.observe(sol.y)


# ------------------------------------------------------------------------------------------------------
# QIF mean field (Montbrio, Pazo & Roxin 2015), tau = 1, Delta = 1, eta = -5, J = 15, r0 = 0.01, v0 = -2
# ------------------------------------------------------------------------------------------------------

def qif(eta=-5.0, J=15.0, Delta=1.0, tau=1.0, I=lambda t: 0.0, r0=0.01, v0=-2.0):
    def rhs(t, y):
        r, v = y
        return [(Delta / (PI * tau) + 2.0 * r * v) / tau,
                (v * v + eta + J * tau * r + I(t) - (PI * tau * r) ** 2) / tau]
    return Reference("model_templates.neural_mass_models.qif.qif",
                     {"r": "p/qif_op/r", "v": "p/qif_op/v"}, np.array([r0, v0]), rhs,
                     lambda y: {"r": y[0], "v": y[1]})


def qif_sfa(eta=-5.0, J=15.0, Delta=1.0, tau=1.0, alpha=0.5, tau_a=10.0, I=lambda t: 0.0):
    # adaptation a obeys tau_a^2 a'' + 2 tau_a a' + a = alpha tau_a r and is subtracted from eta
    # (Gast, Schmidt & Knoesche 2020). State: r, v, a, da/dt.
    def rhs(t, y):
        r, v, a, da = y
        return [(Delta / (PI * tau) + 2.0 * r * v) / tau,
                (v * v + eta - a + J * tau * r + I(t) - (PI * tau * r) ** 2) / tau,
                da,
                (alpha * tau_a * r - 2.0 * tau_a * da - a) / tau_a ** 2]
    return Reference("model_templates.neural_mass_models.qif.qif_sfa",
                     {"r": "p/qif_sfa_op/r", "v": "p/qif_sfa_op/v", "a": "p/qif_sfa_op/a"},
                     np.array([0.01, -2.0, 0.0, 0.0]), rhs,
                     lambda y: {"r": y[0], "v": y[1], "a": y[2]})


def qif_syn(eta=-5.0, J=15.0, Delta=1.0, tau=1.0, tau_s=1.0, I=lambda t: 0.0):
    # Devalle, Roxin & Montbrio 2017: tau_s ds/dt = -s + r, coupling J tau s in the voltage equation
    def rhs(t, y):
        r, v, s = y
        return [(Delta / (PI * tau) + 2.0 * r * v) / tau,
                (v * v + eta + I(t) + J * tau * s - (PI * tau * r) ** 2) / tau,
                (r - s) / tau_s]
    # the template's s is the synaptic variable already multiplied by J (J is the edge weight)
    return Reference("model_templates.neural_mass_models.qif.qif_syn",
                     {"r": "p/qif_syn_op/r", "v": "p/qif_syn_op/v", "s": "p/qif_syn_op/s"},
                     np.array([0.01, -2.0, 0.0]), rhs,
                     lambda y: {"r": y[0], "v": y[1], "s": J * y[2]})


# ------------------------------------------------------------------------------------------------------
# Theta neurons, Ott-Antonsen (REFERENCE section 2), z = x + i y integrated as two reals
# ------------------------------------------------------------------------------------------------------

def theta_rate(z, tau=1.0):
    """Firing rate of the theta population, r = (1 - |z|^2) / (pi tau |1 + z|^2)."""
    return (1.0 - np.abs(z) ** 2) / (PI * tau * np.abs(1.0 + z) ** 2)


def kmo_theta(eta=-5.0, J=15.0, Delta=1.0, tau=1.0, I=lambda t: 0.0, z0=-0.6 - 0.8j):
    def rhs(t, y):
        z = y[0] + 1j * y[1]
        s = J * theta_rate(z, tau)
        dz = ((z + 1.0) ** 2 * (1j * (eta + I(t) + s) - Delta) - 1j * (z - 1.0) ** 2) / (2.0 * tau)
        return [dz.real, dz.imag]
    return Reference("model_templates.neural_mass_models.theta.kmo_theta",
                     {"z": "p/theta_op/z", "r": "p/theta_op/r"}, np.array([z0.real, z0.imag]), rhs,
                     lambda y: {"z": y[0] + 1j * y[1], "r": theta_rate(y[0] + 1j * y[1], tau)})


# ------------------------------------------------------------------------------------------------------
# Jansen & Rit 1995, SI units (REFERENCE section 4)
# ------------------------------------------------------------------------------------------------------

JR = dict(A=3.25e-3, B=22e-3, a=100.0, b=50.0, C1=135.0, C2=108.0, C3=33.75, C4=33.75,
          e0=2.5, v0=6e-3, rr=560.0)


def jr_sigmoid(v):
    return 2.0 * JR["e0"] / (1.0 + np.exp(JR["rr"] * (JR["v0"] - v)))


def jr_rhs(y, p, extra=0.0):
    """Classic JR right-hand side for y = (y0, y1, y2, y3, y4, y5); ``extra`` adds to p (pulses/s)."""
    A, B, a, b = JR["A"], JR["B"], JR["a"], JR["b"]
    y0, y1, y2, y3, y4, y5 = y
    S = jr_sigmoid
    return [y3, y4, y5,
            A * a * S(y1 - y2) - 2.0 * a * y3 - a * a * y0,
            A * a * (p + extra + JR["C2"] * S(JR["C1"] * y0)) - 2.0 * a * y4 - a * a * y1,
            B * b * JR["C4"] * S(JR["C3"] * y0) - 2.0 * b * y5 - b * b * y2]


def jrc(p=lambda t: 220.0):
    def rhs(t, y):
        return jr_rhs(y, p(t))
    # three-node form: pc/rpo_e_in/v = y1, pc/rpo_i/v = -y2, ein/rpo_e/v = C1 y0, iin/rpo_e/v = C3 y0
    return Reference("model_templates.neural_mass_models.jansenrit.JRC",
                     {"V_pce": "pc/rpo_e_in/v", "V_pci": "pc/rpo_i/v", "V_ein": "ein/rpo_e/v",
                      "V_iin": "iin/rpo_e/v"},
                     np.zeros(6), rhs,
                     lambda y: {"V_pce": y[1], "V_pci": -y[2], "V_ein": JR["C1"] * y[0],
                                "V_iin": JR["C3"] * y[0]})


def jrc2(p=lambda t: 220.0):
    def rhs(t, y):
        return jr_rhs(y, p(t))
    return Reference("model_templates.neural_mass_models.jansenrit.JRC2",
                     {"V_e": "jrc/jrc_op/V_e", "V_i": "jrc/jrc_op/V_i", "V_ein": "jrc/jrc_op/V_ein"},
                     np.zeros(6), rhs,
                     lambda y: {"V_e": y[1], "V_i": y[2], "V_ein": JR["C1"] * y[0]})


def jrc_2delaycoupled(w12=20.0, w21=40.0, delay=0.004, spread=0.001):
    """Two JR columns; pyramidal rate of one column reaches the other's p through a gamma kernel.

    Gamma-distributed delay with mean ``delay`` and standard deviation ``spread``: shape
    n = round((delay/spread)^2), rate n/delay, realised exactly by n first-order stages that start at 0.
    """
    n = int(round((delay / spread) ** 2))
    k = n / delay

    def rhs(t, y):
        c1, c2 = y[0:6], y[6:12]
        g1, g2 = y[12:12 + n], y[12 + n:12 + 2 * n]   # g1: chain from column 1, g2: from column 2
        m1 = jr_sigmoid(c1[1] - c1[2])
        m2 = jr_sigmoid(c2[1] - c2[2])
        dg1 = k * (np.concatenate(([m1], g1[:-1])) - g1)
        dg2 = k * (np.concatenate(([m2], g2[:-1])) - g2)
        return np.concatenate((jr_rhs(c1, 220.0, w21 * g2[-1]), jr_rhs(c2, 220.0, w12 * g1[-1]), dg1, dg2))
    return Reference("model_templates.neural_mass_models.jansenrit.JRC_2delaycoupled",
                     {"V1_pce": "jrc1/pc/rpo_e_in/v", "V1_pci": "jrc1/pc/rpo_i/v",
                      "V2_pce": "jrc2/pc/rpo_e_in/v", "V2_pci": "jrc2/pc/rpo_i/v"},
                     np.zeros(12 + 2 * n), rhs,
                     lambda y: {"V1_pce": y[1], "V1_pci": -y[2], "V2_pce": y[7], "V2_pci": -y[8]})


# ------------------------------------------------------------------------------------------------------
# Next-generation E/I node (Delicado, Huguet & Clusella 2025; REFERENCE section 3), time in ms
# ------------------------------------------------------------------------------------------------------

NG = dict(tau_e=8.0, tau_i=8.0, tau_se=1.0, tau_si=5.0, nu_e=-5.0, nu_i=-5.0, Delta_e=1.0, Delta_i=1.0,
          J_ee=5.0, J_ei=13.0, J_ie=13.0, J_ii=5.0, I_ext_i=0.0)


def ng_rhs(y, I_ext_e, s_net, eps, P):
    re, ve, se, ri, vi, si = y
    te, ti = P["tau_e"], P["tau_i"]
    return [(P["Delta_e"] / (PI * te) + 2.0 * re * ve) / te,
            (ve * ve + P["nu_e"] - (PI * te * re) ** 2 + I_ext_e
             + te * P["J_ee"] * se - te * P["J_ei"] * si + te * eps * s_net) / te,
            (-se + re) / P["tau_se"],
            (P["Delta_i"] / (PI * ti) + 2.0 * ri * vi) / ti,
            (vi * vi + P["nu_i"] - (PI * ti * ri) ** 2 + P["I_ext_i"]
             + ti * P["J_ie"] * se - ti * P["J_ii"] * si + ti * eps * s_net) / ti,
            (-si + ri) / P["tau_si"]]


def _ng_reference(template, op, P, I_ext_e, eps):
    def rhs(t, y):
        # circuit = one region whose long-range input is its own s_e (homogeneous network state)
        return ng_rhs(y, I_ext_e(t), y[2], eps, P)
    return Reference(template,
                     {name: f"p/{op}/{name}" for name in ("r_e", "v_e", "s_e", "r_i", "v_i", "s_i")},
                     np.array([0.01, -2.0, 0.01, 0.01, -2.0, 0.01]), rhs,
                     lambda y: dict(zip(("r_e", "v_e", "s_e", "r_i", "v_i", "s_i"), y)))


def ei_ping(I_ext_e=lambda t: 10.0, eps=0.0, **changes):
    P = dict(NG, **changes)
    return _ng_reference("model_templates.neural_mass_models.ngnmm.ei_ping", "ei_ping_op", P, I_ext_e, eps)


def ping_dg(I_ext_e=lambda t: 10.0, eps=0.0):
    P = dict(NG, J_ee=0.0, J_ii=0.0)
    return _ng_reference("model_templates.neural_mass_models.ngnmm.ping_dg", "ping_dg_op", P, I_ext_e, eps)


def ng_fixed_point(I_ext_e, guess=(0.01, -2.0, 0.01, 0.01, -2.0, 0.01), eps=0.0, **changes):
    """Fixed point of the single E/I node (its long-range input s_net = its own s_e, as in ``ei_ping``), by a
    root finder on ``ng_rhs`` from ``guess``."""
    from scipy.optimize import root
    P = dict(NG, **changes)
    sol = root(lambda y: ng_rhs(y, I_ext_e, y[2], eps, P), np.asarray(guess, dtype=float), method="hybr",
               tol=1e-14)
    if np.max(np.abs(sol.fun)) > 1e-11:     # ("success" is False when tol cannot be met exactly)
        raise RuntimeError(f"E/I fixed point at I_ext_e = {I_ext_e} not found: {sol.message}")
    return sol.x


def ng_leading_eigenvalue(I_ext_e, guess, eps=0.0, **changes):
    """(eigenvalue with the largest real part, fixed point) of the E/I node at I_ext_e; the Jacobian by central
    differences (step 1e-6 relative: truncation ~1e-12, round-off ~1e-10 relative)."""
    P = dict(NG, **changes)
    y = ng_fixed_point(I_ext_e, guess, eps, **changes)
    n = y.size
    J = np.empty((n, n))
    for k in range(n):
        h = 1e-6 * max(1.0, abs(y[k]))
        e = np.zeros(n)
        e[k] = h
        fp = np.asarray(ng_rhs(y + e, I_ext_e, (y + e)[2], eps, P))
        fm = np.asarray(ng_rhs(y - e, I_ext_e, (y - e)[2], eps, P))
        J[:, k] = (fp - fm) / (2 * h)
    lam = np.linalg.eigvals(J)
    return lam[np.argmax(lam.real)], y


def ng_hopf_points(I_grid=np.arange(0.0, 100.5, 0.5), eps=0.0, **changes):
    """Hopf points of the E/I node along I_ext_e: sign changes of the leading real part on ``I_grid`` (the fixed
    point tracked from one grid point to the next), each refined by bisection to 1e-10. Returns
    ``[(I_hopf, frequency in Hz (time in ms))]``."""
    guess = ng_fixed_point(I_grid[0], eps=eps, **changes)
    lead = []
    for I in I_grid:
        lam, guess = ng_leading_eigenvalue(I, guess, eps, **changes)
        lead.append((I, lam.real, guess))
    out = []
    for (a, ra, ya), (b, rb, _) in zip(lead[:-1], lead[1:]):
        if ra * rb < 0:
            y = ya
            while b - a > 1e-10:
                m = 0.5 * (a + b)
                lam, y = ng_leading_eigenvalue(m, y, eps, **changes)
                if (lam.real < 0) == (ra < 0):
                    a = m
                else:
                    b = m
            lam, _ = ng_leading_eigenvalue(0.5 * (a + b), y, eps, **changes)
            out.append((0.5 * (a + b), abs(lam.imag) / (2 * PI) * 1e3))
    return out


# ------------------------------------------------------------------------------------------------------
# Wilson & Cowan 1972 with shifted logistic responses, tau = 10 ms
# ------------------------------------------------------------------------------------------------------

def wc(r_ext_e=lambda t: 0.0, r_ext_i=lambda t: 0.0, w_ee=15.0, w_ei=15.0, w_ie=15.0, w_ii=4.0,
       r0=(0.0, 0.0)):
    """w_xy is the weight from y to x (positive numbers; inhibition enters with a minus sign)."""
    def response(u, slope, thr):
        return sigmoid(slope * (u - thr)) - sigmoid(-slope * thr)

    def rhs(t, y):
        re, ri = y
        me = response(w_ee * re - w_ei * ri + r_ext_e(t), 1.0, 2.0)
        mi = response(w_ie * re - w_ii * ri + r_ext_i(t), 2.0, 2.5)
        return [(-re + (1.0 - re) * me) / 10.0, (-ri + (1.0 - ri) * mi) / 10.0]
    return Reference("model_templates.neural_mass_models.wilsoncowan.WC",
                     {"r_e": "e/rate_op/r", "r_i": "i/rate_op/r"}, np.array(r0, dtype=float), rhs,
                     lambda y: {"r_e": y[0], "r_i": y[1]})


# ------------------------------------------------------------------------------------------------------
# Kuramoto oscillators and their Ott-Antonsen mean field; Stuart-Landau
# ------------------------------------------------------------------------------------------------------

def kmo(omega=10.0, drive=lambda t: 0.0):
    return Reference("model_templates.oscillators.kuramoto.kmo", {"theta": "p/phase_op/theta"},
                     np.array([0.0]), lambda t, y: [omega + drive(t)], lambda y: {"theta": y[0]})


def kmo_2coupled(omega1=10.0, omega2=10.0, K=1.0, w=-4.0, theta0=(0.0, 0.0)):
    def rhs(t, y):
        th1, th2 = y
        return [omega1 + K * w * np.sin(th2 - th1), omega2 + K * w * np.sin(th1 - th2)]
    return Reference("model_templates.oscillators.kuramoto.kmo_2coupled",
                     {"theta1": "p1/phase_op/theta", "theta2": "p2/phase_op/theta"},
                     np.array(theta0, dtype=float), rhs, lambda y: {"theta1": y[0], "theta2": y[1]})


def kmo_mf(omega=10.0, Delta=1.0, K=1.0, z0=0.5 + 0.1j):
    # Ott & Antonsen 2008: dz/dt = (i omega - Delta) z + K (z - conj(z) z^2) / 2
    def rhs(t, y):
        z = y[0] + 1j * y[1]
        dz = (1j * omega - Delta) * z + K * (z - np.conj(z) * z * z) / 2.0
        return [dz.real, dz.imag]
    return Reference("model_templates.oscillators.kuramoto.kmo_mf", {"z": "p/kmo_op/z"},
                     np.array([z0.real, z0.imag]), rhs, lambda y: {"z": y[0] + 1j * y[1]})


def sl(omega=1.0, x0=1.0, z0=0.0):
    # Hopf normal form in polar-friendly Cartesian form, rotation x -> -z
    def rhs(t, y):
        x, z = y
        g = 1.0 - x * x - z * z
        return [omega * z + x * g, -omega * x + z * g]
    return Reference("model_templates.oscillators.stuartlandau.sl", {"x": "p/sl_op/x", "z": "p/sl_op/z"},
                     np.array([x0, z0]), rhs, lambda y: {"x": y[0], "z": y[1]})


REFERENCES = {
    "qif": qif, "qif_sfa": qif_sfa, "qif_syn": qif_syn, "kmo_theta": kmo_theta,
    "JRC": jrc, "JRC2": jrc2, "JRC_2delaycoupled": jrc_2delaycoupled,
    "ei_ping": ei_ping, "ping_dg": ping_dg, "WC": wc,
    "kmo": kmo, "kmo_2coupled": kmo_2coupled, "kmo_mf": kmo_mf, "sl": sl,
}
