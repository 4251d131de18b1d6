"""Component values of the Lu.i neuron board: the single source of every number.

Reference designators, values and LCSC part numbers are read from the public KiCad design
``neuron.kicad_sch`` / ``neuron.kicad_pcb`` of github.com/giant-axon/lu.i-neuron-pcb at commit
0b2c019 (2025-03-31; CERN-OHL-S), described in Y. Stradmann et al., "Lu.i - A low-cost
electronic neuron for education and outreach", Trends in Neuroscience and Education 38,
100248 (2025), doi:10.1016/j.tine.2025.100248.

Both the schematic (:mod:`lui_board.schematic`) and the circuit model
(:mod:`lui_board.model`) take their values from :data:`BOM`, so the model cannot drift from
the drawn circuit.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

_SI_PREFIX = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6}


def parse_si(text: str) -> float:
    """Parse a KiCad-style value (``"22k"``, ``"4.7k"``, ``"2.2"``, ``"100n"``) to SI units.

    The letter may stand in for the decimal point (``"4k7"``).
    """
    text = text.strip()
    for i, ch in enumerate(text):
        if ch in _SI_PREFIX:
            whole, frac = text[:i], text[i + 1:]
            number = float(f"{whole or 0}.{frac or 0}") if frac and "." not in whole else float(whole)
            return number * _SI_PREFIX[ch]
    return float(text)


@dataclass(frozen=True)
class Component:
    """One placed part. ``value`` is the printed value; :attr:`si` gives ohms or farads."""

    ref: str
    value: str
    kind: str          # "R", "RV" (trimmer), "C", "LED", "NMOS", "PMOS", "OPAMP4", "CMP4", ...
    part: str          # manufacturer part / model name
    lcsc: str = ""

    @property
    def si(self) -> float:
        """Value in SI units (ohms for R/RV, farads for C)."""
        return parse_si(self.value)


def _series(kind: str, part: str, lcsc: str, value: str, *refs: str) -> list[Component]:
    return [Component(ref, value, kind, part, lcsc) for ref in refs]


_PARTS: list[Component] = [
    # supply
    Component("BT1", "CR2032", "BAT", "CR2032 holder", "C70377"),
    Component("SW4", "SSAJ120100", "SW_SPDT", "power switch", "C160864"),
    *_series("C", "0402 MLCC", "C1525", "100n", "C1", "C3", "C4", "C6", "C7"),
    # synapses (three identical channels: INPUT_0, INPUT_1, INPUT_3)
    *_series("HDR2", "1x2 header", "C2894925", "Conn_01x02", "J1", "J2", "J3"),
    *_series("R", "0402", "C25741", "100k", "R1", "R2", "R3", "R17", "R21", "R45"),
    *_series("NMOS", "2SK3018", "C181084", "2SK3018", "Q1", "Q2", "Q3", "Q10", "Q11", "Q12"),
    *_series("PMOS", "BSS84", "C8492", "BSS84", "Q4", "Q5", "Q6"),
    *_series("R", "0402", "C25744", "10k", "R4", "R5", "R6", "R24"),
    *_series("SW_SPDT", "K3-1296S-E1", "C128955", "SPDT", "SW1", "SW2", "SW3"),
    *_series("RV", "trimmer", "C128552", "22k", "RV1", "RV2", "RV3", "RV4"),
    *_series("R", "0402", "C25117", "470", "R9", "R16", "R42"),
    # synaptic integrator and transconductor
    Component("U1", "MCP6004", "OPAMP4", "MCP6004", "C50282"),
    *_series("R", "0402", "C326601", "22k", "R7", "R8", "R10", "R13"),
    Component("C2", "10u", "C", "0402 MLCC", "C15525"),
    *_series("R", "0402", "C5152005", "47k", "R11", "R12"),
    *_series("R", "0402", "C705646", "2.2k", "R14", "R15"),
    Component("Q7", "SI2301", "PMOS", "SI2301", "C10487"),
    Component("Q8", "SI2302", "NMOS", "SI2302", "C10488"),
    # membrane and leak
    Component("C5", "22u", "C", "0402 MLCC", "C415703"),
    Component("RV5", "100k", "RV", "trimmer", "C128545"),
    Component("RV6", "50k", "RV", "trimmer", "C145161"),
    # threshold, spike, refractory timer, reset
    *_series("CMP4", "LM339", "C42184", "LM339", "U2", "U3"),
    *_series("R", "0402", "C25796", "56k", "R18", "R29", "R30", "R31", "R32", "R33", "R34"),
    Component("R19", "22", "R", "0402", "C25092"),
    Component("R20", "4.7k", "R", "0402", "C25900"),
    Component("R22", "27k", "R", "0402", "C25771"),
    *_series("R", "0402", "C25768", "22k", "R23", "R25", "R27"),
    Component("R26", "2.2", "R", "0402", "C25101"),
    Component("C9", "1u", "C", "0402 MLCC", "C52923"),
    Component("Q9", "2N7002", "NMOS", "2N7002", "C8545"),
    Component("J4", "Conn_02x03", "HDR6", "2x3 header (axon)", "C492420"),
    # visualisation: VU meter and spike LED
    Component("R28", "470k", "R", "0402", "C25790"),
    *_series("R", "0402", "C25082", "150", "R35", "R36", "R37", "R38", "R39", "R40"),
    Component("R41", "10", "R", "0402", "C25077"),
    *_series("LED", "yellow 0402", "C779450", "LED", "D1", "D2", "D3", "D4", "D5", "D6", "D7"),
]

#: Every placed part of the board, by reference designator.
BOM: Mapping[str, Component] = MappingProxyType({c.ref: c for c in _PARTS})


def si(ref: str) -> float:
    """SI value of part ``ref`` (ohms or farads)."""
    return BOM[ref].si
