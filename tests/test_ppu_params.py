"""Mailbox encoding and the errors a user meets: unknown kernel, unknown parameter, bad values."""
from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppu_firmware import cgp
from ppu_firmware.errors import KernelError, ParameterError, PPUError, StateError
from ppu_firmware.host import KERNELS, PPUState, decode_mailbox, encode_parameters, run_kernel
from ppu_firmware.parameters import Parameter
from ppu_firmware.parameters import to_fixed


def test_errors_are_value_errors() -> None:
    assert issubclass(PPUError, ValueError)
    assert issubclass(KernelError, PPUError) and issubclass(ParameterError, PPUError)


@pytest.mark.parametrize("call", [lambda: encode_parameters("stpd", {}),
                                  lambda: run_kernel("stpd", PPUState())])
def test_unknown_kernel_lists_the_known_ones(call) -> None:
    with pytest.raises(KernelError, match=r"unknown PPU kernel 'stpd'; known kernels: "
                                          + re.escape(", ".join(sorted(KERNELS)))):
        call()


def test_unknown_parameter_lists_the_kernels_parameters() -> None:
    with pytest.raises(ParameterError, match=r"kernel 'stdp' has no parameter 'facter'; its parameters are: "
                                             r"factor, reset, rows, causal_offset, acausal_offset"):
        encode_parameters("stdp", {"facter": 3})


