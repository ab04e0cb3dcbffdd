"""Run every bundled circuit template in PyRates and compare with a hand-written scipy reference.

Runnable by hand (not collected by pytest: the file name does not start with ``test_``)::

    cd <repo> && /tmp/peers/bin/python tests/library/pyrates_check.py [short names ...]

PyRates resolves ``model_templates.<...>`` to its OWN bundled package, so the library tree is copied to a
temporary package ``ndlib_check`` (an ``__init__.py`` in every folder, every ``model_templates.`` reference
rewritten to ``ndlib_check.``) that is put on ``sys.path``; the templates are then loaded as
``ndlib_check.<folder>.<file>.<NAME>``, exactly as PyRates loads its own library.

Each template is run with PyRates's scipy solver (RK45, rtol = atol = 1e-12) and compared with the
reference of ``libref_models.py`` (DOP853, rtol = atol = 1e-12) at PyRates's output times. Two PyRates
1.2.3 behaviours shape these settings (both measured here, see docs/library.md):

- PyRates computes in float32 unless told otherwise, so the runs pass ``float_precision="float64"`` (in
  float32 the error control at rtol 1e-12 cannot be met and the run stalls).
- PyRates's generated right-hand side writes into one preallocated array and returns it; scipy's DOP853
  evaluates extra stages for its dense output (needed for ``t_eval``) and so overwrites the derivative it
  kept for the next step. DOP853 results from PyRates are therefore off by ~1e-4 relative whatever the
  tolerance. RK45 does not call the right-hand side for dense output and is unaffected; pass
  ``--method DOP853`` to see the effect.

PyRates's own input convention is used for the reference: input samples at ``numpy.linspace(0, T, N)``
(neurodyn uses ``k * step_size``; the difference is < 1 step and matters only for the comparison). The
script prints, per template and output, the maximum absolute error and that error relative to the largest
magnitude of the reference output, and exits with status 1 if PyRates is missing or any template fails to
run or differs by more than 1e-6 relatively.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
LIBRARY = HERE.parents[1] / "src" / "neurodyn" / "library"
sys.path.insert(0, str(HERE))

import libref_models as ref  # noqa: E402

PACKAGE = "ndlib_check"


def make_package(tmp: Path) -> Path:
    """Copy the library to ``tmp/ndlib_check`` as an importable package with rewritten references."""
    pkg = tmp / PACKAGE
    shutil.copytree(LIBRARY, pkg)
    for folder in [pkg, *[p for p in pkg.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").write_text("")
    for f in pkg.rglob("*.yaml"):
        text = f.read_text().replace("model_templates.", PACKAGE + ".")
        # units are neurodyn's extension of the format ({default: ..., unit: ...}); PyRates has none, so its
        # copy keeps only the declarations themselves (equations and values are untouched)
        text, n = UNIT_DECLARATION.subn(r"\1", text)
        if re.search(r"\bunit:", text) and f.name != "index.yaml":
            raise RuntimeError(f"{f}: a unit declaration not in the form {{default: ..., unit: ...}}")
        f.write_text(text)
    return pkg


UNIT_DECLARATION = re.compile(r'\{default: ([^{},]+), unit: "[^"]*"\}')


def step_input(T, dt, t_on, t_off, amp):
    """Samples of a rectangular pulse on PyRates's input grid linspace(0, T, N)."""
    n = int(round(T / dt))
    t = np.linspace(0.0, T, n)
    return t, np.where((t > t_on) & (t < t_off), amp, 0.0)


def cases():
    """(short name, reference, T, dt, ds, {input path: samples}, node_vars) for every circuit."""
    out = []
    t, I = step_input(40.0, 1e-2, 0.0, 30.0, 3.0)
    out.append(("qif", ref.qif(I=ref.sampled_input(I, t)), 40.0, 1e-2, 1e-2, {"p/qif_op/I_ext": I}, {}))
    out.append(("qif_sfa", ref.qif_sfa(I=ref.sampled_input(I, t)), 40.0, 1e-2, 1e-2,
                {"p/qif_sfa_op/I_ext": I}, {}))
    out.append(("qif_syn", ref.qif_syn(I=ref.sampled_input(I, t)), 40.0, 1e-2, 1e-2,
                {"p/qif_syn_op/I_ext": I}, {}))
    # no input here: with an input PyRates 1.2.3 builds a float128 time array from complex128 and fails
    out.append(("kmo_theta", ref.kmo_theta(), 40.0, 1e-2, 1e-2, {}, {}))
    out.append(("JRC", ref.jrc(), 2.0, 1e-4, 1e-3, {}, {}))
    out.append(("JRC2", ref.jrc2(), 2.0, 1e-4, 1e-3, {}, {}))
    out.append(("JRC_2delaycoupled", ref.jrc_2delaycoupled(), 0.3, 1e-4, 1e-3, {}, {}))
    tn = np.linspace(0.0, 100.0, 1000)
    drive = 4.0 + 0.08 * tn
    out.append(("ei_ping", ref.ei_ping(I_ext_e=ref.sampled_input(drive, tn)), 100.0, 1e-1, 1e-1,
                {"p/ei_ping_op/I_ext_e": drive}, {}))
    out.append(("ei_ping(eps=4)", ref.ei_ping(eps=4.0), 200.0, 1e-2, 1e-1, {}, {"p/ei_ping_op/eps": 4.0}))
    out.append(("ping_dg", ref.ping_dg(), 200.0, 1e-2, 1e-1, {}, {}))
    tw = np.linspace(0.0, 200.0, 2000)
    rext = np.where(tw > 20.0, 2.0, 0.0)
    out.append(("WC", ref.wc(r_ext_e=ref.sampled_input(rext, tw)), 200.0, 1e-1, 1e-1,
                {"e/se_op/r_ext": rext}, {}))
    tk = np.linspace(0.0, 2.0, 200)
    sext = np.sin(2 * np.pi * tk)
    out.append(("kmo", ref.kmo(drive=ref.sampled_input(sext, tk)), 2.0, 1e-2, 1e-2, {"p/phase_op/s_ext": sext}, {}))
    out.append(("kmo_2coupled", ref.kmo_2coupled(omega1=12.0), 5.0, 1e-3, 1e-2, {},
                {"p1/phase_op/omega": 12.0}))
    out.append(("kmo_mf", ref.kmo_mf(), 5.0, 1e-3, 1e-2, {}, {}))
    out.append(("sl", ref.sl(x0=0.5), 10.0, 1e-3, 1e-2, {}, {"p/sl_op/x": 0.5}))
    return out


