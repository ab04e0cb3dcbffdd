"""The NEURON teaching example "three cells in a chain", ported by changing one import line.

The original starts with ``from neuron import h, gui`` and ends with ``h('forall delete_section()')``; here
the first is ``from neurodyn.cells import h`` and the last is its Python equivalent. Everything in between
is unchanged. The traces equal NEURON's (to ~1e-10 mV, see tests/cells/test_cells_neuron_match.py).

Run: ``PYTHONPATH=src python examples/cells_three_cell_chain.py``; writes out/cells_chain.png (in the working
directory). ``NEURODYN_EXAMPLE_QUICK=1`` changes nothing here: the teaching run (40 ms) is already short.
"""
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from neurodyn.cells import h  # noqa: E402  (was: from neuron import h, gui)

cells = {}
for i in range(3):
    soma = h.Section(name='soma'); soma.L = soma.diam = 12.6157; soma.Ra = 100; soma.cm = 1
    soma.insert('hh'); soma.gnabar_hh = 0.12; soma.gkbar_hh = 0.036; soma.gl_hh = 0.0003; soma.el_hh = -54.3
    dend = h.Section(name='dend'); dend.L = 200; dend.nseg = 101; dend.Ra = 100; dend.cm = 1; dend.diam = 1
    dend.insert('pas'); dend.g_pas = 0.001; dend.e_pas = -65
    dend.connect(soma(1))
    cells[i] = {'soma': soma, 'dend': dend}
syns = [h.ExpSyn(cells[1]['dend'](0.5)), h.ExpSyn(cells[2]['dend'](0.5))]
netcons = [h.NetCon(cells[0]['soma'](0.5)._ref_v, syns[0], sec=cells[0]['soma']),
           h.NetCon(cells[1]['soma'](0.5)._ref_v, syns[1], sec=cells[1]['soma'])]
for nc in netcons: nc.weight[0] = 0.04; nc.delay = 5
syn_ = h.ExpSyn(cells[0]['dend'](0.5))
stim = h.NetStim(); stim.number = 1; stim.start = 5
ncstim = h.NetCon(stim, syn_); ncstim.delay = 1; ncstim.weight[0] = 0.04
t_vec = h.Vector(); t_vec.record(h._ref_t)
soma_v = [h.Vector().record(cells[i]['soma'](0.5)._ref_v) for i in range(3)]
dend_v = [h.Vector().record(cells[i]['dend'](0.5)._ref_v) for i in range(3)]
h.tstop = 40; h.run()

fig, axes = plt.subplots(3, 1, sharex=True, figsize=(7, 7))
for i, ax in enumerate(axes):
    ax.plot(t_vec, soma_v[i], label="soma(0.5)")
    ax.plot(t_vec, dend_v[i], label="dend(0.5)")
    ax.set_ylabel(f"cell {i}\nv (mV)")
axes[0].legend(loc="upper right")
axes[-1].set_xlabel("t (ms)")
fig.suptitle("Three-cell chain (neurodyn.cells, NEURON's fixed step, dt = 0.025 ms)")
out = Path("out")
out.mkdir(exist_ok=True)
fig.savefig(out / "cells_chain.png", dpi=120)
print(f"wrote {out / 'cells_chain.png'}; soma peaks (mV):", [round(max(v), 2) for v in soma_v])

for sec in h.allsec():  # was: h('forall delete_section()')
    h.delete_section(sec=sec)
