"""The serial probe accessory as code (SKiDL): a 3.3 V Raspberry Pi Pico (RP2040) module that
drives the three Lu.i inputs, samples membrane pads with its ADC and timestamps axon spikes.

This board is this suite's own design (the public Lu.i has no digital interface;
github.com/giant-axon/lu.i-neuron-pcb doc/electronic-interface.md gives the electrical limits
used here: inputs switch above 1.8 V and accept up to 20 V, outputs are ~15 ms pulses at the
coin-cell voltage). Rules it follows:

* pulse outputs: GP2..GP4 through 330 ohm to the Lu.i input headers (3.3 V > 1.8 V threshold);
* membrane: the MEM test pad through 10 kohm into ADC0/ADC1, 10 nF to GND (1.6 kHz anti-alias);
  the probe never drives MEM;
* spikes: the axon output (2.2..3.0 V, below a comfortable 3.3 V CMOS V_IH) switches a BSS138
  (V_GS(th) <= 1.5 V) whose drain is pulled up to 3.3 V, read inverted on GP10..GP13; 100 kohm
  gate pull-downs keep unplugged inputs low; the probe never drives RESET;
* ground is shared with every board through pin 1 of each header.

Channel counts match ``lui_board/firmware/lui_hal.h``: 3 pulse outputs, 4 spike inputs,
2 membrane channels.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from .bom import Component
from .schematic import PINOUTS, CircuitBuilder, import_skidl

#: Raspberry Pi Pico 40-pin module: pin number -> name (GP0..GP22 on 1..29 between the GND pins).
PICO_PINS: dict[str, str] = {}
_gp = iter([*range(0, 23), 26, 27, 28])
for _pin in range(1, 41):
    PICO_PINS[str(_pin)] = {3: "GND", 8: "GND", 13: "GND", 18: "GND", 23: "GND", 28: "GND", 30: "RUN", 33: "AGND",
                            35: "ADC_VREF", 36: "3V3", 37: "3V3_EN", 38: "GND", 39: "VSYS",
                            40: "VBUS"}.get(_pin) or f"GP{next(_gp)}"
PICO_PIN = {name: num for num, name in PICO_PINS.items() if name.startswith("GP")}

PULSE_GPIO = ("GP2", "GP3", "GP4")
SPIKE_GPIO = ("GP10", "GP11", "GP12", "GP13")
MEMBRANE_GPIO = ("GP26", "GP27")           # ADC0, ADC1


def _parts() -> list[Component]:
    parts = [Component("U1", "Pico", "PICO", "Raspberry Pi Pico (RP2040)")]
    parts += [Component(f"J{k + 1}", "Conn_01x02", "HDR2", "1x2 header to Lu.i input") for k in range(3)]
    parts += [Component(f"J{k + 4}", "Conn_01x02", "HDR2", "1x2 header from Lu.i MEM pad") for k in range(2)]
    parts += [Component(f"J{k + 6}", "Conn_01x02", "HDR2", "1x2 header from Lu.i axon J4") for k in range(4)]
    parts += [Component(f"R{k + 1}", "330", "R", "0402") for k in range(3)]
    parts += [Component(f"R{k + 4}", "10k", "R", "0402") for k in range(2)]
    parts += [Component(f"C{k + 1}", "10n", "C", "0402") for k in range(2)]
    parts += [Component(f"Q{k + 1}", "BSS138", "NMOS", "BSS138") for k in range(4)]
    parts += [Component(f"R{k + 6}", "100k", "R", "0402") for k in range(4)]
    parts += [Component(f"R{k + 10}", "10k", "R", "0402") for k in range(4)]
    return parts


#: Parts of the probe accessory, by reference designator.
ACCESSORY_BOM: Mapping[str, Component] = MappingProxyType({c.ref: c for c in _parts()})


def build_accessory() -> Any:
    """Return the probe accessory as a SKiDL ``Circuit``."""
    b = CircuitBuilder(import_skidl(), ACCESSORY_BOM, {**PINOUTS, "PICO": PICO_PINS})
    gnd_pins = {f"p{n}": "GND" for n, name in PICO_PINS.items() if name in ("GND", "AGND")}
    io = {f"p{PICO_PIN[g]}": f"OUT{k}_MCU" for k, g in enumerate(PULSE_GPIO)}
    io |= {f"p{PICO_PIN[g]}": f"ADC{k}" for k, g in enumerate(MEMBRANE_GPIO)}
    io |= {f"p{PICO_PIN[g]}": f"SPK{k}_N" for k, g in enumerate(SPIKE_GPIO)}
    b.part("U1", p36="+3V3", **gnd_pins, **io)
    for k in range(3):                                   # synapse drive
        b.part(f"R{k + 1}", p1=f"OUT{k}_MCU", p2=f"LUI_IN{k}")
        b.part(f"J{k + 1}", p1="GND", p2=f"LUI_IN{k}")
    for k in range(2):                                   # membrane sense
        b.part(f"J{k + 4}", p1="GND", p2=f"LUI_MEM{k}")
        b.part(f"R{k + 4}", p1=f"LUI_MEM{k}", p2=f"ADC{k}")
        b.part(f"C{k + 1}", p1=f"ADC{k}", p2="GND")
    for k in range(4):                                   # spike level shifters
        b.part(f"J{k + 6}", p1="GND", p2=f"LUI_AXON{k}")
        b.part(f"R{k + 6}", p1=f"LUI_AXON{k}", p2="GND")
        b.part(f"Q{k + 1}", p1=f"LUI_AXON{k}", p2="GND", p3=f"SPK{k}_N")
        b.part(f"R{k + 10}", p1="+3V3", p2=f"SPK{k}_N")
    return b.circuit