# PyRates records only state variables (asking for the algebraic rate r of theta_op raises KeyError 'r'),
# and complex states need a complex working precision. For delayed edges PyRates's vectorised code reads
# its delay buffer before writing it in the same evaluation (the delayed input lags one right-hand-side
# call: 5e-5 relative error in JRC_2delaycoupled), so that circuit is run unvectorised.
PYRATES_OPTIONS = {
    "kmo_theta": {"outputs": ["z"], "float_precision": "complex128"},
    "kmo_mf": {"float_precision": "complex128"},
    "JRC_2delaycoupled": {"vectorize": False},
}


def run_pyrates(name, reference, T, dt, ds, inputs, node_vars, method="RK45"):
    """Run one case in PyRates; return ``(times, {output: values}, elapsed seconds)``."""
    from pyrates import CircuitTemplate, clear_frontend_caches

    options = PYRATES_OPTIONS.get(name, {})
    keys = options.get("outputs", list(reference.outputs))

    dotted = reference.template.replace("model_templates.", PACKAGE + ".")
    clear_frontend_caches()  # a failed run must not leave a half-built template behind
    template = CircuitTemplate.from_yaml(dotted)
    if node_vars:
        template = template.update_var(node_vars=node_vars)
    t0 = time.perf_counter()
    res = template.run(simulation_time=T, step_size=dt, sampling_step_size=ds,
                       outputs={key: reference.outputs[key] for key in keys},
                       inputs=inputs or None, solver="scipy", method=method, rtol=1e-12, atol=1e-12,
                       clear=True, verbose=False,
                       float_precision=options.get("float_precision", "float64"),
                       vectorize=options.get("vectorize", True))
    elapsed = time.perf_counter() - t0
    times = np.asarray(res.index, dtype=float)
    return times, {key: np.asarray(res[key].values) for key in keys}, elapsed


def compare_with_reference(reference, times, outputs):
    """``[(output, max abs error, error relative to max |reference|)]`` of ``outputs`` against the reference."""
    expected = reference.solve(times)
    rows = []
    for key, got in outputs.items():
        exp = np.asarray(expected[key])
        err = np.max(np.abs(got - exp))
        scale = max(np.max(np.abs(exp)), 1e-300)
        rows.append((key, err, err / scale))
    return rows


def run_case(name, reference, T, dt, ds, inputs, node_vars, method="RK45"):
    times, outputs, elapsed = run_pyrates(name, reference, T, dt, ds, inputs, node_vars, method)
    return compare_with_reference(reference, times, outputs), elapsed, len(times)


def main(argv):
    try:
        import pyrates  # noqa: F401
    except ImportError:
        print("PyRates is not installed: nothing to check (pip install pyrates)")
        return 1
    method = "RK45"
    if "--method" in argv:
        i = argv.index("--method")
        method = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    selected = set(argv)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        make_package(Path(tmp))
        sys.path.insert(0, tmp)
        print(f"PyRates method {method}, rtol = atol = 1e-12, float64")
        print(f"{'template':22s} {'output':8s} {'max abs err':>12s} {'rel to max|ref|':>16s}  samples  time")
        for name, reference, T, dt, ds, inputs, node_vars in cases():
            if selected and name not in selected:
                continue
            try:
                rows, elapsed, n = run_case(name, reference, T, dt, ds, inputs, node_vars, method)
            except Exception as exc:  # report and go on: the point is a table of what PyRates runs
                failures += 1
                print(f"{name:22s} FAILED in PyRates: {type(exc).__name__}: {str(exc)[:300]}")
                traceback.print_exc(limit=2, file=sys.stdout)
                continue
            for key, err, rel in rows:
                flag = "" if rel < 1e-6 else "   <-- MISMATCH"
                failures += rel >= 1e-6
                print(f"{name:22s} {key:8s} {err:12.3e} {rel:16.3e}  {n:7d}  {elapsed:5.1f}s{flag}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
