"""Datasets: seeded and reproducible, right shapes and classes, the geometry each promises;
split and mini-batches (the backprop chapter, Fig. 6.7)."""

import math
import random

import pytest

import nn


@pytest.mark.parametrize("name, kw, n, k", [
    ("xor", {"n": 4}, 4, 2), ("moons", {"n": 101}, 101, 2), ("circles", {"n": 60}, 60, 2),
    ("spirals", {"n": 90, "k": 3}, 90, 3), ("spirals", {"n": 100, "k": 5}, 100, 5),
    ("blobs", {"n": 50, "k": 4}, 50, 4),
])
def test_shapes_classes_balance_and_reproducibility(name, kw, n, k):
    make = nn.DATASETS[name]
    data = make(**kw, seed=3)
    assert len(data) == n and data.n_features == 2 and data.n_classes == k
    counts = [data.y.count(c) for c in range(k)]
    assert max(counts) - min(counts) <= 1 and sum(counts) == n
    assert all(isinstance(c, int) for c in data.y) and all(math.isfinite(v) for x in data.X for v in x)
    assert make(**kw, seed=3) == data
    assert make(**kw, seed=4) != data


def test_xor_is_the_truth_table():
    data = nn.xor()
    assert sorted(zip(map(tuple, data.X), data.y)) == [((0.0, 0.0), 0), ((0.0, 1.0), 1), ((1.0, 0.0), 1), ((1.0, 1.0), 0)]


def test_noiseless_geometry():
    moons = nn.moons(40, noise=0.0, seed=0)
    for (x, y), c in zip(moons.X, moons.y):  # class 0 on the unit circle, class 1 on the shifted one
        cx, cy = (0.0, 0.0) if c == 0 else (1.0, 0.5)
        assert math.hypot(x - cx, y - cy) == pytest.approx(1.0, rel=1e-12)
        assert (y >= -1e-12) if c == 0 else (y <= 0.5 + 1e-12)
    circles = nn.circles(40, noise=0.0, factor=0.3, seed=0)
    assert {round(math.hypot(*x), 12) for x in circles.X} == {1.0, 0.3}
    assert all(math.hypot(*x) == pytest.approx(1.0 if c == 0 else 0.3) for x, c in zip(circles.X, circles.y))
    spirals = nn.spirals(30, k=3, noise=0.0, seed=0)
    radii = sorted(round(math.hypot(*x), 9) for x, c in zip(spirals.X, spirals.y) if c == 0)
    assert radii == pytest.approx([i / 9 for i in range(10)])


def test_blob_means_are_near_their_centres():
    data = nn.blobs(3000, k=3, std=0.5, radius=2.0, seed=1)
    for c in range(3):
        pts = [x for x, y in zip(data.X, data.y) if y == c]
        mx, my = (sum(p[i] for p in pts) / len(pts) for i in range(2))
        # the mean of 1000 draws of N(centre, 0.5²) is within 5σ/√1000 ≈ 0.08 of the centre
        assert (mx, my) == pytest.approx((2 * math.cos(2 * math.pi * c / 3), 2 * math.sin(2 * math.pi * c / 3)), abs=0.08)


def test_split_partitions_the_data():
    data = nn.moons(100, seed=0)
    train, val, test = nn.split(data, 0.6, 0.2, 0.2, seed=5)
    assert (len(train), len(val), len(test)) == (60, 20, 20)
    rows = sorted(map(tuple, train.X + val.X + test.X))
    assert rows == sorted(map(tuple, data.X))
    assert nn.split(data, 0.6, 0.2, 0.2, seed=5) == (train, val, test)
    small = nn.split(nn.xor(), 0.9, 0.1)
    assert [len(s) for s in small] == [3, 1]  # every part gets at least one sample


def test_batches_cover_an_epoch_once_and_reshuffle():
    data = nn.moons(23, seed=0)
    rng = random.Random(0)
    epoch1 = list(nn.batches(data, 5, seed=rng))
    epoch2 = list(nn.batches(data, 5, seed=rng))
    assert [len(b) for b in epoch1] == [5, 5, 5, 5, 3]  # ⌈M/B⌉ batches, the last one smaller
    seen = sorted(map(tuple, (x for b in epoch1 for x in b.X)))
    assert seen == sorted(map(tuple, data.X))
    assert [b.X for b in epoch1] != [b.X for b in epoch2]
    full = list(nn.batches(data, None, shuffle=False))
    assert len(full) == 1 and full[0] == data


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.moons(1), ValueError, "n must be"),
    (lambda: nn.spirals(30, k=1), ValueError, "classes"),
    (lambda: nn.moons(10, noise=-1), ValueError, "noise"),
    (lambda: nn.circles(10, factor=1.5), ValueError, "factor"),
    (lambda: nn.moons(10, seed="a"), TypeError, "seed"),
    (lambda: nn.split(nn.xor(), 0.5, 0.4), ValueError, "sum to 1"),
    (lambda: nn.split(nn.xor(), 1.0), ValueError, "two or more"),
    (lambda: list(nn.batches(nn.xor(), 0)), ValueError, "batch_size"),
    (lambda: nn.Dataset([[1.0]], [0, 1]), ValueError, "1 points but 2 labels"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
