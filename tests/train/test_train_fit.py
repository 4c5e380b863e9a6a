"""The block-RAM search behind the s15 preset."""

from model.formats import DeltaFormat, Scheme
from train.config import RunConfig
from train.fit import ROM_BUDGET_RAMB18, bram18_estimate, candidates

FMT = DeltaFormat(Scheme.FIXED_REFERENCE, 8, 4)


def test_s15_preset_fits_the_xc7s15_beside_the_core():
    tiles = bram18_estimate(RunConfig(config="s15").sizes, FMT, lanes=16)
    assert tiles["total"] == sum(v for k, v in tiles.items() if k != "total") <= ROM_BUDGET_RAMB18


def test_candidates_fit_and_come_largest_first():
    found = candidates(FMT, lanes=16, budget=ROM_BUDGET_RAMB18)
    assert found, "some MLP must fit"
    weights = [w for _, w, _ in found]
    assert weights == sorted(weights, reverse=True)
    for topology, _, tiles in found:
        assert tiles == bram18_estimate(topology, FMT, 16)["total"] <= ROM_BUDGET_RAMB18
    # One more hidden unit per lane group than the largest single-layer candidate no longer fits.
    widest = max(t[1] for t, _, _ in found if len(t) == 3)
    assert bram18_estimate((784, widest + 16, 10), FMT, 16)["total"] > ROM_BUDGET_RAMB18
