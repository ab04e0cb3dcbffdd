"""PAC of a simulated network's regional activity (the ``r_e`` DataArray of ``BrainNetwork.simulate``): E/I
PING nodes whose drive is a 6 Hz square wave burst at gamma frequency in the high half of each theta cycle."""
import numpy as np

from neurodyn.network import BrainNetwork, Connectome, Coupling, Stimulus
from neurodyn.observables import comodulogram, frequency_bands, phase_amplitude


def test_theta_driven_ping_network_has_theta_gamma_pac():
    conn = Connectome(np.ones((3, 3)) - np.eye(3), labels=["a", "b", "c"]).normalise("rows")
    net = BrainNetwork("ei_ping_pop", conn, Coupling("ei_ping_op/s_e", "ei_ping_op/s_net"))
    regions, period, T = [0, 1, 2], 1000 / 6, 2500.0                   # ms
    drive = [Stimulus("ei_ping_op/I_ext_e", regions=regions, amplitude=4.0, start=0.0, stop=T)]  # below the Hopf point
    drive += [Stimulus("ei_ping_op/I_ext_e", regions=regions, amplitude=6.0, start=k * period, stop=(k + 0.5) * period)
              for k in range(int(T / period) + 1)]                       # 10: PING gamma at ~47 Hz
    ds = net.simulate(T, 0.01, solver="euler", sampling_step_size=1.0, variables=["ei_ping_op/r_e"],
                      params={"ei_ping_op/eps": 10.0}, stimuli=drive, initial="random", seed=1, progress=False)
    como = comodulogram(ds["r_e"], frequency_bands([6.0, 12.0, 18.0], width=3.0),
                        frequency_bands([30.0, 45.0, 60.0, 90.0], width=12.0), "tort", time_unit="ms", edges=300)
    assert como.dims == ("f_amplitude", "f_phase", "region") and list(como["label"].values) == ["a", "b", "c"]
    mean = como.mean("region")
    best = mean.argmax(dim=["f_amplitude", "f_phase"])
    assert float(mean["f_phase"][best["f_phase"]]) == 6.0           # the drive's rhythm carries the phase
    pa = phase_amplitude(ds["r_e"], (4.5, 7.5), (39.0, 51.0), time_unit="ms", edges=300)
    st = pa.surrogate_test("tort", n_surrogates=49, seed=0)
    np.testing.assert_array_equal(st["p_value"].values, 1 / 50)   # every region beats all 49 surrogates
