"""Standard and BrainScaleS-2 cell and synapse types of the backend."""
from .cells import (  # noqa: F401
    CalibHXNeuronCoba, CalibHXNeuronCuba, EIF_cond_exp_isfa_ista, HXNeuron, IF_cond_exp, IF_curr_exp,
    SpikeSourceArray, SpikeSourcePoisson,
)
from .synapses import PlasticSynapse, StaticSynapse  # noqa: F401
