"""The curves over the iterations as data: the loss, and the outputs, per iteration.

Computed once, drawn by two emitters: `figure_curve_pgf` (pgfplots, LaTeX) and
`figure_curve_svg` (Markdown's files, HTML's inline figures). Both write each point's
coordinates as `numfmt.coordinate` prints them and take the axes' ranges and tick labels
from here, so the two pictures hold the same points under the same ticks. Labels are
LaTeX math (notation symbols, numbers from numfmt), as in the network figure.

What is plotted:
- `loss`: iteration t's loss (`iter{t}.loss`, over its batch) at x = t, then the loss at the
  trained weights (`final.loss`, over every example) at the tick "final";
- `yhat`: per example and output unit, the output each iteration computed for it (in
  stochastic or mini-batch training only the iterations whose batch held that example),
  then `final.yhat`; at most MAX_SERIES series, the first examples' units first.
Non-finite values (a diverged run) are left out and the caption says so; past MAX_POINTS
iterations every k-th is plotted (the first and the last always).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import numfmt

MAX_POINTS = 400  # iterations plotted; more are thinned to every k-th
MAX_SERIES = 6  # curves in one plot (the palette's colours and dashes)
MARKS_UP_TO = 40  # plotted iterations that still get a mark at each point
Y_TICKS = 5  # about how many ticks the value axis gets
X_TICKS = 8
LOG_ABOVE = 3  # decades a positive loss spans before its axis is logarithmic (a diverging run)


@dataclass(frozen=True)
class Series:
    """One line of a curve plot: its legend and its points."""

    label: str  # LaTeX math for the legend ("" when the plot has one series)
    points: tuple[tuple[float, float], ...]  # (x, y), finite, in plotting order


@dataclass
class CurveLayout:
    """A curve over the iterations (loss or yhat), laid out: ranges, ticks and series, for either emitter."""

    key: str  # the figure's choice: loss or yhat (its file name's stem)
    caption: str
    ylabel: str  # LaTeX math: the notation's symbol
    xlabel: str  # words
    series: list[Series]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    xticks: list[tuple[float, str]]  # (x, LaTeX math)
    yticks: list[tuple[float, str]]
    marks: bool  # a mark at every point (few iterations), else lines only
    log: bool = False  # the value axis in decades (a positive curve over more than LOG_ABOVE of them)

    def coordinates(self) -> list[list[tuple[str, str]]]:
        """Each series' points as the emitters write them."""
        return [[(numfmt.coordinate(x), numfmt.coordinate(y)) for x, y in s.points] for s in self.series]

    def labels(self) -> list[str]:
        """Every label's text (LaTeX): the axis symbol, the ticks, the legend."""
        return [self.ylabel, *(t for _, t in self.xticks), *(t for _, t in self.yticks),
                *(s.label for s in self.series if s.label)]


def _float(x) -> float | None:
    """A recorded number as a float (mpmath too), or None when it is not finite."""
    try:
        f = float(x)
    except (OverflowError, ValueError):  # an mpmath number past any float
        return None
    return f if math.isfinite(f) else None


def _nice_step(span: float, count: int) -> float:
    """The step of 1, 2 or 5 times a power of ten that cuts `span` into about `count` parts."""
    raw = span / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def _value_axis(values: list[float]) -> tuple[tuple[float, float], list[tuple[float, str]]]:
    """The value axis's range, widened to whole ticks, and its ticks."""
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):  # a flat curve: a band around it
        pad = 0.5 * abs(lo) if lo else 0.5
        lo, hi = lo - pad, hi + pad
    step = _nice_step(hi - lo, Y_TICKS)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [(k * step, numfmt.tick(k * step, step)) for k in range(first, last + 1)]
    return (first * step, last * step), ticks


def _log_axis(values: list[float]) -> tuple[tuple[float, float], list[tuple[float, str]]]:
    """A logarithmic value axis: whole decades around the values, ticks at about Y_TICKS of them."""
    # whole decades around the values, within a float's range
    lo = max(-307, math.floor(math.log10(min(values)) + 1e-9))
    hi = min(308, math.ceil(math.log10(max(values)) - 1e-9))
    step = max(1, round(_nice_step(max(hi - lo, 1), Y_TICKS)))
    lo = max(-307, step * math.floor(lo / step))  # the axis starts at a tick
    ticks = range(step * math.ceil(lo / step), hi + 1, step)
    return (10.0 ** lo, 10.0 ** hi), [(10.0 ** k, f"10^{{{k}}}") for k in ticks]


def _spans_decades(values: list[float]) -> bool:
    return bool(values) and min(values) > 0 and math.log10(max(values) / min(values)) > LOG_ABOVE


def _iteration_axis(shown: list[int], final: bool) -> tuple[float | None, tuple[float, float], list[tuple[float, str]]]:
    """Where the final point sits (half a tick past the last iteration), the range and the ticks."""
    last = shown[-1]
    step = 1 if last <= X_TICKS else max(1, round(_nice_step(last - 1, X_TICKS)))
    ticks = [1] + [k for k in range(step, last + 1, step) if k > 1]
    final_x = last + max(1, step / 2) if final else None
    end = final_x if final else last
    pad = 0.04 * (end - 1) if end > 1 else 0.5
    labels = [(float(k), str(k)) for k in ticks]
    if final:
        labels.append((final_x, r"\text{final}"))
    return final_x, (1 - pad, end + pad), labels


