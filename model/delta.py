"""Delta encoding, decoding and projection of one layer's weight matrix (ARCHITECTURE.md section 2).

Encoding is deterministic so exports are reproducible:
  * fixed_reference: r_g is the valid reference closest to the midpoint of the group's min and
    max (the lowest one on a tie); d_i = (w_i - r_g) / 2**s.
  * consecutive: r_g = w_first (so d_first = 0), d_i = (w_i - w_{i-1}) / 2**s.
  * plain: d_i = w_i, no references (refs has 0 columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.formats import DeltaFormat, FixedFormat, FormatError, Scheme


class DeltaError(FormatError):
    """Weights that a delta format cannot hold, or stored deltas that decode out of range."""


class EncodeError(DeltaError):
    pass


class DecodeError(DeltaError):
    pass


@dataclass(frozen=True, eq=False)
class EncodedLayer:
    refs: np.ndarray  # int64 [n_out, n_in // G]; [n_out, 0] for plain
    deltas: np.ndarray  # int64 [n_out, n_in]


def check_delta_shift(fmt: DeltaFormat, delta_shift: int, layer: int = 0) -> None:
    """s must be 0..weight_bits-1 (a larger step cannot stay in range); plain has no step, so s = 0."""
    if not isinstance(delta_shift, (int, np.integer)) or not 0 <= delta_shift < fmt.weight_bits:
        raise FormatError(
            f"layer {layer}: delta_shift must be an integer in 0..{fmt.weight_bits - 1}, got {delta_shift!r}"
        )
    if fmt.scheme == Scheme.PLAIN and delta_shift != 0:
        raise FormatError(f"layer {layer}: the plain scheme has no delta step, delta_shift must be 0, got {delta_shift}")


def as_int_matrix(values, what: str) -> np.ndarray:
    """A 2-D integer array as int64; floats are refused rather than silently truncated."""
    arr = np.asarray(values)
    if arr.ndim != 2:
        raise FormatError(f"{what}: expected a 2-D [n_out, n_in] array, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise FormatError(f"{what}: expected integers, got dtype {arr.dtype} (use project_layer for real values)")
    return arr.astype(np.int64)


def _first(mask: np.ndarray) -> tuple[int, ...]:
    """Index of the first True entry (row-major)."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _encode_error(layer: int, row: int, col: int, message: str) -> EncodeError:
    return EncodeError(f"layer {layer}, row {row}, col {col}: {message}")


def _check_range(w: np.ndarray, fmt: FixedFormat, layer: int, exc_type, what: str) -> None:
    bad = (w < fmt.min) | (w > fmt.max)
    if np.any(bad):
        row, col = _first(bad)
        raise exc_type(f"layer {layer}, row {row}, col {col}: {what} {w[row, col]} outside {fmt.describe()}")


