"""Bad input gets a typed error that says where the problem is and how to fix it."""
import numpy as np
import pytest

from neurodyn.errors import InputError, MemoryBudgetError, NeurodynError, NoSpikingCounterpartError, TemplateError
from neurodyn.spiking import FixedInDegree, Population, SpikingNetwork, spiking_counterpart


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_population_size_must_be_a_positive_integer(n):
    with pytest.raises(InputError, match="number of neurons must be an integer >= 1"):
        Population("p", n)


def test_counterpart_with_no_neurons():
    with pytest.raises(InputError, match=">= 1"):
        spiking_counterpart("qif", N=0)


def test_reset_above_peak():
    with pytest.raises(InputError, match=r"reset V_r = 150 must lie below the peak V_p = 100"):
        Population("p", 10, v_peak=100.0, v_reset=150.0)
    with pytest.raises(InputError, match="V_p > 0 > V_r"):
        Population("p", 10, v_peak=100.0, v_reset=10.0)


def test_step_too_coarse_for_the_peak_says_how_small():
    net = SpikingNetwork([Population("p", 10)])
    with pytest.raises(InputError, match=r"too coarse for the peak value V_p = 100.*Use dt <= tau/\(10 V_p\) = 0\.001"):
        net.run(1.0, 5e-3)


def test_refractory_time_must_be_whole_steps():
    net = SpikingNetwork([Population("p", 10)])
    with pytest.raises(InputError, match=r"whole number of steps.*e\.g\."):
        net.run(0.9, 3e-4)


def test_in_degree_larger_than_the_population():
    net = SpikingNetwork([Population("p", 50)], coupling={("p", "p"): 1.0}, connectivity=FixedInDegree(60), seed=1)
    with pytest.raises(InputError, match=r"in-degree k = 60 is larger than the 49 possible sources.*k <= 49"):
        net.run(0.1, 1e-4)
    with pytest.raises(InputError, match="integer >= 1"):
        FixedInDegree(0)


@pytest.mark.parametrize("name", ["JRC", "WC", "kmo", "sl"])
def test_templates_without_a_spiking_counterpart(name):
    with pytest.raises(NoSpikingCounterpartError) as err:
        spiking_counterpart(name, N=10)
    msg = str(err.value)
    assert "has no spiking counterpart" in msg
    for ok in ("qif", "qif_sfa", "qif_syn", "kmo_theta", "ei_ping", "ping_dg"):
        assert ok in msg
    assert isinstance(err.value, TemplateError) and isinstance(err.value, LookupError)


def test_changed_equations_are_refused():
    from neurodyn.lang.templates import CircuitTemplate, OperatorTemplate, NodeTemplate, template_from_yaml
    op = template_from_yaml("model_templates.neural_mass_models.qif.qif_op")
    bad = OperatorTemplate("qif_op", ["d/dt * r = (Delta/(pi*tau) + 2.0*r*v)/tau - r",
                                      "d/dt * v = (v^2 + eta + I_ext + tau*r_in - (pi*tau*r)^2)/tau"],
                           dict(op.variables))
    circ = CircuitTemplate("bad", nodes={"p": NodeTemplate("n", [bad])},
                           edges=[("p/qif_op/r", "p/qif_op/r_in", None, {"weight": 15.0})])
    with pytest.raises(NoSpikingCounterpartError, match="not those of the bundled"):
        spiking_counterpart(circ, N=10)


def test_delayed_edge_is_refused():
    from neurodyn.lang.templates import CircuitTemplate
    c = CircuitTemplate.from_yaml("qif")
    c = CircuitTemplate("qif_delayed", nodes=c.nodes, edges=[("p/qif_op/r", "p/qif_op/r_in", None,
                                                              {"weight": 15.0, "delay": 1.0})])
    with pytest.raises(NoSpikingCounterpartError, match="delayed"):
        spiking_counterpart(c, N=10)


def test_spike_output_that_would_exceed_memory_offers_streaming():
    net = SpikingNetwork([Population("p", 2000, eta=1.0)], coupling={("p", "p"): 5.0})
    with pytest.raises(MemoryBudgetError) as err:
        net.run(20.0, 1e-3, memory_limit=300_000)
    msg = str(err.value)
    assert "would hold about" in msg and "spike_sink=" in msg and "spikes=False" in msg
    # the same run with spikes streamed or not recorded fits
    ds = net.run(20.0, 1e-3, memory_limit=300_000, spikes=False)
    assert int(ds["spike_count"].sum()) > 1000


def test_state_too_large_for_the_budget():
    net = SpikingNetwork([Population("p", 10)])
    with pytest.raises(MemoryBudgetError, match="per-step spike counts"):
        net.run(100.0, 1e-4, memory_limit=1000, spikes=False)


def test_inputs_checked():
    net = SpikingNetwork([Population("p", 10)])
    with pytest.raises(InputError, match="10000 samples"):
        net.run(1.0, 1e-4, inputs={"p": np.zeros(5)})
    with pytest.raises(InputError, match="neither a population nor an input path"):
        net.run(1.0, 1e-4, inputs={"q": 1.0})
    with pytest.raises(InputError, match="unknown method"):
        net.run(1.0, 1e-4, method="rk4")
    with pytest.raises(InputError, match="whole multiple"):
        net.run(1.0, 1e-4, sampling_step_size=1.5e-4)
    cp = spiking_counterpart("qif", N=10)
    with pytest.raises(InputError, match=r"p/qif_op/I_ext"):
        cp.run(1.0, 1e-4, inputs={"I_ext": 1.0})


def test_every_error_is_a_neurodyn_error():
    for exc in (InputError, MemoryBudgetError, NoSpikingCounterpartError):
        assert issubclass(exc, NeurodynError)
