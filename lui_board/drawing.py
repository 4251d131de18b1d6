"""A student-friendly drawing of the Lu.i signal path (schemdraw), with the board's part names
and values: synapse -> synaptic integrator -> transconductor -> membrane -> threshold ->
refractory timer -> axon output, reset and LEDs. Simplified from the block diagram
``doc/figures/lui_schematic.png`` of github.com/giant-axon/lu.i-neuron-pcb; values from
:data:`lui_board.bom.BOM`, thresholds from :mod:`lui_board.parameters`.
"""
from __future__ import annotations

import os
from pathlib import Path

from .bom import BOM
from .errors import LuiToolError
from .parameters import BoardSettings, CircuitParameters


def _v(ref: str) -> str:
    """Printed value with its unit: ``"22 kΩ"``, ``"10 µF"``."""
    comp = BOM[ref]
    unit = "F" if comp.kind == "C" else "Ω"
    value = comp.value
    if value[-1] in "unkM":
        return f"{value[:-1]} {value[-1].replace('u', 'µ')}{unit}"
    return f"{value} {unit}"


def draw_signal_path(path: str | os.PathLike[str], v_battery_volt: float = 3.0) -> Path:
    """Draw the signal path to ``path`` (.svg or .png) and return the path."""
    try:
        import schemdraw
        import schemdraw.elements as elm
        import schemdraw.flow as flow
    except ImportError as exc:
        raise LuiToolError(f"schemdraw is needed for the drawing ({exc}); fix: "
                           "python3 -m pip install 'schemdraw>=0.23,<1'") from None
    path = Path(path)
    if path.suffix.lower() not in (".svg", ".png"):
        raise LuiToolError(f"drawing must be .svg or .png, got {path.name!r}; fix: change the extension")
    path.parent.mkdir(parents=True, exist_ok=True)
    p = CircuitParameters.from_settings(BoardSettings(v_battery_volt=v_battery_volt))
    schemdraw.use("matplotlib")
    with schemdraw.Drawing(show=False, fontsize=10) as d:
        d.config(unit=2.5)
        # synapse
        elm.SourcePulse().up().label("input J1\n≥1.8 V, ~15 ms", loc="left")
        elm.Line().right(0.5)
        elm.Resistor().right().label("Q1/Q4 + sign SW1\nexc: from VDD\ninh: to GND", loc="top", fontsize=8)
        elm.ResistorVar().right().label(f"weight RV1 0–{_v('RV1')}\n+ R9 {_v('R9')}", loc="bottom", ofst=0.6)
        summing = d.here
        elm.Dot()
        # synaptic integrator U1B with C2 || RV4
        elm.Line().right(1.0)
        amp = elm.Opamp(anchor="in1").label("U1B", loc="center", ofst=(-0.4, 0))
        elm.Line().at(amp.in2).down(1.0)
        elm.Label().label(f"VDD/2 (R7/R8 {_v('R7')})", loc="bottom", fontsize=8)
        elm.Line().at(summing).up(3.0)
        elm.Capacitor().right().to((amp.out.x, summing.y + 3.0)).label(f"C_syn C2 {_v('C2')}", loc="top")
        elm.Line().down().to(amp.out)
        elm.Line().at(summing).up(1.6)
        elm.ResistorVar().right().to((amp.out.x, summing.y + 1.6)).label(
            f"τ_syn RV4 0–{_v('RV4')}", loc="top", fontsize=8)
        elm.Dot().at(amp.out).label("V_syn", loc="bottom")
        # transconductor
        elm.Line().at(amp.out).right(1.0)
        elm.SourceControlledI().right().label(
            f"push/pull U1C/D, Q7/Q8\nR14/R15 {_v('R14')}\nG ≈ {p.g_transconductance_siemens * 1e3:.2f} mS",
            loc="bottom", ofst=0.4, fontsize=8)
        elm.Line().right(2.0)
        mem = d.here
        elm.Dot().label("MEM", loc="bottom", ofst=(-0.4, 0))
        # membrane: C5 to ground, RV6 up to V_leak
        elm.Capacitor().down().at(mem).label(f"C_mem C5\n{_v('C5')}", loc="top")
        elm.Ground()
        elm.ResistorVar().up().at(mem).label(f"leak RV6\n0–{_v('RV6')}", loc="top")
        elm.Label().label(f"V_leak: U1A buffer\nof pot RV5 {_v('RV5')}", loc="top")
        # reset switch across the membrane capacitor
        elm.Line().at(mem).right(2.5)
        clamp = d.here
        elm.Dot()
        elm.Switch().down().label(f"reset Q9\n+ R19 {_v('R19')}", loc="top")
        elm.Ground()
        # threshold comparator U3B
        elm.Line().at(clamp).right(1.5)
        cmp = elm.Opamp(anchor="in1").label("U3B", loc="center", ofst=(-0.4, 0))
        elm.Line().at(cmp.in2).down(1.5)
        elm.Label().label(f"threshold ≈ {p.v_threshold_volt:.2f} V (R17/R18),\n"
                          f"{p.v_threshold_after_spike_volt:.2f} V after a spike (R21)", loc="bottom", fontsize=8)
        elm.Line().at(cmp.out).right(0.75)
        timer = flow.Box(w=3.4, h=2).anchor("W").label(
            f"refractory timer\nC9 {_v('C9')}, R27 {_v('R27')}\nU3A → RESET\n≈ {p.refractory_s * 1e3:.1f} ms")
        elm.Line().at(timer.E).right(0.75)
        out = d.here
        elm.Dot().label(f"axon J4\n≈ {p.v_output_high_volt:.1f} V, {p.refractory_s * 1e3:.0f} ms", loc="right")
        elm.LED().down().at(out).label("spike LED D1", loc="bottom")
        elm.Line(ls="--").at(timer.N).up(2.0)
        elm.Line(ls="--").left().to((clamp.x + 0.4, timer.N.y + 2.0)).label("RESET closes the switch", loc="top",
                                                                              fontsize=8)
        elm.Arrow(ls="--").down(1.5)
        # VU meter
        flow.Box(w=7.0, h=1.2).at((mem.x - 1.0, mem.y - 4.5)).anchor("NW").label(
            f"VU meter D2–D7: LED k lights above k × {p.v_led_taps_volt[0]:.2f} V\n"
            f"(comparators U2, U3 against R28 {_v('R28')} + 6 × {_v('R29')})", fontsize=9)
        elm.Label().at((0, mem.y - 5.0)).label(
            f"Lu.i signal path (VDD = {v_battery_volt:.1f} V coin cell)", fontsize=12, halign="left")
    d.save(str(path))
    return path
