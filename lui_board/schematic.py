"""The Lu.i board's schematic as code (SKiDL), block by block.

Connectivity and reference designators follow the pad nets of ``neuron.kicad_pcb`` at commit
0b2c019 of github.com/giant-axon/lu.i-neuron-pcb (CERN-OHL-S); the board's own net labels
(VDD, GND, INPUT_0/1/3, VSYN, MEM, VLEAK, SPK, REFR, RESET, VU1..VU7) are kept, unnamed nets get
descriptive names. Values come from :data:`lui_board.bom.BOM`. Parts are defined inline with
SKiDL's own ``tool=SKIDL`` part templates (pin numbers as on the real footprints), so no KiCad
library installation is needed.

:func:`build_board` returns a SKiDL ``Circuit``; :func:`export_kicad_netlist` writes it as a
KiCad netlist, and :mod:`lui_board.spice` turns the same circuit into a SPICE deck.
"""
from __future__ import annotations

import builtins
import contextlib
import io
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

from .bom import BOM, Component
from .errors import LuiToolError
from .parameters import BoardSettings

#: Pin names of the templates (pin number -> name), as on the KiCad symbols.
PINOUTS: dict[str, dict[str, str]] = {
    "R": {"1": "~", "2": "~"},
    "C": {"1": "~", "2": "~"},
    "RV": {"1": "1", "2": "W", "3": "3"},
    "LED": {"1": "K", "2": "A"},
    "NMOS": {"1": "G", "2": "S", "3": "D"},
    "PMOS": {"1": "G", "2": "S", "3": "D"},
    "SW_SPDT": {"1": "A", "2": "C", "3": "B"},
    "BAT": {"1": "+", "2": "-"},
    "HDR2": {"1": "GND", "2": "IN"},
    "HDR6": {str(i): str(i) for i in range(1, 7)},
    "OPAMP4": {"1": "OUTA", "2": "-INA", "3": "+INA", "4": "V+", "5": "+INB", "6": "-INB",
               "7": "OUTB", "8": "OUTC", "9": "-INC", "10": "+INC", "11": "V-", "12": "+IND",
               "13": "-IND", "14": "OUTD"},
    "CMP4": {"1": "OUT2", "2": "OUT1", "3": "VCC", "4": "IN1-", "5": "IN1+", "6": "IN2-",
             "7": "IN2+", "8": "IN3-", "9": "IN3+", "10": "IN4-", "11": "IN4+", "12": "GND",
             "13": "OUT4", "14": "OUT3"},
}
FOOTPRINTS = {"R": "Resistor_SMD:R_0402_1005Metric", "C": "Capacitor_SMD:C_0402_1005Metric",
              "LED": "LED_SMD:LED_0402_1005Metric", "NMOS": "Package_TO_SOT_SMD:SOT-23",
              "PMOS": "Package_TO_SOT_SMD:SOT-23", "OPAMP4": "Package_SO:TSSOP-14_4.4x5mm_P0.65mm",
              "CMP4": "Package_SO:TSSOP-14_4.4x5mm_P0.65mm",
              "HDR2": "Connector_PinHeader_2.54mm:PinHeader_1x02_P2.54mm_Vertical",
              "HDR6": "Connector_PinHeader_2.54mm:PinHeader_2x03_P2.54mm_Vertical"}

#: Which throw of each sign switch makes the synapse excitatory (+1) or inhibitory (-1): the
#: common pin 2 goes to the PMOS gate for excitation and to the PMOS drain for inhibition.
SIGN_SWITCH_THROW = {"SW1": {1: "3", -1: "1"}, "SW2": {1: "1", -1: "3"}, "SW3": {1: "1", -1: "3"}}


def wiper_positions(settings: BoardSettings) -> dict[str, float]:
    """Wiper position of each trimmer as the fraction of its track between pin 1 and the wiper.

    Translates the model's knobs (rheostat fraction, V_leak/VDD) through the way each trimmer
    is wired: RV1..RV3 use pins 1-W, RV4 and RV6 use W-3, RV5 is a divider VDD(1)-W-GND(3).
    """
    pos = {f"RV{k + 1}": w for k, w in enumerate(settings.weight_positions)}
    pos["RV4"] = 1.0 - settings.tau_syn_position
    pos["RV5"] = 1.0 - settings.leak_position
    pos["RV6"] = 1.0 - settings.tau_mem_position
    return pos


