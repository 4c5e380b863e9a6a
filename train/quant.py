"""Straight-through projection onto exactly the integer weights the golden model can store.

Everything here works in "integer units": a row's float weights divided by its scale alpha,
so the projected values are the integer weights the export writes. The projections mirror
the storage rules of ARCHITECTURE.md section 2 (model.delta checks every exported layer).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from model.formats import MULT_BITS, MAX_REQ_SHIFT, MIN_REQ_SHIFT, DeltaFormat, Scheme


def round_half_up(x: torch.Tensor) -> torch.Tensor:
    """The golden model's rounding (towards +infinity on ties)."""
    return torch.floor(x + 0.5)


def max_delta_shift(fmt: DeltaFormat) -> int:
    """Largest step 2**s whose 2**delta_bits deltas still fit the weight range (0 for plain)."""
    return 0 if fmt.scheme == Scheme.PLAIN else fmt.weight_bits - fmt.delta_bits


@torch.no_grad()
def project(t: torch.Tensor, fmt: DeltaFormat, delta_shift: int) -> torch.Tensor:
    """Representable integer weights (as float) near the real targets t [n_out, n_in]."""
    wfmt, dfmt = fmt.weight_format, fmt.delta_format
    if fmt.scheme == Scheme.PLAIN:
        return round_half_up(t).clamp_(wfmt.min, wfmt.max)
    n_out, n_in = t.shape
    group = fmt.group_size(n_in)
    step = float(1 << delta_shift)
    g = t.reshape(n_out, n_in // group, group)
    if fmt.scheme == Scheme.FIXED_REFERENCE:
        # Centre the window of deltas on the group's mean (an outlier must not drag the whole
        # window away: it is clipped instead), moved just enough to cover the whole group when
        # it fits. References are restricted so that every delta decodes in range.
        half_window = (dfmt.max - dfmt.min) / 2 * step
        low, high = g.amax(-1) - half_window, g.amin(-1) + half_window
        centre = torch.minimum(torch.maximum(g.mean(-1), torch.minimum(low, high)), torch.maximum(low, high))
        ref = round_half_up(centre - (dfmt.min + dfmt.max) / 2 * step)
        ref = ref.clamp_(wfmt.min - dfmt.min * step, wfmt.max - dfmt.max * step)
        ref = ref.unsqueeze(-1)
        deltas = round_half_up((g - ref) / step).clamp_(dfmt.min, dfmt.max)
        return (ref + deltas * step).reshape(n_out, n_in)
    tracked = track_consecutive(g.reshape(-1, group).double().numpy(), fmt, step)
    return torch.from_numpy(tracked).to(t.dtype).reshape(n_out, n_in)


def track_consecutive(rows: np.ndarray, fmt: DeltaFormat, step: float) -> np.ndarray:
    """Greedy tracking of each row's absolute targets (the first delta is 0).

    The targets are first kept step/2 inside the weight range, so the nearest grid value is
    always in range and clipping the delta is the only constraint. The scan is sequential, so
    it runs in NumPy on column vectors in units of the step (4 cheap operations per column).
    """
    wfmt, dfmt = fmt.weight_format, fmt.delta_format
    first = np.clip(np.floor(rows[:, 0] + 0.5), wfmt.min, wfmt.max)
    targets = np.ascontiguousarray(np.clip(rows, wfmt.min + step / 2, wfmt.max - step / 2).T) / step + 0.5
    out = np.empty_like(targets)
    prev = first / step
    out[0] = prev
    delta = np.empty_like(prev)
    for i in range(1, len(targets)):
        np.floor(np.subtract(targets[i], prev, out=delta), out=delta)
        np.clip(delta, dfmt.min, dfmt.max, out=delta)
        prev = prev + delta
        out[i] = prev
    return out.T * step


def fake_quant_weights(
    weights: torch.Tensor, log_scale: torch.Tensor, fmt: DeltaFormat, delta_shift: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """(alpha * w_int with LSQ-style straight-through gradients, w_int).

    Weights the projection moved by at most half a step get the identity gradient (and the
    scale the LSQ gradient w_int - t); weights it had to clip are constants w_int whose
    scale gradient is w_int, as in LSQ.
    """
    scale = log_scale.exp().unsqueeze(-1)
    t = weights / scale
    w_int = project(t.detach(), fmt, delta_shift)
    clipped = (w_int - t.detach()).abs() > (1 << delta_shift) / 2
    q = torch.where(clipped, w_int, t + (w_int - t).detach())
    return scale * q, w_int


def fake_quant_round(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """round_half_up(x) saturated to [low, high], straight-through inside the range."""
    return torch.clamp(x + (round_half_up(x) - x).detach(), low, high)


def requant_params(ratio: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(M int64 [n_out], k): the largest k in 1..62 with every M = round(ratio * 2**k) < 2**16."""
    ratio = ratio.double()
    largest = float(ratio.max())
    if largest <= 0:
        raise ValueError(f"requantisation ratios must be positive, got max {largest}")
    shift = MAX_REQ_SHIFT
    while shift > MIN_REQ_SHIFT and math.floor(largest * 2.0**shift + 0.5) >= 1 << MULT_BITS:
        shift -= 1
    mult = round_half_up(ratio * 2.0**shift).long()
    if int(mult.max()) >= 1 << MULT_BITS:
        raise ValueError(f"requantisation ratio {largest} needs a multiplier above {MULT_BITS} bits even at k=1")
    return mult, shift
