"""The textbooks' conventions a network spec may choose: the fields around the loss and the display.

    loss: none      the output itself is differentiated (dyhat/dyhat = 1): single-output
                    networks, data rows of x only, an update only if learning_rate is given
    loss_half       the 1/2 in front of a squared error: sse = 1/2 sum (y - yhat)^2 by
                    default, Hagan's e^2 with `loss_half: false`; mse = (1/n) sum, or 1/(2n)
    batch_loss      an iteration's loss and gradient: the mean (default) or the sum over its examples
    sig_figs        round to N significant figures instead of `decimals` places
    show            extra quantities the handout shows: error (e = y - yhat), grad.x, loss_terms

Kept apart from network.py so that the layered network's parser only calls in here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import SpecError
from .fields import (
    BATCH_LOSSES,
    DEFAULT_BATCH_LOSS,
    LOSS_HALF_DEFAULTS,
    MAX_SIG_FIGS_SHOWN,
    SHOW,
    SQUARED_LOSSES,
)
from .validate import choice, describe, integer, number, readonly, vector


def check_loss(loss: str, layers: list[int]) -> None:
    """loss none differentiates one output: a vector output has no single thing to differentiate."""
    if loss == "none" and layers[-1] != 1:
        raise SpecError("loss", f"loss none needs a single output unit (the output's own gradient), "
                                f"got {layers[-1]} outputs; choose a loss that sums them, e.g. sse")


def learning_rate(spec: dict, loss: str) -> float | None:
    """The step size; with loss none it may be left out (sensitivities only, no update)."""
    if "learning_rate" not in spec:
        if loss == "none":
            return None
        raise SpecError("learning_rate", "required field is missing")
    value = number(spec["learning_rate"], "learning_rate")
    if value <= 0:
        raise SpecError("learning_rate", f"expected a positive number, got {spec['learning_rate']}")
    return value


def example_without_target(raw: Any, i: int, layers: list[int]):
    """x of one data row under loss none (there is no target: y is refused, not ignored)."""
    where = f"data[{i}]"
    if not isinstance(raw, dict):
        raise SpecError(where, f"expected a mapping {{x: [...]}}, got {describe(raw)}")
    for key in raw:
        if key == "y":
            raise SpecError(f"{where}.y", "loss none has no target: give x only")
        if key != "x":
            raise SpecError(f"{where}.{key}", "unknown field; an example has x (and y, with a loss)")
    if "x" not in raw:
        raise SpecError(f"{where}.x", "required field is missing")
    return readonly(vector(raw["x"], layers[0], f"{where}.x", scalar_ok=True)), readonly(np.zeros(0))


def parse(spec: dict, loss: str) -> dict:
    """loss_half, batch_loss, sig_figs and show, validated; keyword arguments of Problem."""
    if "loss_half" in spec:
        if loss not in SQUARED_LOSSES:
            raise SpecError("loss_half", f"only used with a squared error ({', '.join(SQUARED_LOSSES)}), loss is {loss}")
        if not isinstance(spec["loss_half"], bool):
            raise SpecError("loss_half", f"expected true or false, got {describe(spec['loss_half'])}")
    half = spec.get("loss_half", LOSS_HALF_DEFAULTS.get(loss, False))
    batch_loss = choice(spec.get("batch_loss", DEFAULT_BATCH_LOSS), BATCH_LOSSES, "batch_loss")
    sig_figs = None
    if spec.get("sig_figs") is not None:
        if "decimals" in spec:
            raise SpecError("sig_figs", "give decimals or sig_figs, not both")
        sig_figs = integer(spec["sig_figs"], "sig_figs", 1, MAX_SIG_FIGS_SHOWN)
    show_raw = spec.get("show", [])
    if not isinstance(show_raw, list):
        raise SpecError("show", f"expected a list of {', '.join(SHOW)}, got {describe(show_raw)}")
    show = [choice(s, SHOW, f"show[{i}]") for i, s in enumerate(show_raw)]
    if loss == "none":
        if spec.get("l2"):
            raise SpecError("l2", "loss none has no loss to regularize; leave l2 out")
        for i, s in enumerate(show):
            if s in ("error", "loss_terms"):
                raise SpecError(f"show[{i}]", f"{s} needs a loss; loss is none")
    if "error" in show and loss not in SQUARED_LOSSES:
        raise SpecError(f"show[{show.index('error')}]", f"the error e = y - yhat goes with a squared error "
                                                       f"({', '.join(SQUARED_LOSSES)}), loss is {loss}")
    return {"loss_half": bool(half), "batch_loss": batch_loss, "sig_figs": sig_figs,
            "show": tuple(s for s in SHOW if s in show)}