def import_skidl() -> Any:
    """Import SKiDL quietly and without files.

    On import SKiDL opens ``<script>.log``/``.erc`` files in the working directory and deletes
    them by relative name when file output is switched off; doing both inside a private
    temporary directory keeps parallel processes (pytest-xdist, two shells) out of each other's
    way. It also warns about KiCad library paths it does not need here.
    """
    if "skidl" in sys.modules:
        return sys.modules["skidl"]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="lui-skidl-") as tmp:
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                logging.disable(logging.WARNING)
                import skidl
                builtins.default_circuit.no_files = True   # SKiDL keeps its default circuit here
        except ImportError as exc:
            raise LuiToolError(f"SKiDL is needed for the schematic ({exc}); fix: "
                               "python3 -m pip install 'skidl>=3.0,<4'") from None
        finally:
            logging.disable(logging.NOTSET)
            os.chdir(cwd)
    return skidl


class CircuitBuilder:
    """Places parts of a bill of materials into a SKiDL circuit and wires them by net name."""

    def __init__(self, skidl: Any, bom: Mapping[str, Component] = BOM,
                 pinouts: Mapping[str, Mapping[str, str]] = PINOUTS) -> None:
        self.sk = skidl
        self.bom = bom
        self.pinouts = pinouts
        self.circuit = skidl.Circuit()
        self.circuit.no_files = True
        self._templates: dict[str, Any] = {}
        self._nets: dict[str, Any] = {}

    def net(self, name: str) -> Any:
        if name not in self._nets:
            self._nets[name] = self.sk.Net(name, circuit=self.circuit)
        return self._nets[name]

    def part(self, ref: str, **pins: str) -> Any:
        """Place BOM part ``ref`` and connect pin numbers (``p1=``, ``p2=``...) to nets."""
        sk, comp = self.sk, self.bom[ref]
        if comp.kind not in self._templates:
            pin_objs = [sk.Pin(num=num, name=name, func=sk.Pin.types.PASSIVE)
                        for num, name in self.pinouts[comp.kind].items()]
            self._templates[comp.kind] = sk.Part(
                tool=sk.SKIDL, name=comp.kind, ref_prefix=comp.kind, dest=sk.TEMPLATE,
                pins=pin_objs, circuit=self.circuit, tag=f"template_{comp.kind}")
        part = self._templates[comp.kind](ref=ref, value=comp.value, circuit=self.circuit, tag=ref,
                                          footprint=FOOTPRINTS.get(comp.kind, ""))
        part.fields["LCSC"] = comp.lcsc
        part.fields["MPN"] = comp.part
        for pin, net in pins.items():
            self.net(net).connect(part[pin[1:]])
        return part


