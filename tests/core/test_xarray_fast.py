"""neurodyn._xr: a network run builds its xarray Dataset without importing dask.array or pint (xarray would import
every installed duck-array package on its first Variable: ~0.9 s), and xarray still recognises dask arrays and pint
quantities made afterwards in the same process (the lazy type checks defer to the real classes once their modules
are imported)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

SCRIPT = r"""
import json, sys
import numpy as np
from neurodyn.network import BrainNetwork, Connectome, Coupling
W = np.array([[0.0, 1.0], [1.0, 0.0]])
net = BrainNetwork("ei_ping_pop", Connectome(W), Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
ds = net.simulate(1.0, 0.01, variables=["ei_ping_op/r_e"], fc="ei_ping_op/r_e")
facts = {"dask_array_before": "dask.array" in sys.modules, "pint_before": "pint" in sys.modules,
         "shape": list(ds["r_e"].shape)}
import xarray as xr
import dask.array as da
x = xr.DataArray(da.ones((4, 6), chunks=(2, 3)), dims=("a", "b"))
facts["dask_chunks"] = [list(c) for c in x.chunks]
facts["dask_lazy"] = type(x.data).__module__.startswith("dask")
facts["dask_sum"] = float((x * 2).sum().compute())
facts["rechunked"] = [list(c) for c in xr.DataArray(np.arange(6.0), dims="t").chunk({"t": 2}).chunks]
try:
    import pint
    q = xr.DataArray(pint.Quantity(np.array([1.0, 2.0]), "m"), dims="t")
    facts["pint_units"] = str(q.data.units)
except ImportError:
    facts["pint_units"] = None
print("FACTS" + json.dumps(facts))
"""


def test_no_duck_array_imports_and_dask_still_works(tmp_path):
    env = dict(os.environ, NEURODYN_CACHE_DIR=str(tmp_path), PYTHONPATH=str(SRC))
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts = json.loads([ln for ln in proc.stdout.splitlines() if ln.startswith("FACTS")][0][5:])
    assert facts["shape"] == [100, 2]
    assert not facts["dask_array_before"] and not facts["pint_before"]
    assert facts["dask_lazy"] and facts["dask_chunks"] == [[2, 2], [3, 3]] and facts["dask_sum"] == 48.0
    assert facts["rechunked"] == [[2, 2, 2]]
    if facts["pint_units"] is None:
        pytest.skip("pint not installed: the pint half of the check did not run")
    assert facts["pint_units"] == "meter"


def test_lazy_array_type_matches_the_real_class_once_imported():
    import numpy as np
    from neurodyn._xr import _LazyDuckArrayModule
    import dask.array as da
    entry = _LazyDuckArrayModule("dask", "dask.array", "Array")
    (lazy,) = entry.type
    assert isinstance(da.ones(3), lazy) and not isinstance(np.ones(3), lazy)
    assert issubclass(da.Array, lazy) and not issubclass(np.ndarray, lazy)
    assert entry.available and entry.module.__name__ == "dask" and str(entry.version) == __import__("dask").__version__
    missing = _LazyDuckArrayModule("no_such_package_xyz", "no_such_package_xyz", "Array")
    assert not missing.available and missing.type == () and missing.module is None
