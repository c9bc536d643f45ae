"""Checks both figure tests share: the labels a TikZ and an SVG drawing show, and what an SVG
figure draws outside its viewBox (a browser clips it away)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

from tracer.present.tex_text import plain

SVG_NS = "{http://www.w3.org/2000/svg}"


def tikz_labels(tikz: str) -> Counter:
    return Counter(re.findall(r"\$([^$]*)\$", tikz))


def svg_labels(svg: str) -> tuple[Counter, ET.Element]:
    root = ET.fromstring(svg)  # parses as XML, or the test fails here
    texts = [t for t in root.iter(f"{SVG_NS}text") if "data-tex" in t.attrib]
    for t in texts:  # what the reader sees is the label's text, superscripts and all
        assert "".join(t.itertext()) == plain(t.attrib["data-tex"])
    return Counter(t.attrib["data-tex"] for t in texts), root


def _points(root):
    """(x, y) of every point an SVG element draws at: line ends, centres, a box's corners, text anchors."""
    for el in root.iter():
        a = {k: float(v) for k, v in el.attrib.items() if k in ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy",
                                                               "width", "height", "r")}
        if "x1" in a:
            yield from ((a["x1"], a["y1"]), (a["x2"], a["y2"]))
        elif "cx" in a:
            yield from ((a["cx"] - a.get("r", 0), a["cy"] - a.get("r", 0)), (a["cx"] + a.get("r", 0), a["cy"] + a.get("r", 0)))
        elif "x" in a and "y" in a:
            yield a["x"], a["y"]
            yield a["x"] + a.get("width", 0), a["y"] + a.get("height", 0)


def outside_viewbox(svg: str) -> list[tuple[float, float]]:
    root = ET.fromstring(svg)
    _, _, width, height = map(float, root.attrib["viewBox"].split())
    return [(x, y) for x, y in _points(root) if not (0 <= x <= width and 0 <= y <= height)]