class _Board(CircuitBuilder):
    """The Lu.i board; one method per functional block."""

    def supply(self) -> None:
        self.part("BT1", p1="VDD", p2="GNDPWR")
        self.part("SW4", p1="GNDPWR", p2="GND")                # pin 3 unconnected
        for ref in ("C3", "C4", "C6", "C7"):
            self.part(ref, p1="GND", p2="VDD")

    def synapses(self) -> None:
        channels = (("INPUT_0", "J1", "R1", "Q1", "Q4", "R4", "SW1", "RV1", "R9"),
                    ("INPUT_1", "J2", "R2", "Q2", "Q5", "R5", "SW2", "RV2", "R16"),
                    ("INPUT_3", "J3", "R3", "Q3", "Q6", "R6", "SW3", "RV3", "R42"))
        for label, j, r_pd, q_low, q_high, r_pu, sw, rv, r_s in channels:
            gate, drain, low = f"{q_high}_G", f"{q_high}_D", f"{q_low}_D"
            self.part(j, p1="GND", p2=label)
            self.part(r_pd, p1=label, p2="GND")
            self.part(q_low, p1=label, p2="GND", p3=low)
            self.part(q_high, p1=gate, p2="VDD", p3=drain)
            self.part(r_pu, p1="VDD", p2=gate)
            exc, inh = SIGN_SWITCH_THROW[sw][1], SIGN_SWITCH_THROW[sw][-1]
            self.part(sw, p2=low, **{f"p{exc}": gate, f"p{inh}": drain})
            self.part(rv, p1=drain, p2=f"{r_s}_W", p3=f"{r_s}_W")
            self.part(r_s, p1=f"{r_s}_W", p2="SYN_SUM")

    def synaptic_integrator(self) -> None:
        self.part("R7", p1="VDD", p2="VDD_HALF")
        self.part("R8", p1="VDD_HALF", p2="GND")
        self.part("C1", p1="GND", p2="VDD_HALF")
        self.part("C2", p1="SYN_SUM", p2="VSYN")
        self.part("RV4", p1="VSYN", p2="VSYN", p3="SYN_SUM")

    def transconductor(self) -> None:
        self.part("R10", p1="VDD", p2="PUSH_REF")
        self.part("R11", p1="PUSH_REF", p2="VSYN")
        self.part("R12", p1="VSYN", p2="PULL_REF")
        self.part("R13", p1="PULL_REF", p2="GND")
        self.part("R14", p1="VDD", p2="PUSH_S")
        self.part("R15", p1="PULL_S", p2="GND")
        self.part("Q7", p1="PUSH_G", p2="PUSH_S", p3="MEM")
        self.part("Q8", p1="PULL_G", p2="PULL_S", p3="MEM")
        self.part("U1", p1="VLEAK", p2="VLEAK", p3="LEAK_SET", p4="VDD", p5="VDD_HALF", p6="SYN_SUM",
                  p7="VSYN", p8="PUSH_G", p9="PUSH_S", p10="PUSH_REF", p11="GND", p12="PULL_REF",
                  p13="PULL_S", p14="PULL_G")

    def membrane(self) -> None:
        self.part("C5", p1="MEM", p2="GND")
        self.part("RV5", p1="VDD", p2="LEAK_SET", p3="GND")
        self.part("RV6", p1="MEM", p2="MEM", p3="VLEAK")

    def spike_and_reset(self) -> None:
        self.part("R17", p1="TH_REF", p2="VDD")
        self.part("R18", p1="GND", p2="TH_REF")
        self.part("R21", p1="TH_REF", p2="TH_OUT")
        self.part("R24", p1="TH_OUT", p2="VDD")
        self.part("Q10", p1="TH_OUT", p2="GND", p3="SPK")
        self.part("R25", p1="SPK", p2="VDD")
        self.part("Q11", p1="SPK", p2="GND", p3="REFR_DIS")
        self.part("R26", p1="REFR_DIS", p2="REFR")
        self.part("R27", p1="REFR", p2="VDD")
        self.part("C9", p1="REFR", p2="GND")
        self.part("R22", p1="VDD", p2="REF_REF")
        self.part("R23", p1="REF_REF", p2="GND")
        self.part("R45", p1="RESET", p2="REF_REF")
        self.part("R20", p1="RESET", p2="VDD")
        self.part("Q9", p1="RESET", p2="GND", p3="CLAMP")
        self.part("R19", p1="MEM", p2="CLAMP")
        self.part("J4", p1="GND", p2="RESET", p3="GND", p4="RESET", p5="GND", p6="RESET")

    def visualisation(self) -> None:
        self.part("R28", p1="VDD", p2="TAP6")
        for k, ref in enumerate(("R29", "R30", "R31", "R32", "R33", "R34")):
            self.part(ref, p1=f"TAP{6 - k}", p2=f"TAP{5 - k}" if k < 5 else "GND")
        for ref, led, vu in zip(("R35", "R36", "R37", "R38", "R39", "R40"),
                                ("D2", "D3", "D4", "D5", "D6", "D7"), range(6, 0, -1)):
            self.part(ref, p1=f"VU{vu}", p2=f"{led}_K")
            self.part(led, p1=f"{led}_K", p2="VDD")
        self.part("Q12", p1="RESET", p2="GND", p3="VU7")
        self.part("R41", p1="VU7", p2="D1_K")
        self.part("D1", p1="D1_K", p2="VDD")
        # U2: VU3..VU6; U3: refractory (unit 1), threshold (unit 2), VU1, VU2
        self.part("U2", p1="VU4", p2="VU3", p3="VDD", p4="MEM", p5="TAP3", p6="MEM", p7="TAP4",
                  p8="MEM", p9="TAP6", p10="MEM", p11="TAP5", p12="GND", p13="VU5", p14="VU6")
        self.part("U3", p1="TH_OUT", p2="RESET", p3="VDD", p4="REFR", p5="REF_REF", p6="MEM",
                  p7="TH_REF", p8="MEM", p9="TAP1", p10="MEM", p11="TAP2", p12="GND", p13="VU2",
                  p14="VU1")


def build_board() -> Any:
    """Return the whole board as a SKiDL ``Circuit``."""
    board = _Board(import_skidl())
    for block in (board.supply, board.synapses, board.synaptic_integrator, board.transconductor,
                  board.membrane, board.spike_and_reset, board.visualisation):
        block()
    return board.circuit


def connections(circuit: Any) -> dict[str, dict[str, str]]:
    """``{ref: {pin number: net name}}`` of every part (unconnected pins omitted)."""
    return {part.ref: {str(pin.num): pin.net.name for pin in part.pins if pin.net is not None}
            for part in circuit.parts}


def export_kicad_netlist(path: str | os.PathLike[str], circuit: Any = None) -> Path:
    """Write ``circuit`` (default: the Lu.i board) as a KiCad netlist (S-expression, version "D")."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    circuit = build_board() if circuit is None else circuit
    skidl = import_skidl()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        logging.disable(logging.WARNING)
        try:
            text = circuit.generate_netlist(tool=skidl.KICAD9)
        finally:
            logging.disable(logging.NOTSET)
    path.write_text(str(text))
    return path
