"""Spiking networks behind the next-generation mean fields: QIF and theta neurons, to validate the reductions.

The bundled templates qif (Montbrio, Pazo & Roxin 2015), qif_syn, qif_sfa, kmo_theta, ei_ping and ping_dg are
exact reductions of networks of quadratic integrate-and-fire (or theta) neurons with Lorentzian
excitabilities, in the limit of many neurons. :func:`spiking_counterpart` builds that network from a
template (same parameter paths and units); :func:`validate_mean_field` runs both and reports how well they
agree, with the expected finite-size (N^-1/2) and cut-off (1/V_p) errors. See docs/spiking.md.

Examples
--------
>>> from neurodyn.spiking import spiking_counterpart
>>> net = spiking_counterpart("qif", N=2000)
>>> ds = net.run(1.0, 1e-4, sampling_step_size=0.1, spikes=False)
>>> float(ds["rate"].sel(population="p").isel(time=-1)) > 0
True
"""
from neurodyn.spiking.connectivity import AllToAll, ErdosRenyi, FixedInDegree, csr_by_source
from neurodyn.spiking.neurons import Population, lorentzian_quantiles, refractory_steps
from neurodyn.spiking.network import METHODS, SpikingNetwork
from neurodyn.spiking.outputs import SpikeSink, binned_rate, gaussian_rate, read_spikes
from neurodyn.spiking.counterparts import COUNTERPARTS, Counterpart, spiking_counterpart
from neurodyn.spiking.protocols import Protocol, mpr_step_protocol, ping_protocol
from neurodyn.spiking.validation import ValidationReport, validate_mean_field

__all__ = ["Population", "SpikingNetwork", "AllToAll", "FixedInDegree", "ErdosRenyi", "METHODS",
           "lorentzian_quantiles", "refractory_steps", "csr_by_source", "SpikeSink", "read_spikes",
           "binned_rate", "gaussian_rate", "spiking_counterpart", "Counterpart", "COUNTERPARTS", "Protocol",
           "mpr_step_protocol", "ping_protocol", "validate_mean_field", "ValidationReport"]
