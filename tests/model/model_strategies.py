"""Hypothesis strategies and small builders shared by the golden-model tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from model.formats import DeltaFormat, Scheme


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def delta_formats(draw, n_in: int, schemes=tuple(Scheme)) -> tuple[DeltaFormat, int]:
    """A DeltaFormat whose group divides n_in, and a legal delta shift for it."""
    scheme = draw(st.sampled_from(schemes))
    weight_bits = draw(st.integers(2, 16))
    if scheme == Scheme.PLAIN:
        return DeltaFormat(scheme, weight_bits, weight_bits, None), 0
    delta_bits = draw(st.integers(1, 8))
    group = draw(st.sampled_from([None, *divisors(n_in)]))
    shift = draw(st.integers(0, min(weight_bits - 1, 3)))
    return DeltaFormat(scheme, weight_bits, delta_bits, group), shift


def random_int_weights(rng: np.random.Generator, fmt: DeltaFormat, n_out: int, n_in: int) -> np.ndarray:
    wf = fmt.weight_format
    return rng.integers(wf.min, wf.max + 1, size=(n_out, n_in))
