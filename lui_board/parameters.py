"""Circuit-level parameters of a Lu.i board, derived from the component values in the BOM.

Knob positions and the battery voltage are the only free inputs (:class:`BoardSettings`);
everything else follows from Ohm's and Kirchhoff's laws on the public schematic
(github.com/giant-axon/lu.i-neuron-pcb, ``neuron.kicad_sch``; Stradmann et al. 2025,
doi:10.1016/j.tine.2025.100248). Blocks and the equations used:

* synapse k: a pulse sources ``(VDD - V_sum)/(R_w,k + 470 ohm)`` (excitatory, PMOS from VDD) or
  sinks ``V_sum/(R_w,k + 470 ohm)`` (inhibitory) at the summing node V_sum of the integrator U1B,
  held at VDD/2 by R7/R8 while U1B is not saturated;
* synaptic integrator: ``C2 du/dt = I_in - u/RV4`` with u the voltage across C2 (= VDD/2 - V_syn
  in the linear range). V_syn is limited to the rails (MCP6004 is rail-to-rail); beyond them
  the summing node leaves VDD/2 (``V_sum = V_syn + u``) and C2 keeps integrating (wind-up);
* transconductor: push ``(VDD - max(V_push, V_mem))/R14`` with
  ``V_push = (R11 VDD + R10 V_syn)/(R10 + R11)``, pull ``min(V_pull, V_mem)/R15`` with
  ``V_pull = V_syn R13/(R12 + R13)`` (the pull FET cannot sink below its source voltage: this is
  why the published trace recovers quickly to ~0.4 V after a reset);
* membrane: ``C5 dV/dt = I_push - I_pull + (V_leak - V)/RV6 - reset * V/(R19 + R_on,Q9)``;
* threshold comparator U3B: R17/R18 divider with R21 hysteresis to the R24 pull-up;
* refractory timer: C9 discharged on a spike, recharged through R27; comparator U3A with
  R22/R23 divider and R45 hysteresis to the R20 pull-up drives RESET (the axon output);
* VU meter: six comparators against taps of the R28 + 6 x R29..R34 ladder.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .bom import si

#: Input pulses above this level switch the input NMOS on (doc/electronic-interface.md).
INPUT_THRESHOLD_VOLT = 1.8
#: Smallest rheostat resistance used for a knob turned fully to 0 (avoids division by zero).
MIN_RHEOSTAT_OHM = 1.0
#: The three synapse channels; the board labels them INPUT_0, INPUT_1, INPUT_3.
INPUT_LABELS = ("INPUT_0", "INPUT_1", "INPUT_3")


@dataclass(frozen=True)
class BoardSettings:
    """The knobs a student can turn, plus the battery voltage.

    Rheostat positions are fractions 0..1 of the trimmer's full resistance (RV1..RV4: 22 kohm,
    RV6: 50 kohm); ``leak_position`` is the RV5 wiper position, i.e. V_leak / VDD.
    Signs are +1 (excitatory) or -1 (inhibitory) per synapse switch SW1..SW3.
    """

    v_battery_volt: float = 3.0
    weight_positions: tuple[float, float, float] = (0.5, 0.5, 0.5)
    signs: tuple[int, int, int] = (1, 1, 1)
    tau_syn_position: float = 0.5
    leak_position: float = 0.0
    tau_mem_position: float = 0.5
    r_q9_on_ohm: float = 5.0   # 2N7002 channel resistance at ~VDD gate drive (datasheet order)

    def __post_init__(self) -> None:
        positions = (*self.weight_positions, self.tau_syn_position, self.leak_position,
                     self.tau_mem_position)
        if any(not 0.0 <= p <= 1.0 for p in positions):
            raise ValueError(f"knob positions must lie in 0..1, got {positions}")
        if any(s not in (-1, 1) for s in self.signs):
            raise ValueError(f"synapse signs must be +1 or -1, got {self.signs}")
        if not 1.0 <= self.v_battery_volt <= 3.6:
            raise ValueError(f"v_battery_volt={self.v_battery_volt} V is outside a coin cell's "
                             "range; use 1.0..3.6 V")


def _rheostat_ohm(ref: str, position: float) -> float:
    return max(position * si(ref), MIN_RHEOSTAT_OHM)


def _hysteresis_divider(r_top: str, r_bottom: str, r_hyst: str, r_pullup: str,
                        vdd: float) -> tuple[float, float, float]:
    """Solve a comparator's + input with positive feedback to an open-collector output.

    Returns ``(v_plus_when_output_high, v_plus_when_output_low, v_output_high)`` in volts;
    the output high level is set by the pull-up loaded by the hysteresis resistor.
    """
    gt, gb, gh, gp = (1.0 / si(r) for r in (r_top, r_bottom, r_hyst, r_pullup))
    v_low_state = vdd * gt / (gt + gb + gh)
    # two nodes P (+ input) and O (output): [gt+gb+gh, -gh; -gh, gh+gp] [P, O] = [gt, gp] vdd
    a, b, c, d = gt + gb + gh, -gh, -gh, gh + gp
    det = a * d - b * c
    p = (gt * d - b * gp) * vdd / det
    o = (a * gp - c * gt) * vdd / det
    return p, v_low_state, o


@dataclass(frozen=True)
class CircuitParameters:
    """Everything the circuit model needs, in SI units (volts, amperes, ohms, farads, seconds)."""

    vdd_volt: float
    v_syn_ref_volt: float                # integrator summing node, VDD/2 via R7/R8
    g_weight_siemens: tuple[float, ...]  # 1/(R_w + 470 ohm) per synapse
    signs: tuple[int, ...]               # +1 excitatory, -1 inhibitory
    c_syn_farad: float
    r_syn_ohm: float
    r_push_ohm: float
    r_pull_ohm: float
    push_vdd_gain: float                 # V_push = push_vdd_gain*VDD + push_syn_gain*V_syn
    push_syn_gain: float
    pull_syn_gain: float                 # V_pull = pull_syn_gain*V_syn
    c_mem_farad: float
    r_leak_ohm: float
    v_leak_volt: float
    r_clamp_ohm: float
    v_threshold_volt: float              # U3B trip point while idle
    v_threshold_after_spike_volt: float  # while the comparator output is low
    r_ref_ohm: float
    c_ref_farad: float
    v_refractory_end_volt: float         # U3A trip point while RESET is high
    v_refractory_rearm_volt: float       # U3A trip point while RESET is low
    v_output_high_volt: float            # RESET (axon output) high level
    v_led_taps_volt: tuple[float, ...] = field(default=())  # VU meter, lowest LED first

    @property
    def i_weight_amp(self) -> tuple[float, ...]:
        """Signed pulse current per synapse while the summing node sits at VDD/2, amperes."""
        return tuple(g * ((self.vdd_volt - self.v_syn_ref_volt) if s > 0 else -self.v_syn_ref_volt)
                     for g, s in zip(self.g_weight_siemens, self.signs))

    @property
    def tau_syn_s(self) -> float:
        """Synaptic time constant RV4 * C2 in seconds."""
        return self.r_syn_ohm * self.c_syn_farad

    @property
    def tau_mem_s(self) -> float:
        """Membrane time constant RV6 * C5 in seconds."""
        return self.r_leak_ohm * self.c_mem_farad

    @property
    def g_transconductance_siemens(self) -> float:
        """Small-signal membrane current per volt of synaptic voltage, 2*pull_gain/R (~0.29 mS)."""
        return self.push_syn_gain / self.r_push_ohm + self.pull_syn_gain / self.r_pull_ohm

    @property
    def refractory_s(self) -> float:
        """Length of the RESET pulse once the membrane is clamped: R27*C9*ln(VDD/(VDD-V_end))."""
        return self.r_ref_ohm * self.c_ref_farad * math.log(
            self.vdd_volt / (self.vdd_volt - self.v_refractory_end_volt))

    @classmethod
    def from_settings(cls, settings: BoardSettings = BoardSettings()) -> "CircuitParameters":
        """Derive the parameters from the BOM values and the knob ``settings``."""
        vdd = settings.v_battery_volt
        v_ref = vdd * si("R8") / (si("R7") + si("R8"))
        g_weight = tuple(1.0 / (_rheostat_ohm(rv, pos) + si(r))
                         for rv, r, pos in zip(("RV1", "RV2", "RV3"), ("R9", "R16", "R42"),
                                               settings.weight_positions))
        r10, r11, r12, r13 = si("R10"), si("R11"), si("R12"), si("R13")
        th_hi, th_lo, _ = _hysteresis_divider("R17", "R18", "R21", "R24", vdd)
        ref_end, ref_rearm, v_out = _hysteresis_divider("R22", "R23", "R45", "R20", vdd)
        ladder_unit, ladder_top = si("R29"), si("R28")
        taps = tuple(vdd * k * ladder_unit / (ladder_top + 6 * ladder_unit) for k in range(1, 7))
        return cls(
            vdd_volt=vdd, v_syn_ref_volt=v_ref, g_weight_siemens=g_weight,
            signs=tuple(settings.signs),
            c_syn_farad=si("C2"), r_syn_ohm=_rheostat_ohm("RV4", settings.tau_syn_position),
            r_push_ohm=si("R14"), r_pull_ohm=si("R15"),
            push_vdd_gain=r11 / (r10 + r11), push_syn_gain=r10 / (r10 + r11),
            pull_syn_gain=r13 / (r12 + r13),
            c_mem_farad=si("C5"), r_leak_ohm=_rheostat_ohm("RV6", settings.tau_mem_position),
            v_leak_volt=settings.leak_position * vdd,
            r_clamp_ohm=si("R19") + settings.r_q9_on_ohm,
            v_threshold_volt=th_hi, v_threshold_after_spike_volt=th_lo,
            r_ref_ohm=si("R27"), c_ref_farad=si("C9"),
            v_refractory_end_volt=ref_end, v_refractory_rearm_volt=ref_rearm,
            v_output_high_volt=v_out, v_led_taps_volt=taps)