def encode_layer(weights_int, fmt: DeltaFormat, delta_shift: int, layer: int = 0) -> EncodedLayer:
    """Encode integer weights [n_out, n_in]; EncodeError names layer, row and column if impossible."""
    w = as_int_matrix(weights_int, f"layer {layer} weights")
    check_delta_shift(fmt, delta_shift, layer)
    n_out, n_in = w.shape
    try:
        group = fmt.group_size(n_in)
    except FormatError as exc:
        raise EncodeError(f"layer {layer}: {exc}") from None
    _check_range(w, fmt.weight_format, layer, EncodeError, "weight")
    if fmt.scheme == Scheme.PLAIN:
        return EncodedLayer(np.zeros((n_out, 0), np.int64), w.copy())

    grouped = w.reshape(n_out, n_in // group, group)
    encode = _encode_fixed_reference if fmt.scheme == Scheme.FIXED_REFERENCE else _encode_consecutive
    refs, deltas = encode(grouped, fmt, delta_shift, layer)
    return EncodedLayer(refs.astype(np.int64), deltas.reshape(n_out, n_in).astype(np.int64))


def _encode_fixed_reference(g: np.ndarray, fmt: DeltaFormat, delta_shift: int, layer: int):
    """refs [n_out, groups] and deltas [n_out, groups, G] of grouped weights g."""
    group = g.shape[-1]
    step = 1 << delta_shift
    dfmt = fmt.delta_format
    residue = g % step
    off_grid = residue != residue[..., :1]
    if np.any(off_grid):
        row, grp, i = _first(off_grid)
        raise _encode_error(
            layer, row, grp * group + i,
            f"weight {g[row, grp, i]} and the group's first weight {g[row, grp, 0]} "
            f"(col {grp * group}) differ by a non-multiple of the delta step 2**{delta_shift}"
        )
    gmin, gmax, res = g.min(axis=-1), g.max(axis=-1), residue[..., 0]
    wfmt = fmt.weight_format
    lo = np.maximum(gmax - dfmt.max * step, wfmt.min)
    hi = np.minimum(gmin - dfmt.min * step, wfmt.max)
    lo = lo + (res - lo) % step  # first reference on the weights' grid
    hi = hi - (hi - res) % step
    too_wide = lo > hi
    if np.any(too_wide):
        row, grp = _first(too_wide)
        raise _encode_error(
            layer, row, grp * group + int(g[row, grp].argmax()),
            f"group cols {grp * group}..{grp * group + group - 1} spans [{gmin[row, grp]}, {gmax[row, grp]}], "
            f"wider than {reference_span(fmt, delta_shift)} = (2**{fmt.delta_bits}-1) * 2**{delta_shift}"
        )
    # Valid reference closest to the midpoint, compared in doubled units to stay integral.
    mid2 = gmin + gmax
    below = np.clip(lo + ((mid2 - 2 * lo) // (2 * step)) * step, lo, hi)
    above = np.clip(below + step, lo, hi)
    refs = np.where(np.abs(2 * below - mid2) <= np.abs(2 * above - mid2), below, above)
    deltas = (g - refs[..., None]) // step
    return refs, deltas


def _encode_consecutive(g: np.ndarray, fmt: DeltaFormat, delta_shift: int, layer: int):
    """refs [n_out, groups] and deltas [n_out, groups, G] of grouped weights g."""
    group = g.shape[-1]
    step = 1 << delta_shift
    dfmt = fmt.delta_format
    prev = np.concatenate([g[..., :1], g[..., :-1]], axis=-1)
    diff = g - prev
    off_grid = diff % step != 0
    if np.any(off_grid):
        row, grp, i = _first(off_grid)
        raise _encode_error(
            layer, row, grp * group + i,
            f"weight {g[row, grp, i]} minus the previous weight {prev[row, grp, i]} = {diff[row, grp, i]} "
            f"is not a multiple of the delta step 2**{delta_shift}"
        )
    deltas = diff // step
    out_of_range = (deltas < dfmt.min) | (deltas > dfmt.max)
    if np.any(out_of_range):
        row, grp, i = _first(out_of_range)
        raise _encode_error(
            layer, row, grp * group + i,
            f"step from {prev[row, grp, i]} to {g[row, grp, i]} needs delta {deltas[row, grp, i]}, "
            f"outside the {dfmt.describe()} deltas (step 2**{delta_shift})"
        )
    refs = g[..., 0]
    return refs, deltas


def reference_span(fmt: DeltaFormat, delta_shift: int) -> int:
    """Widest spread of weights one fixed reference can reach."""
    return ((1 << fmt.delta_bits) - 1) << delta_shift


def decode_layer(encoded: EncodedLayer, fmt: DeltaFormat, delta_shift: int, layer: int = 0) -> np.ndarray:
    """Integer weights [n_out, n_in] from references and deltas; DecodeError if any leaves its range."""
    deltas = as_int_matrix(encoded.deltas, f"layer {layer} deltas")
    check_delta_shift(fmt, delta_shift, layer)
    n_out, n_in = deltas.shape
    group = fmt.group_size(n_in)
    stored = fmt.weight_format if fmt.scheme == Scheme.PLAIN else fmt.delta_format
    _check_range(deltas, stored, layer, DecodeError, "delta")
    if fmt.scheme == Scheme.PLAIN:
        return deltas
    refs = as_int_matrix(encoded.refs, f"layer {layer} references")
    if refs.shape != (n_out, n_in // group):
        raise DecodeError(f"layer {layer}: references have shape {refs.shape}, expected {(n_out, n_in // group)}")
    _check_range(refs, fmt.weight_format, layer, DecodeError, "reference")
    step = 1 << delta_shift
    d = deltas.reshape(n_out, n_in // group, group) * step
    if fmt.scheme == Scheme.CONSECUTIVE:
        d = np.cumsum(d, axis=-1)
    weights = (refs[..., None] + d).reshape(n_out, n_in)
    _check_range(weights, fmt.weight_format, layer, DecodeError, "decoded weight")
    return weights


def _round_half_up(x: np.ndarray) -> np.ndarray:
    return np.floor(x + 0.5)


def _nearest_on_grid(target, base, step: int, fmt: DeltaFormat):
    """base + d*step nearest to target with d a delta and the result a valid weight."""
    wfmt, dfmt = fmt.weight_format, fmt.delta_format
    d_lo = np.maximum(dfmt.min, np.ceil((wfmt.min - base) / step))
    d_hi = np.minimum(dfmt.max, np.floor((wfmt.max - base) / step))
    return base + np.clip(_round_half_up((target - base) / step), d_lo, d_hi) * step


def project_layer(weights, fmt: DeltaFormat, delta_shift: int) -> tuple[np.ndarray, float]:
    """Nearest representable integer weights to `weights` (float or int) and the max |error|.

    plain: round half up and saturate. fixed_reference: per group, the reference minimising the
    group's max error among the 2*2**s+1 integers around the centred reference (the lowest on a
    tie), each weight then rounded to the nearest reachable value. consecutive: greedy tracking,
    each weight rounded to the nearest value reachable from the previous decoded weight (the
    target is absolute, so errors do not accumulate). Representable integer input is returned
    unchanged with error 0.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 2:
        raise FormatError(f"project_layer: expected a 2-D [n_out, n_in] array, got shape {w.shape}")
    check_delta_shift(fmt, delta_shift)
    n_out, n_in = w.shape
    group = fmt.group_size(n_in)
    wfmt, dfmt = fmt.weight_format, fmt.delta_format
    step = 1 << delta_shift
    g = w.reshape(n_out, n_in // group, group)
    if fmt.scheme == Scheme.PLAIN:
        projected = np.clip(_round_half_up(g), wfmt.min, wfmt.max)
    elif fmt.scheme == Scheme.FIXED_REFERENCE:
        centre = (g.min(axis=-1) + g.max(axis=-1)) / 2 - (dfmt.min + dfmt.max) / 2 * step
        base = _round_half_up(centre)
        projected, best_err = None, None
        for offset in range(-step, step + 1):  # ascending, so ties keep the lowest reference
            ref = np.clip(base + offset, wfmt.min, wfmt.max)[..., None]
            candidate = _nearest_on_grid(g, ref, step, fmt)
            err = np.abs(candidate - g).max(axis=-1)
            if projected is None:
                projected, best_err = candidate, err
            else:
                better = err < best_err
                projected = np.where(better[..., None], candidate, projected)
                best_err = np.minimum(err, best_err)
    else:
        projected = np.empty_like(g)
        prev = np.clip(_round_half_up(g[..., 0]), wfmt.min, wfmt.max)
        for i in range(group):
            prev = _nearest_on_grid(g[..., i], prev, step, fmt)
            projected[..., i] = prev
    projected = projected.reshape(n_out, n_in).astype(np.int64)
    max_error = float(np.abs(projected - w).max()) if w.size else 0.0
    return projected, max_error
