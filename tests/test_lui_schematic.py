"""The board as code: connectivity, KiCad netlist export, SPICE deck."""
import re

import pytest

from lui_board.bom import BOM, parse_si
from lui_board.kicad_netlist import read_kicad_netlist
from lui_board.parameters import BoardSettings
from lui_board.schematic import build_board, connections, export_kicad_netlist
from lui_board.spice import board_deck


@pytest.fixture(scope="module")
def nets():
    by_net = {}
    for ref, pins in connections(build_board()).items():
        for pin, net in pins.items():
            by_net.setdefault(net, set()).add(f"{ref}.{pin}")
    return by_net


def test_key_nets_match_the_public_pcb(nets):
    """Pad nets of neuron.kicad_pcb (giant-axon/lu.i-neuron-pcb @ 0b2c019)."""
    assert nets["MEM"] == {"C5.1", "Q7.3", "Q8.3", "R19.1", "RV6.1", "RV6.2", "U2.4", "U2.6", "U2.8",
                           "U2.10", "U3.6", "U3.8", "U3.10"}
    assert nets["RESET"] == {"J4.2", "J4.4", "J4.6", "Q12.1", "Q9.1", "R20.1", "R45.1", "U3.2"}
    assert nets["VSYN"] == {"C2.2", "R11.2", "R12.1", "RV4.1", "RV4.2", "U1.7"}
    assert nets["REFR"] == {"C9.1", "R26.2", "R27.1", "U3.4"}
    assert nets["SYN_SUM"] == {"C2.1", "R9.2", "R16.2", "R42.2", "RV4.3", "U1.6"}
    assert len(nets) == 58                              # as many nets as the PCB has


def test_every_bom_part_is_placed_once():
    assert sorted(connections(build_board())) == sorted(BOM)
    assert len(BOM) == 88


def test_kicad_netlist_export(tmp_path):
    path = export_kicad_netlist(tmp_path / "lui.net")
    assert read_kicad_netlist(path).pins == connections(build_board())      # read back unchanged
    text = path.read_text()
    assert text.lstrip().startswith("(export")
    refs = set(re.findall(r'\(comp\s+\(ref "([^"]+)"\)', text))
    assert refs == set(BOM)
    assert '(value "50k")' in text and '"C415703"' in text        # RV6 value, C5 LCSC number
    assert list(tmp_path.iterdir()) == [path]                       # no stray SKiDL log files


def test_spice_deck_contains_every_part_with_its_value():
    deck = board_deck(BoardSettings(tau_mem_position=0.5), [[], [], []], 0.1)
    assert re.search(r"^CC5 mem 0 2.2e-05$", deck, re.M)
    assert re.search(r"^RRV6a mem mem 25000$", deck, re.M) and re.search(r"^RRV6b mem vleak 25000$", deck, re.M)
    for ref, comp in BOM.items():
        if comp.kind not in ("HDR2", "HDR6"):
            assert re.search(rf"^\w?{ref}\w*\s", deck, re.M), ref


def test_parse_si():
    assert [parse_si(v) for v in ("22k", "4.7k", "4k7", "2.2", "100n", "10u")] == \
        pytest.approx([22e3, 4.7e3, 4.7e3, 2.2, 100e-9, 10e-6])


def test_probe_accessory_never_drives_membrane_or_reset():
    from lui_board.accessory import MEMBRANE_GPIO, PICO_PIN, SPIKE_GPIO, build_accessory
    by_net = {}
    for ref, pins in connections(build_accessory()).items():
        for pin, net in pins.items():
            by_net.setdefault(net, set()).add(f"{ref}.{pin}")
    for k in range(2):          # MEM pads only see a 10 k series resistor into the ADC
        assert by_net[f"LUI_MEM{k}"] == {f"J{k + 4}.2", f"R{k + 4}.1"}
        assert f"U1.{PICO_PIN[MEMBRANE_GPIO[k]]}" in by_net[f"ADC{k}"]
    for k in range(4):          # axon outputs only see a MOSFET gate and its pull-down
        assert by_net[f"LUI_AXON{k}"] == {f"J{k + 6}.2", f"R{k + 6}.1", f"Q{k + 1}.1"}
        assert f"U1.{PICO_PIN[SPIKE_GPIO[k]]}" in by_net[f"SPK{k}_N"]
    assert {"U1.4", "R1.1"} == by_net["OUT0_MCU"]            # GP2 drives input 0 through 330 ohm