def _thinned(iterations) -> list:
    n = len(iterations)
    if n <= MAX_POINTS:
        return list(iterations)
    k = math.ceil(n / MAX_POINTS)
    return [it for i, it in enumerate(iterations) if i % k == 0 or i == n - 1]


def _unit(sym: str, k: int, n: int) -> str:
    """Output unit k (1-based) of n: the symbol with a subscript, unless there is one unit."""
    if n == 1:
        return sym
    return f"{{{sym}}}_{{{k}}}" if "_" in sym else f"{sym}_{{{k}}}"


def _thinning_words(its: list, shown: list) -> str:
    if len(shown) == len(its):
        return ""
    return f"; every {math.ceil(len(its) / MAX_POINTS)}th of the {len(its)} iterations plotted"


def _diverged_words(trace, dropped: bool) -> str:
    if trace.diverged is None:
        return ""
    t = trace.diverged[0]
    return f"; training diverged in iteration {t}" + (", and values no longer finite are left out" if dropped else "")


def _layout(key, caption, ylabel, series, shown, final, plotted, log=False) -> CurveLayout:
    final_x, x_range, xticks = _iteration_axis([it.t for it in shown] or [1], final)
    series = [Series(label, tuple((final_x if x is None else float(x), y) for x, y in pts))
              for label, pts in series if pts]  # a curve with no finite point is not drawn
    y_range, yticks = _log_axis(plotted) if log else _value_axis(plotted)
    return CurveLayout(key, caption, ylabel, "iteration", series, x_range, y_range, xticks, yticks,
                       marks=len(shown) <= MARKS_UP_TO, log=log)


def loss_layout(c, key: str = "loss") -> CurveLayout:
    """The loss of each iteration, then at the trained weights (Context `c`, view_context)."""
    trace, v, nt = c.trace, c.v, c.nt
    its = trace.iterations
    shown = _thinned(its)
    points, dropped = [], False
    for it in shown:
        y = _float(v[f"{it.prefix}loss"]) if f"{it.prefix}loss" in v else None
        dropped |= y is None
        if y is not None:
            points.append((it.t, y))
    final = _float(v["final.loss"]) if "final.loss" in v else None
    if final is not None:
        points.append((None, final))
    over = "its example" if all(len(it.examples) == 1 for it in its) else "its batch"
    if c.p.mode == "gd":
        over = "every example"
    single = len(c.p.data) == 1
    caption = ("The loss per iteration" + ("" if single else f" (over {over})")
               + ("" if final is None else ", and at the trained weights (final" + ("" if single or c.p.mode == "gd" else ", over every example") + ")")
               + _thinning_words(its, shown) + _diverged_words(trace, dropped))
    plotted = [y for _, y in points]
    log = _spans_decades(plotted)
    if log:
        caption += " (a logarithmic axis)"
    return _layout(key, caption, nt.loss, [("", points)], shown, final is not None, plotted, log)


def yhat_layout(c, key: str = "yhat") -> CurveLayout:
    """Per example and output unit, its output in each iteration that computed it, then at the end."""
    trace, v, nt, p = c.trace, c.v, c.nt, c.p
    its = trace.iterations
    shown = _thinned(its)
    units, n = p.layers[-1], len(p.data)
    pairs = [(i, k) for i in range(n) for k in range(units)]
    drawn = pairs[:MAX_SERIES]
    points: dict[tuple[int, int], list] = {pair: [] for pair in drawn}
    dropped = False
    for it in shown:
        for m, i in enumerate(it.examples, 1):
            out = np.ravel(v[f"{it.example_prefix(m)}yhat"])
            for k in range(units):
                if (i, k) in points:
                    y = _float(out[k])
                    dropped |= y is None
                    if y is not None:
                        points[(i, k)].append((it.t, y))
    final = "final.yhat" in v and trace.diverged is None
    if final:
        rows = v["final.yhat"]
        for i, k in drawn:
            y = _float(np.ravel(rows[i])[k])
            if y is not None:
                points[(i, k)].append((None, y))

    def label(i: int, k: int) -> str:
        if len(drawn) == 1:
            return ""
        unit = _unit(nt.yhat, k + 1, units)
        return unit if n == 1 else (rf"\text{{example {i + 1}}}" if units == 1 else rf"{unit},\ \text{{example {i + 1}}}")

    series = [(label(i, k), points[(i, k)]) for i, k in drawn]
    which = "the output" if units == 1 else "the outputs"
    per = "" if n == 1 else (" for each example" if len(pairs) <= MAX_SERIES else
                             f" for the first examples ({len(drawn)} of {len(pairs)} curves shown)")
    seen = "" if all(len(it.examples) == n for it in its) or n == 1 else ", in the iterations whose batch held it"
    caption = (f"{which.capitalize()}{per} per iteration{seen}"
               + (", and at the trained weights (final)" if final else "")
               + _thinning_words(its, shown) + _diverged_words(trace, dropped))
    plotted = [y for _, pts in series for _, y in pts]
    return _layout(key, caption, nt.yhat, series, shown, final, plotted)


CURVES = {"loss": loss_layout, "yhat": yhat_layout}
