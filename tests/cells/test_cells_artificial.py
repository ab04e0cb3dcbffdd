"""Models made only of NetStims (no sections), as NEURON allows: spike trains equal NEURON's."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from neurodyn.cells import CellModel
from neurodyn.cells.errors import MechanismError
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


# ------------------------------------------------------------------------------------ noisy NetStims
NOISY = """
import json, sys
if sys.argv[1] == "neuron":
    from neuron import h
    h.load_file("stdrun.hoc")
else:
    from neurodyn.cells import h
stims, recs, ncs = [], [], []
for number, start, interval, noise in [(30, 2.0, 5.0, 1.0), (40, 0.0, 3.0, 0.5), (5, 10.0, 4.0, 0.0),
                                       (20, 1.0, 2.0, 1.0)]:
    ns = h.NetStim(); ns.number = number; ns.start = start; ns.interval = interval; ns.noise = noise
    nc = h.NetCon(ns, None); v = h.Vector(); nc.record(v)
    stims.append(ns); ncs.append(nc); recs.append(v)
stims[3].noiseFromRandom123(7, 11, 13)
stims[0].seed(12345)                 # NEURON 9: INITIAL calls seed(0), so this changes nothing
out = []
for run in range(2):                 # each finitialize restarts every stream
    h.dt = 0.025
    h.finitialize(-65)
    h.continuerun(150)
    out.append([list(v) for v in recs])
print("RESULT" + json.dumps(out))
"""


def _run_script(script, sim):
    out = subprocess.run([sys.executable, "-c", script, sim], capture_output=True, text=True, timeout=300,
                         env=dict(os.environ))
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")]
    assert line, out.stderr[-2000:]
    return json.loads(line[0][6:])


@pytest.mark.peer
def test_noisy_netstim_trains_equal_neurons():
    """NEURON 9's NetStim draws from a Random123 stream per instance (ids (1, 0, n), or those given to
    noiseFromRandom123): the noisy trains, and the second run's, are NEURON's to round-off."""
    pytest.importorskip("neuron", reason="NEURON (test extra) is needed for the side-by-side comparison")
    ref, got = _run_script(NOISY, "neuron"), _run_script(NOISY, "neurodyn")
    for r_run, g_run in zip(ref, got):
        assert [len(v) for v in r_run] == [30, 40, 5, 20]
        for r, g in zip(r_run, g_run):
            np.testing.assert_allclose(g, r, rtol=0, atol=1e-9)
    assert ref[0] == ref[1]


def test_philox_known_answers():
    """Philox4x32-10 against the known-answer vectors published with Random123 (independent of NEURON)."""
    from neurodyn.cells._runtime import philox4x32
    u = np.uint64
    kat = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
           ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
           ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
            (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
    for c, k, expected in kat:
        assert tuple(int(x) for x in philox4x32(*map(u, c), *map(u, k))) == expected


def test_noise_stream_ids_errors():
    m = CellModel()
    ns = m.NetStim()
    with pytest.raises(MechanismError, match=r"noiseFromRandom123 expects integers in \[0, 2\*\*32\)"):
        ns.noiseFromRandom123(-1, 0)
    with pytest.raises(MechanismError, match=r"NetStim.seed expects integers"):
        ns.seed(1.5)
