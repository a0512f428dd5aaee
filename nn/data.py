"""Toy classification datasets in pure Python, each from a seeded ``random.Random``.

Every generator returns a :class:`Dataset` of points ``X`` (lists of floats) and integer class
labels ``y`` in 0..K−1, shuffled; the same ``seed`` always gives the same data.

:func:`split` makes train/validation/test sets, :func:`batches` the mini-batches of seed
000's Figure 6.7 (batch size B; one epoch is one pass over all ⌈M/B⌉ batches).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence, Union

Seed = Union[int, random.Random]


@dataclass(frozen=True)
class Dataset:
    """``X[m]`` the features of sample m, ``y[m]`` its class label (an int)."""

    X: list[list[float]]
    y: list[int]

    def __post_init__(self) -> None:
        if len(self.X) != len(self.y):
            raise ValueError(f"Dataset: {len(self.X)} points but {len(self.y)} labels")
        widths = {len(x) for x in self.X}
        if len(widths) > 1:
            raise ValueError(f"Dataset: points have different lengths {sorted(widths)}")

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, idx: Union[slice, Sequence[int]]) -> Dataset:
        """The samples at a slice or a list of indices, as a Dataset."""
        if isinstance(idx, slice):
            return Dataset(self.X[idx], self.y[idx])
        return Dataset([self.X[i] for i in idx], [self.y[i] for i in idx])

    @property
    def n_features(self) -> int:
        return len(self.X[0]) if self.X else 0

    @property
    def n_classes(self) -> int:
        """max label + 1."""
        return max(self.y) + 1 if self.y else 0


def _rng(seed: Seed) -> random.Random:
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int or a random.Random, got {type(seed).__name__} {seed!r}")


def _check(name: str, n: int, noise: float, k: int = 2, n_min: int = 1) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < max(n_min, k):
        raise ValueError(f"{name}: n must be an int ≥ {max(n_min, k)}, got {n!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ValueError(f"{name}: the number of classes k must be an int ≥ 2, got {k!r}")
    if not isinstance(noise, (int, float)) or not 0 <= noise < math.inf:
        raise ValueError(f"{name}: noise must be a finite number ≥ 0, got {noise!r}")


def _finish(points: list[tuple[float, float, int]], noise: float, rng: random.Random) -> Dataset:
    """Add N(0, noise²) to every coordinate, shuffle, split into X and y."""
    rows = [([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)], c) if noise else ([x, y], c)
            for x, y, c in points]
    rng.shuffle(rows)
    return Dataset([r[0] for r in rows], [r[1] for r in rows])


def _counts(n: int, k: int) -> list[int]:
    """n split into k class sizes differing by at most one."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def xor(n: int = 4, noise: float = 0.0, seed: Seed = 0) -> Dataset:
    """XOR (the AD talk, *So you think you know backpropagation?*): (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0.  n = 4 with no noise is the truth
    table; larger n cycles through the four corners (with ``noise``, Gaussian blobs)."""
    _check("xor", n, noise, n_min=4)
    corners = [(0.0, 0.0, 0), (0.0, 1.0, 1), (1.0, 0.0, 1), (1.0, 1.0, 0)]
    return _finish([corners[i % 4] for i in range(n)], noise, _rng(seed))


def moons(n: int = 100, noise: float = 0.1, seed: Seed = 0) -> Dataset:
    """Two interleaving half circles (as ``sklearn.datasets.make_moons``): class 0 on
    (cos θ, sin θ), class 1 on (1 − cos θ, 1/2 − sin θ), θ evenly spaced in [0, π]."""
    _check("moons", n, noise)
    n0, n1 = n // 2, n - n // 2

    def angles(m: int) -> list[float]:
        return [math.pi * i / (m - 1) if m > 1 else 0.0 for i in range(m)]

    pts = [(math.cos(t), math.sin(t), 0) for t in angles(n0)]
    pts += [(1.0 - math.cos(t), 0.5 - math.sin(t), 1) for t in angles(n1)]
    return _finish(pts, noise, _rng(seed))


def circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0) -> Dataset:
    """Two concentric circles (as ``sklearn.datasets.make_circles``): class 0 of radius 1,
    class 1 of radius ``factor`` < 1."""
    _check("circles", n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor!r}")
    pts = []
    for c, (m, r) in enumerate(zip(_counts(n, 2), (1.0, factor))):
        pts += [(r * math.cos(2 * math.pi * i / m), r * math.sin(2 * math.pi * i / m), c)
                for i in range(m)]
    return _finish(pts, noise, _rng(seed))


def spirals(n: int = 150, k: int = 3, noise: float = 0.2, seed: Seed = 0) -> Dataset:
    """k interleaved spiral arms (CS231n's example), one class per arm: for arm c,
    r = i/(m−1) and θ = 4(c + r) + N(0, noise²), the point (r sin θ, r cos θ)."""
    _check("spirals", n, noise, k)
    rng = _rng(seed)
    pts = []
    for c, m in enumerate(_counts(n, k)):
        for i in range(m):
            r = i / (m - 1) if m > 1 else 0.0
            t = 4.0 * (c + r) + (rng.gauss(0.0, noise) if noise else 0.0)
            pts.append((r * math.sin(t), r * math.cos(t), c))
    return _finish(pts, 0.0, rng)


def blobs(n: int = 150, k: int = 3, std: float = 0.6, radius: float = 2.0, seed: Seed = 0) -> Dataset:
    """k Gaussian blobs of standard deviation ``std`` centred evenly on a circle of the given
    radius: centre c at radius·(cos 2πc/k, sin 2πc/k)."""
    _check("blobs", n, std, k)
    pts = []
    for c, m in enumerate(_counts(n, k)):
        cx, cy = radius * math.cos(2 * math.pi * c / k), radius * math.sin(2 * math.pi * c / k)
        pts += [(cx, cy, c)] * m
    return _finish(pts, std, _rng(seed))


DATASETS: dict[str, Callable[..., Dataset]] = {"xor": xor, "moons": moons, "circles": circles, "spirals": spirals, "blobs": blobs}


def split(data: Dataset, *fractions: float, seed: Seed = 0) -> tuple[Dataset, ...]:
    """Shuffle and cut ``data`` into parts of the given fractions (summing to 1):
    ``train, val = split(data, 0.8, 0.2)``; ``train, val, test = split(data, 0.6, 0.2, 0.2)``.
    Sizes are rounded; every part gets at least one sample."""
    if len(fractions) < 2 or any(not isinstance(f, (int, float)) or not 0 < f < 1 for f in fractions):
        raise ValueError(f"split: give two or more fractions in (0, 1), got {fractions!r}")
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"split: the fractions must sum to 1, got {fractions!r} (sum {sum(fractions)})")
    n = len(data)
    if n < len(fractions):
        raise ValueError(f"split: {n} samples cannot make {len(fractions)} non-empty parts")
    order = list(range(n))
    _rng(seed).shuffle(order)
    ends, acc = [], 0.0
    for f in fractions[:-1]:
        acc += f
        ends.append(round(acc * n))
    ends.append(n)
    for j in range(len(ends)):  # at least one sample per part
        lo = ends[j - 1] if j else 0
        ends[j] = min(max(ends[j], lo + 1), n - (len(ends) - 1 - j))
    starts = [0] + ends[:-1]
    return tuple(data[order[a:b]] for a, b in zip(starts, ends))


def batches(data: Dataset, batch_size: int | None = None, shuffle: bool = True,
            seed: Seed = 0) -> Iterator[Dataset]:
    """The mini-batches of one epoch: ⌈M/B⌉ batches of B samples (the last may be smaller),
    in a shuffled order when ``shuffle``; ``batch_size=None`` is one full batch.  Pass a
    ``random.Random`` as ``seed`` to get a new order every epoch."""
    for idx in batch_indices(len(data), batch_size, shuffle, seed):
        yield data[idx]


def batch_indices(n: int, batch_size: int | None = None, shuffle: bool = True,
                  seed: Seed = 0) -> Iterator[list[int]]:
    """The sample indices of each mini-batch of :func:`batches` (the same order)."""
    if batch_size is None:
        batch_size = max(n, 1)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive int or None, got {batch_size!r}")
    order = list(range(n))
    if shuffle:
        _rng(seed).shuffle(order)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]
