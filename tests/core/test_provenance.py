"""Every result carries its provenance: version, hashes, backend, solver settings, seed."""
import datetime


import neurodyn as nd
from ndcore_models import oscillator_circuit, ou_circuit


def test_provenance_fixed_step_with_seed():
    circ = ou_circuit(2)
    model = nd.compile_model(circ, backend="numpy")
    df = model.run(1.0, 0.01, solver="heun", noise={"all/ou/x": 0.1}, seed=123, sampling_step_size=0.05)
    prov = df.attrs["provenance"]
    assert prov["neurodyn_version"] == nd.__version__
    assert prov["template_hash"] == circ.template_hash() and len(prov["template_hash"]) == 64
    assert prov["structure_hash"] == model.ir.structure_hash()
    assert prov["solver"] == "stochastic_heun"
    assert prov["step_size"] == 0.01 and prov["sampling_step_size"] == 0.05 and prov["simulation_time"] == 1.0
    assert prov["seed"] == 123
    assert prov["backend"] == "numpy"
    datetime.datetime.fromisoformat(prov["created"])


def test_provenance_adaptive_and_hash_semantics():
    circ = oscillator_circuit()
    df = nd.integrate(circ, 1.0, 0.1, solver="LSODA", rtol=1e-8, atol=1e-10, backend="numpy")
    prov = df.attrs["provenance"]
    assert prov["solver"] == "LSODA" and prov["rtol"] == 1e-8 and prov["atol"] == 1e-10
    # the template hash covers values, the structure hash does not
    other = nd.integrate(circ.update_var({"n/osc/w": 2.0}), 1.0, 0.1, solver="LSODA", backend="numpy")
    p2 = other.attrs["provenance"]
    assert p2["template_hash"] != prov["template_hash"]
    assert p2["structure_hash"] == prov["structure_hash"]
    # a different equation changes the structure hash
    from neurodyn import CircuitTemplate, NodeTemplate, OperatorTemplate
    op = OperatorTemplate("osc", ["x' = w*y", "y' = -w*x - 0.1*y", "z' = cos(t)*z"],
                          {"x": "output(1.0)", "y": "variable(0.0)", "z": "variable(1.0)", "w": 1.0})
    third = nd.integrate(CircuitTemplate("osc", nodes={"n": NodeTemplate("osc_node", [op])}), 1.0, 0.1,
                         solver="euler", backend="numpy")
    assert third.attrs["provenance"]["structure_hash"] != prov["structure_hash"]


def test_provenance_delay_mode_recorded():
    from ndcore_models import delay_line_circuit
    df = nd.integrate(delay_line_circuit(0.3), 1.0, 0.01, solver="heun", backend="numpy", delay_mode="step")
    assert df.attrs["provenance"]["delay_mode"] == "step"
