"""Models made only of NetStims (no sections), as NEURON allows: spike trains equal NEURON's."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from neurodyn.cells import CellModel
from neurodyn.errors import CellError

# the same script runs against NEURON (in a subprocess) and neurodyn's facade: a periodic generator, a
# delayed one, and a third that a NetCon from the first switches on (NetStim NET_RECEIVE, flag 0)
SCRIPT = """
import json, sys
if sys.argv[1] == "neuron":
    from neuron import h
    h.load_file("stdrun.hoc")
else:
    from neurodyn.cells import h
a = h.NetStim(); a.number = 6; a.start = 2.0; a.interval = 3.5
b = h.NetStim(); b.number = 3; b.start = 7.25; b.interval = 10.0
c = h.NetStim(); c.number = 4; c.start = -1; c.interval = 1.5     # start < 0: waits for an event
trig = h.NetCon(a, c); trig.delay = 4.0; trig.weight[0] = 1.0
vecs, ncs = [], []
for ns in (a, b, c):
    nc = h.NetCon(ns, None); v = h.Vector(); nc.record(v); ncs.append(nc); vecs.append(v)
h.dt = 0.025
h.finitialize(-65)
h.continuerun(40)
print("RESULT" + json.dumps([list(v) for v in vecs]))
"""


def _run(sim):
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", SCRIPT, sim], capture_output=True, text=True, timeout=300,
                         env=env)
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")]
    assert line, out.stderr[-2000:]
    return [np.array(v) for v in json.loads(line[0][6:])]


@pytest.mark.peer
def test_netstims_without_sections_match_neuron():
    pytest.importorskip("neuron", reason="NEURON (test extra) is needed for the side-by-side comparison")
    ref, got = _run("neuron"), _run("neurodyn")
    assert [len(v) for v in ref] == [6, 3, 12]
    for r, g in zip(ref, got):
        np.testing.assert_allclose(g, r, rtol=0, atol=1e-9)   # event times: exact up to round-off


def test_netstims_without_sections_analytic():
    # independent of NEURON (netstim.mod's rules): a fires at 2 + 3.5 k (6 spikes), b at 7.25 + 10 k (3). a's
    # spikes reach c 4 ms later, at 6, 9.5, 13, 16.5, 20, 23.5; an event switches c on only while it is off,
    # and then c fires its 4 spikes 1.5 apart: on at 6 (spikes to 10.5), 9.5 ignored, on at 13, 16.5 ignored,
    # on at 20, 23.5 ignored
    got = _run("neurodyn")
    np.testing.assert_allclose(got[0], 2.0 + 3.5 * np.arange(6), atol=1e-9)
    np.testing.assert_allclose(got[1], 7.25 + 10.0 * np.arange(3), atol=1e-9)
    c = np.concatenate([s0 + 1.5 * np.arange(4) for s0 in (6.0, 13.0, 20.0)])
    np.testing.assert_allclose(got[2], c, atol=1e-9)


def test_a_model_with_nothing_in_it_is_still_an_error():
    with pytest.raises(CellError, match="no sections"):
        CellModel().finitialize(-65)
