"""Bad input raises typed errors (subclasses of neurodyn.errors.CellError) that say where and what to do."""
from __future__ import annotations

import numpy as np
import pytest

from neurodyn.errors import CellError
from cells_models import shared_kernel_model
from neurodyn.cells import CellModel, Mechanism, register_mechanism
from neurodyn.cells.errors import (EventTargetError, GeometryError, LocationError, MechanismError,
                                   NonFiniteVoltageError, RecordingError, TopologyError)


@pytest.fixture
def m():
    return CellModel()


def test_all_errors_are_cell_errors():
    for cls in (EventTargetError, GeometryError, LocationError, MechanismError, NonFiniteVoltageError,
                RecordingError, TopologyError):
        assert issubclass(cls, CellError)


def test_cycles_and_self_connection(m):
    a, b, c = m.section("a"), m.section("b"), m.section("c")
    with pytest.raises(TopologyError, match="itself"):
        a.connect(a(1))
    b.connect(a(1))
    c.connect(b(0.5))
    with pytest.raises(TopologyError, match="cycle"):
        a.connect(c(1))
    # the failed call changed nothing
    assert a.parentseg() is None


@pytest.mark.parametrize("prop,value", [("nseg", 0), ("nseg", 2.5), ("L", 0), ("L", -3), ("diam", 0),
                                        ("Ra", -1), ("cm", 0), ("L", float("nan"))])
def test_bad_geometry(m, prop, value):
    s = m.section("s")
    with pytest.raises(GeometryError, match=prop):
        setattr(s, prop, value)


def test_unknown_mechanism_lists_valid(m):
    s = m.section("s")
    with pytest.raises(MechanismError, match="'hh'"):
        s.insert("hhh")


def test_unknown_range_variable_suggests(m):
    s = m.section("s")
    s.insert("hh")
    with pytest.raises(MechanismError, match="gnabar_hh"):
        s.gnabar_h = 0.1
    with pytest.raises(MechanismError, match="gnabar"):
        s(0.5).hh.gnabr = 1
    with pytest.raises(MechanismError):
        s.g_pas   # pas not inserted
    with pytest.raises(AttributeError):  # MechanismError is a KeyError; hasattr-style probes still work
        getattr(s(0.5), "nonexistent")


@pytest.mark.parametrize("x", [-0.1, 1.5, float("nan")])
def test_positions_outside_unit_interval(m, x):
    s = m.section("s")
    with pytest.raises(LocationError):
        m.IClamp(s(x))
    with pytest.raises(LocationError):
        s(0.5) if False else m.section("t").connect(s, x)


def test_netcon_targets(m):
    s = m.section("s")
    stim = m.IClamp(s(0.5))
    with pytest.raises(EventTargetError, match="IClamp cannot receive events"):
        m.NetCon(s(0.5)._ref_v, stim)
    with pytest.raises(EventTargetError, match="cannot receive"):
        m.NetCon(s(0.5)._ref_v, s)
    with pytest.raises(EventTargetError, match="source"):
        m.NetCon(stim, None)


def test_recording_nonexistent(m):
    s = m.section("s")
    s.insert("pas")
    with pytest.raises(MechanismError):
        s(0.5)._ref_m_hh
    with pytest.raises(RecordingError):
        m.record("v")
    s.insert("hh")
    ref = s(0.5).hh._ref_m
    vec = m.record(ref)
    s.uninsert("hh")
    with pytest.raises(RecordingError, match="no longer inserted"):
        m.finitialize(-65)
    del vec


def test_non_finite_voltage_names_place_and_time():
    m = shared_kernel_model()
    # negative leak conductance: backward Euler amplifies v - e by 1/(1 - 0.02/0.04) = 2 per step until overflow
    s = m.section("bad", nseg=3)
    s.insert("pas")
    s.g_pas = -0.02
    s.e_pas = -64.0
    ok = m.section("ok")
    ok.insert("pas")
    with pytest.raises(NonFiniteVoltageError, match=r"bad\(.*t = [0-9.]+ ms"):
        m.run(tstop=50)
    assert not np.isfinite(s(0.5).v) or abs(s(0.5).v) > 1e3


def test_continuerun_after_structure_change(m):
    s = m.section("s")
    m.finitialize(-65)
    s.insert("pas")
    with pytest.raises(CellError, match="finitialize"):
        m.continuerun(1)


def test_bad_mechanism_specs():
    with pytest.raises(MechanismError, match="unknown name 'gbarr'"):
        Mechanism("k1", {"gbar": 1.0}, {"ik": "gbarr*(v + 80)"})
    with pytest.raises(MechanismError, match="unknown function"):
        Mechanism("k2", {"gbar": 1.0}, {"ik": "gbar*foo(v)"})
    with pytest.raises(MechanismError, match="table"):
        Mechanism("k3", {"gbar": 1.0, "vh": -40.0}, {"ik": "gbar*w*(v + 80)"},
                  states={"w": {"inf": "1/(1 + exp(-(v - vh)/5))", "tau": "5"}}, table=(-100, 100, 200))
    with pytest.raises(MechanismError, match="'inf' and 'tau'"):
        Mechanism("k4", {"gbar": 1.0}, {"ik": "gbar*w*(v + 80)"}, states={"w": {"inf": "1"}})
    with pytest.raises(MechanismError, match="not allowed"):
        Mechanism("k5", {"gbar": 1.0}, {"ik": "[gbar][0]"})
    with pytest.raises(MechanismError, match="built-in"):
        register_mechanism(Mechanism("hh", {"g": 1.0}, {"i": "g*v"}), replace=True)
