"""Reader for KiCad S-expression netlists (version "D", as written by SKiDL and KiCad), so the
SPICE deck is built from the exported file itself rather than from the in-memory circuit."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

SExpr = Union[str, list["SExpr"]]
_TOKEN = re.compile(r'\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+')


def parse_sexpr(text: str) -> SExpr:
    """Parse one S-expression into nested lists of strings (quotes removed)."""
    stack: list[list[SExpr]] = [[]]
    for tok in _TOKEN.findall(text):
        if tok == "(":
            stack.append([])
        elif tok == ")":
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(tok[1:-1].replace('\\"', '"') if tok.startswith('"') else tok)
    return stack[0][0]


def _children(node: SExpr, name: str) -> list[list[SExpr]]:
    return [c for c in node[1:] if isinstance(c, list) and c and c[0] == name]


def _value(node: SExpr, name: str, default: str = "") -> str:
    found = _children(node, name)
    return str(found[0][1]) if found and len(found[0]) > 1 else default


@dataclass
class NetlistPart:
    """One component of a netlist: reference, printed value, symbol (library part) name, fields."""

    ref: str
    value: str
    symbol: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class KicadNetlist:
    """Components and connectivity (``pins[ref][pin number] = net name``) of a netlist file."""

    parts: dict[str, NetlistPart]
    pins: dict[str, dict[str, str]]


def read_kicad_netlist(path: str | os.PathLike[str]) -> KicadNetlist:
    """Read a KiCad netlist file."""
    root = parse_sexpr(Path(path).read_text())
    parts = {}
    for comp in _children(_children(root, "components")[0], "comp"):
        fields = {_value(f, "name"): str(f[2]) for fields in _children(comp, "fields")
                  for f in _children(fields, "field") if len(f) > 2}
        symbol = _value(_children(comp, "libsource")[0], "part") if _children(comp, "libsource") else ""
        parts[_value(comp, "ref")] = NetlistPart(_value(comp, "ref"), _value(comp, "value"), symbol, fields)
    pins: dict[str, dict[str, str]] = {ref: {} for ref in parts}
    for net in _children(_children(root, "nets")[0], "net"):
        for node in _children(net, "node"):
            pins.setdefault(_value(node, "ref"), {})[_value(node, "pin")] = _value(net, "name")
    return KicadNetlist(parts, pins)
