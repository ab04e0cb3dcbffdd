"""Small test systems with known periodic orbits, written as neurodyn templates, and independent NumPy
right-hand sides of the same equations (for scipy reference computations that share no code with neurodyn)."""
import numpy as np

from neurodyn.lang.templates import CircuitTemplate, NodeTemplate, OperatorTemplate


def one_node(name, equations, variables):
    op = OperatorTemplate(name, equations, variables)
    return CircuitTemplate(name, nodes={"p": NodeTemplate(name + "_pop", [op])})


def stuart_landau(mu=0.0, omega=1.0, beta=0.2):
    """dz/dt = (mu + i omega) z - (1 + i beta) |z|^2 z: radius sqrt(mu), angular frequency omega - beta mu,
    nontrivial Floquet exponent -2 mu."""
    return one_node("slmu", ["d/dt * x = mu*x - om*y - (x^2 + y^2)*(x - beta*y)",
                             "d/dt * y = om*x + mu*y - (x^2 + y^2)*(y + beta*x)"],
                    {"x": "output(0.1)", "y": "variable(0.0)", "mu": mu, "om": omega, "beta": beta})


def bautin(mu=-0.5):
    """dz/dt = (mu + i) z + 2 |z|^2 z - |z|^4 z: cycles r^2 = 1 +- sqrt(1 + mu) (fold at mu = -1, r = 1;
    subcritical Hopf at mu = 0), period 2 pi, nontrivial Floquet exponent 4 r^2 (1 - r^2)."""
    return one_node("bautin", ["d/dt * x = mu*x - y + (x^2 + y^2)*(2 - (x^2 + y^2))*x",
                               "d/dt * y = x + mu*y + (x^2 + y^2)*(2 - (x^2 + y^2))*y"],
                    {"x": "output(1.5)", "y": "variable(0.0)", "mu": mu})


def torus(p=-0.3, w2=0.3):
    """A unit Stuart-Landau cycle in (x1, y1) driving (x2, y2) linearly on the invariant plane x2 = y2 = 0:
    the (x2, y2) block (p + x1) I + w2 J commutes with itself at all times, so its multipliers are
    exp((p +- i w2) 2 pi): a Neimark-Sacker point at p = 0 with angle 2 pi w2."""
    return one_node("nstor", ["d/dt * x1 = x1*(1 - x1^2 - y1^2) - y1", "d/dt * y1 = y1*(1 - x1^2 - y1^2) + x1",
                              "d/dt * x2 = (p + x1)*x2 - w2*y2 - (x2^2 + y2^2)*x2",
                              "d/dt * y2 = (p + x1)*y2 + w2*x2 - (x2^2 + y2^2)*y2"],
                    {"x1": "output(1.0)", "y1": "variable(0.0)", "x2": "variable(0.0)", "y2": "variable(0.0)",
                     "p": p, "w2": w2})


def rossler(c=2.5, a=0.2, b=0.2):
    return one_node("ross", ["d/dt * x = -y - z", "d/dt * y = x + a*y", "d/dt * z = b + z*(x - c)"],
                    {"x": "output(1.0)", "y": "variable(0.0)", "z": "variable(0.0)", "a": a, "b": b, "c": c})


def rossler_rhs(c, a=0.2, b=0.2):
    def f(t, u):
        x, y, z = u[0], u[1], u[2]
        return np.array([-y - z, x + a * y, b + z * (x - c)])

    def jac(u):
        x, z = u[0], u[2]
        return np.array([[0.0, -1.0, -1.0], [1.0, a, 0.0], [z, 0.0, x - c]])
    return f, jac


# the E/I node of REFERENCE section 3, written out by hand
EI = dict(tau_e=8.0, tau_i=8.0, tau_se=1.0, tau_si=5.0, nu_e=-5.0, nu_i=-5.0, Delta_e=1.0, Delta_i=1.0, J_ee=5.0,
          J_ei=13.0, J_ie=13.0, J_ii=5.0, I_ext_i=0.0)


def ei_rhs(I_ext_e=10.0, eps=0.0):
    """The self-coupled (homogeneous) E/I node: J_ee -> J_ee + eps, J_ie -> J_ie + eps."""
    P = EI

    def f(t, u):
        re, ve, se, ri, vi, si = u
        te, ti = P["tau_e"], P["tau_i"]
        return np.array([
            (P["Delta_e"] / (np.pi * te) + 2 * re * ve) / te,
            (ve ** 2 + P["nu_e"] - (np.pi * te * re) ** 2 + I_ext_e + te * ((P["J_ee"] + eps) * se - P["J_ei"] * si)) / te,
            (re - se) / P["tau_se"],
            (P["Delta_i"] / (np.pi * ti) + 2 * ri * vi) / ti,
            (vi ** 2 + P["nu_i"] - (np.pi * ti * ri) ** 2 + P["I_ext_i"] + ti * ((P["J_ie"] + eps) * se - P["J_ii"] * si)) / ti,
            (ri - si) / P["tau_si"],
        ])
    return f
