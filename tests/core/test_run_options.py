"""PyRates's run options: ``cutoff`` drops the initial transient (absolute times kept, as PyRates does); the
no-op options are accepted; anything else is a typed error with the close matches, never silently ignored."""
import numpy as np
import pytest

import neurodyn as nd
from neurodyn.errors import InputError

B = "numpy"
KW = dict(simulation_time=2.0, step_size=1e-3, sampling_step_size=0.01, outputs={"r": "p/qif_op/r"}, backend=B)


def test_cutoff_keeps_the_rows_from_cutoff_on_with_their_times():
    full = nd.integrate("qif", **KW)
    cut = nd.integrate("qif", cutoff=0.5, **KW)
    # PyRates 1.2.3 (measured): cutoff=0.05 with sampling 1e-3 returns rows 50.. with index 0.05, 0.051, ...
    assert len(cut) == len(full) - 50
    np.testing.assert_array_equal(cut.index.to_numpy(), full.index.to_numpy()[50:])
    np.testing.assert_array_equal(cut["r"].to_numpy(), full["r"].to_numpy()[50:])
    assert cut.attrs["provenance"]["cutoff"] == 0.5


@pytest.mark.parametrize("cutoff", [-0.1, 2.0, 5.0])
def test_cutoff_outside_the_run_is_an_input_error(cutoff):
    with pytest.raises(InputError, match=r"cutoff must be in \[0, simulation_time = 2\)"):
        nd.integrate("qif", cutoff=cutoff, **KW)


def test_pyrates_noop_options_are_accepted():
    ref = nd.integrate("qif", **KW)
    df = nd.integrate("qif", verbose=False, vectorize=True, in_place=False, float_precision="float64", **KW)
    np.testing.assert_array_equal(df.to_numpy(), ref.to_numpy())


def test_unknown_option_is_an_error_with_close_matches():
    with pytest.raises(InputError, match=r"unknown run option 'input_interpolaton'; did you mean 'input_interpolation'"):
        nd.integrate("qif", input_interpolaton="step", **KW)
    with pytest.raises(InputError, match=r"unknown run option 'sampling_step'.*'sampling_step_size'"):
        nd.integrate("qif", 1.0, 1e-3, backend=B, sampling_step=0.1)


def test_float32_is_refused_not_cast():
    with pytest.raises(InputError, match=r"float_precision='float32'.*never casts down"):
        nd.integrate("qif", float_precision="float32", **KW)