@pytest.mark.parametrize("kernel, params, message", [
    ("stdp", {"factor": 200}, r"parameter 'factor' of kernel 'stdp' must lie in -128\.\.127 \(int8, Q0\.7\); got 200"),
    ("homeostasis", {"step": -1}, r"'step' of kernel 'homeostasis' must lie in 0\.\.63 .*got -1"),
    ("rstdp", {"expected_reward": [0] * 10 + [40000] + [0] * 53},
     r"'expected_reward' .* must lie in -32768\.\.32767 \(int16\[64\], Q1\.14\); element 10 is 40000"),
    ("rstdp", {"state": 64}, r"'state' of kernel 'rstdp' must lie in 0\.\.63"),
    ("structural", {"label_count": 0}, r"'label_count' of kernel 'structural' must lie in 1\.\.64"),
    ("cgp", {"nodes": [("add", 0, 0)] * 13}, r"a CGP program has 1\.\.12 nodes, got 13"),
])
def test_out_of_range_names_the_range(kernel: str, params: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        encode_parameters(kernel, params)


def test_real_numbers_are_refused_with_the_fix() -> None:
    with pytest.raises(ParameterError, match=r"takes integers \(Q0\.15\).*to_fixed"):
        encode_parameters("rstdp", {"eta": 0.125})
    assert decode_mailbox("rstdp", encode_parameters("rstdp", {"eta": to_fixed(0.125, 15)}))["eta"] == 4096


def test_array_shape_errors() -> None:
    with pytest.raises(ParameterError, match=r"needs 256 values \(or one for all\), got shape \(3,\)"):
        encode_parameters("stdp", {"causal_offset": [1, 2, 3]})
    with pytest.raises(ParameterError, match=r"is a single int8"):
        encode_parameters("stdp", {"factor": [1, 2]})


def test_row_selection_errors_and_bits() -> None:
    with pytest.raises(ParameterError, match=r"row 300 is outside 0\.\.255"):
        encode_parameters("stdp", {"rows": [1, 300]})
    with pytest.raises(ParameterError, match=r"boolean row mask needs shape \(256,\)"):
        encode_parameters("stdp", {"rows": np.ones(10, bool)})
    mailbox = encode_parameters("stdp", {"rows": [0, 9, 255]})
    assert mailbox[4:4 + 32].tolist() == [1, 2] + [0] * 29 + [128]
    mask = np.zeros(256, bool)
    mask[[0, 9, 255]] = True
    np.testing.assert_array_equal(encode_parameters("stdp", {"rows": mask}), mailbox)
    assert decode_mailbox("stdp", mailbox)["rows"].tolist() == [0, 9, 255]


def test_multibyte_fields_are_big_endian() -> None:
    mailbox = encode_parameters("rstdp", {"eta": 0x1234, "reward": -2, "expected_reward": [0, 0x0102] + [0] * 62})
    assert mailbox[0:4].tolist() == [0x12, 0x34, 0xFF, 0xFE]
    assert mailbox[0x42:0x44].tolist() == [0x01, 0x02]
    mailbox = encode_parameters("structural", {"calls": 0x01020304})
    assert mailbox[0x0C:0x10].tolist() == [1, 2, 3, 4]


def test_defaults_and_round_trip() -> None:
    params = {"factor": -7, "reset": 0, "rows": [5, 6], "causal_offset": np.arange(256) % 50, "acausal_offset": 3}
    decoded = decode_mailbox("stdp", encode_parameters("stdp", params))
    assert decoded["factor"] == -7 and decoded["reset"] == 0 and decoded["rows"].tolist() == [5, 6]
    np.testing.assert_array_equal(decoded["causal_offset"], np.arange(256) % 50)
    assert (decoded["acausal_offset"] == 3).all()
    defaults = decode_mailbox("rstdp", encode_parameters("rstdp"))
    assert defaults["eta"] == 4096 and defaults["mean_shift"] == 1 and len(defaults["rows"]) == 256


@pytest.mark.parametrize("nodes, message", [
    ([("pow", 0, 1)], r"CGP node 0: unknown op 'pow'; ops are add \(0\), sub \(1\)"),
    ([("add", 0, 6)], r"CGP node 0: operand b = 6 must refer to an input \(0\.\.5\) or an earlier node"),
    ([("add", 0, 1), ("max", 7, 0)], r"CGP node 1: operand a = 7 must refer to .* \(6\.\.6\)"),
    ([("shr", 0, 16)], r"CGP node 0: shr shifts by 0\.\.15, got 16"),
    ([("const", 4, 0)], r"CGP node 0: const selects constant 0\.\.3, got 4"),
    ([("add", "voltage", 0)], r"CGP node 0: unknown input 'voltage' as operand a; inputs are causal, acausal"),
    ([("add", 0)], r"CGP node 0 must be \(op, a, b\)"),
])
def test_cgp_program_errors(nodes: list, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        encode_parameters("cgp", {"nodes": nodes})


def test_cgp_encoding() -> None:
    nodes = [("sub", "causal", "acausal"), ("shr", 6, 3), ("const", 2, 0), ("min", 7, 8)]
    mailbox = encode_parameters("cgp", {"nodes": nodes, "constants": [0, 0, 64, 0]})
    decoded = decode_mailbox("cgp", mailbox)
    assert decoded["n_nodes"] == 4
    assert mailbox[0x30:0x30 + 12].tolist() == [1, 0, 1, 3, 6, 3, 6, 2, 0, 5, 7, 8]
    assert cgp.decode_nodes(decoded["nodes"], decoded["n_nodes"]) == [
        ("sub", 0, 1), ("shr", 6, 3), ("const", 2, 0), ("min", 7, 8)]
    assert cgp.expression(nodes, [0, 0, 64, 0]) == "min(((causal - acausal) >> 3), 0.25)"


def test_bad_state_buffers() -> None:
    with pytest.raises(StateError, match=r"PPUState.weights must be a uint8 array of shape \(256, 256\), got int64"):
        run_kernel("stdp", PPUState(weights=np.zeros((256, 256), dtype=np.int64)))
    with pytest.raises(StateError, match=r"PPUState.causal must be C-contiguous"):
        run_kernel("stdp", PPUState(causal=np.zeros((256, 256), np.uint8).T))
    state = PPUState()
    state.labels[4, 5] = 64
    with pytest.raises(StateError, match=r"PPUState.labels\[4, 5\] = 64; synapse labels are 6 bit"):
        run_kernel("stdp", state)


def test_spike_queue_view() -> None:
    state = PPUState()
    state.mailbox[0xE00:0xE0A] = [0, 3, 0, 7, 0x3F, 0xFF, 0, 1, 0, 2]
    assert state.spikes_out().tolist() == [0x3FFF, 1, 2]
    assert state.spikes_dropped == 7
    state.clear_spikes_out()
    assert state.spikes_out().tolist() == [] and state.spikes_dropped == 0


def _value_strategy(p: Parameter) -> st.SearchStrategy:
    """Valid values of one parameter (CGP programs: nodes over the inputs only)."""
    if p.ctype == "rows":
        return st.lists(st.integers(0, 255), unique=True).map(sorted)
    if p.name == "nodes":
        return st.lists(st.tuples(st.sampled_from(["add", "sub", "mul", "max", "min"]), st.integers(0, 5),
                                  st.integers(0, 5)), min_size=1, max_size=cgp.MAX_NODES)
    scalar = st.integers(p.low, p.high)
    return scalar if p.count == 1 else st.lists(scalar, min_size=p.count, max_size=p.count)


@pytest.mark.parametrize("kernel", ["stdp", "rstdp", "homeostasis", "structural", "cgp"])
def test_every_valid_parameter_set_round_trips(kernel: str) -> None:
    spec = KERNELS[kernel]
    names = [p.name for p in spec.parameters if p.name != "n_nodes"]

    @settings(max_examples=40, deadline=None)
    @given(st.fixed_dictionaries({}, optional={n: _value_strategy(spec.parameter(n)) for n in names}))
    def check(params: dict) -> None:
        decoded = decode_mailbox(kernel, encode_parameters(kernel, params))
        for name, value in params.items():
            if name == "nodes":
                assert cgp.decode_nodes(decoded["nodes"], decoded["n_nodes"]) == list(value)
            else:
                assert np.array_equal(decoded[name], value), name

    check()
