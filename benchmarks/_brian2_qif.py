"""Brian2 side of the spiking comparisons: the QIF network of neurodyn.spiking written in Brian2.

Used by ``tests/spiking/test_spiking_brian2.py`` (side by side on a small network) and by
``benchmarks/bench_brian2_qif.py`` (speed and memory). Both sides implement the same discrete scheme, so that
spike trains agree exactly (see docs/spiking.md, "The step"):

- forward Euler ``v += dt/tau (v^2 + eta + I(t_n))`` for neurons that are not refractory;
- threshold ``v >= v_peak`` after the update of step n (Brian2 records the spike at t_n); the neuron is reset to
  ``v_reset`` and frozen for ``R = m1 + m2`` steps (Brian2's ``refractory = (R + 1) dt``: Brian2 counts the
  threshold step itself);
- the spike is emitted ``m1`` steps after the crossing (MPR 2015: half the refractory time); its kick ``J/N``
  reaches the neurons that are not refractory at the end of the emission step (Brian2: a synaptic delay of m1
  steps, delivered in the synapses slot; Brian2 drops every write to the V of a refractory neuron, and so
  does neurodyn, which also restarts a neuron from ``v_reset`` without the kick of the step before; the delay
  is given as ``(m1 + 1/4) dt`` so that its conversion to steps cannot fall just below m1 in floating point).

Two ways of wiring the all-to-all coupling in Brian2: ``'synapses'`` (one Synapses object with N^2 synapses, the
textbook form; only for small N) and ``'population'`` (the O(N) form a Brian2 user writes for large all-to-all
networks: every neuron projects to one counter neuron, whose spike count is read back through a linked
variable and applied to the whole group once per step).

Brian2 2.9.0 (the newest release) reads ``numpy.ndarray.ptp`` while importing, which NumPy 2.4 removed; Brian2
fixed this upstream (brian-team/brian2 pull request 1705, not yet released). :func:`import_brian2` applies the
same one-line guard when importing, if and only if that attribute is missing; nothing else is changed. Importing
Brian2 also replaces pytest's doctest collector (``brian2.tests``); :func:`import_brian2` puts pytest's back.
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["import_brian2", "brian2_available", "run_brian2_qif"]

_PTP_LINE = "    ptp = wrap_function_keep_dimensions(np.ndarray.ptp)\n"
_PTP_FIX = "    if hasattr(np.ndarray, 'ptp'):\n        ptp = wrap_function_keep_dimensions(np.ndarray.ptp)\n"


class _PtpGuardLoader(importlib.machinery.SourceFileLoader):
    """Loads brian2/units/fundamentalunits.py with the ``ptp`` line guarded (no bytecode cache)."""

    def get_code(self, fullname):
        source = Path(self.path).read_text()
        if _PTP_LINE not in source:
            raise ImportError("brian2's fundamentalunits.py changed: the ndarray.ptp line to guard was not found")
        return compile(source.replace(_PTP_LINE, _PTP_FIX), self.path, "exec", dont_inherit=True)


class _PtpGuardFinder(importlib.abc.MetaPathFinder):
    name = "brian2.units.fundamentalunits"

    def __init__(self, path: str):
        self.path = path

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path,
                                                      loader=_PtpGuardLoader(fullname, self.path))


def import_brian2():
    """Import and return brian2 (with the NumPy >= 2.4 guard described in the module docstring if needed)."""
    if "brian2" in sys.modules:
        return sys.modules["brian2"]
    spec = importlib.util.find_spec("brian2")
    if spec is None:
        raise ImportError("brian2 is not installed (pip install 'neurodyn[peers]' or pip install brian2)")
    if not hasattr(np.ndarray, "ptp"):
        units = Path(spec.origin).parent / "units" / "fundamentalunits.py"
        sys.meta_path.insert(0, _PtpGuardFinder(str(units)))
    import brian2
    # brian2.tests replaces pytest's doctest collector with its own subclass (for Brian2's own test suite); in a
    # pytest session that also collects other packages' doctests that subclass fails on their __init__.py files
    dt = sys.modules.get("_pytest.doctest")
    if dt is not None and getattr(dt.DoctestModule, "__module__", "").startswith("brian2"):
        dt.DoctestModule = dt.DoctestModule.__bases__[0]
    return brian2


def brian2_available() -> tuple[bool, str]:
    """(True, version) if brian2 imports here, else (False, the reason)."""
    try:
        b2 = import_brian2()
    except Exception as exc:  # noqa: BLE001 - any failure is a reason to skip, reported verbatim
        return False, f"{type(exc).__name__}: {exc}"
    return True, b2.__version__


def run_brian2_qif(eta, v0, n_steps: int, dt: float, tau: float = 1.0, J: float = 15.0, v_peak: float = 100.0,
                   v_reset: float = -100.0, m1: int = 100, m2: int = 100, I=None, coupling: str = "population",
                   pre=None, post=None, weights=None, target: str = "cython", directory: str | None = None,
                   record_spikes: bool = True, record_v=None) -> dict:
    """Run the QIF network in Brian2; return spike steps (threshold steps), neuron ids and per-step counts.

    Parameters
    ----------
    eta, v0 : arrays of length N (excitabilities and initial voltages)
    n_steps, dt : number of steps and the step (time in units of ``tau``, Brian2 ms stand for them)
    I : array (n_steps,), optional; sample n drives step n (a TimedArray with step dt)
    coupling : 'population' (O(N) all-to-all), 'synapses' (N^2 all-to-all Synapses) or 'sparse' (the given
        ``pre``, ``post``, ``weights`` arrays; the kick of a spike is ``weights``, J is then unused)
    target : 'numpy', 'cython' (runtime) or 'cpp_standalone'

    Returns
    -------
    dict with ``i`` (neuron of each spike), ``step`` (threshold step of each spike), ``counts`` (threshold
    crossings per step, from a PopulationRateMonitor), ``seconds`` (wall time of ``run``, for the benchmark) and
    ``build_seconds`` (network construction).
    """
    b2 = import_brian2()
    b2.start_scope()
    b2.prefs.codegen.target = "numpy" if target == "cpp_standalone" else target
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    else:
        b2.set_device("runtime")
    t_build = time.perf_counter()
    ms = b2.ms
    eta_values = np.asarray(eta, dtype=float)
    N = eta_values.size
    R = m1 + m2
    b2.defaultclock.dt = dt * ms
    drive = b2.TimedArray(np.zeros(max(n_steps, 1)) if I is None else np.asarray(I, dtype=float), dt=dt * ms)
    ns = dict(tau=tau * ms, v_peak=v_peak, v_reset=v_reset, drive=drive, R=R, kick=J / N)
    eqs = "dv/dt = (v**2 + eta + drive(t))/tau : 1 (unless refractory)\neta : 1 (constant)"
    if coupling == "population":
        eqs += "\nn_pop : 1 (linked)"
    G = b2.NeuronGroup(N, eqs,
                       threshold="v >= v_peak", reset="v = v_reset", refractory=(R + 1) * dt * ms,
                       method="euler", namespace=ns)
    G.eta = eta_values
    G.v = np.asarray(v0, dtype=float)
    del eta  # Brian2 also looks names up in the caller's locals: keep only the group's eta
    objs = [G]
    delay = (m1 + 0.25) * dt * ms      # m1 steps (Brian2 converts delays to steps by rounding or truncation)
    if coupling == "population":
        # every neuron projects to one counter; its count is read through a linked variable and applied to the
        # neurons, then cleared (in this order, right after the synapses slot)
        P = b2.NeuronGroup(1, "n : 1", namespace=ns)
        S = b2.Synapses(G, P, on_pre="n_post += 1", delay=delay)
        S.connect()
        G.n_pop = b2.linked_var(P, "n", index=np.zeros(N, dtype=int))
        G.run_regularly("v += kick * n_pop", when="after_synapses", order=1)
        P.run_regularly("n = 0", when="after_synapses", order=2)
        objs += [P, S]
    elif coupling == "synapses":
        S = b2.Synapses(G, G, on_pre="v_post += kick", delay=delay, namespace=ns)
        S.connect()
        objs.append(S)
    elif coupling == "sparse":
        S = b2.Synapses(G, G, model="w : 1 (constant)", on_pre="v_post += w", delay=delay,
                        namespace=ns)
        S.connect(i=np.asarray(pre, dtype=int), j=np.asarray(post, dtype=int))
        S.w = np.asarray(weights, dtype=float)
        objs.append(S)
    else:
        raise ValueError(f"unknown coupling {coupling!r}; valid: 'population', 'synapses', 'sparse'")
    rate = b2.PopulationRateMonitor(G)
    objs.append(rate)
    if record_spikes:
        mon = b2.SpikeMonitor(G)
        objs.append(mon)
    if record_v is not None:
        vmon = b2.StateMonitor(G, "v", record=list(record_v), when="end")
        objs.append(vmon)
    net = b2.Network(*objs)
    build = time.perf_counter() - t_build
    t0 = time.perf_counter()
    net.run(n_steps * dt * ms)
    if target == "cpp_standalone":
        b2.device.build(directory=directory, compile=True, run=True, debug=False)
    seconds = time.perf_counter() - t0
    # cpp_standalone: the compiled simulation loop alone (Brian2 times it inside the generated main())
    loop = getattr(b2.device, "_last_run_time", None) if target == "cpp_standalone" else seconds
    out = dict(loop_seconds=loop, counts=np.rint(np.asarray(rate.rate[:] / b2.Hz) * N * dt * 1e-3).astype(np.int64),
               seconds=seconds, build_seconds=build)
    if record_spikes:
        out["i"] = np.asarray(mon.i[:], dtype=np.int64)
        out["step"] = np.rint(np.asarray(mon.t[:] / ms) / dt).astype(np.int64)
    if record_v is not None:
        out["v"] = np.asarray(vmon.v[:])
    if target == "cpp_standalone":
        b2.device.reinit()
        b2.device.activate()
        b2.set_device("runtime")
    return out
