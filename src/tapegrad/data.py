"""Data: generated toy sets, the 8x8 digits shipped with tapegrad, MNIST from IDX files,
map-style datasets as in torch.utils.data (Dataset, TensorDataset, Subset, ConcatDataset,
random_split), batching, splitting, standardization and augmentation.

Arrays go in and out as numpy (X float32 (n, features), y int64 (n,)); DataLoader wraps
each batch as Tensors. Everything random takes `seed` (DataLoader and random_split:
`generator`, PyTorch's name): an int, a numpy Generator, or None for tapegrad's generator,
so `tg.manual_seed` makes a run repeatable."""

from __future__ import annotations

import bisect
import gzip
import hashlib
import itertools
import math
import numbers
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from . import random as _random
from .tensor import Tensor

Seed = int | np.random.Generator | _random.Generator | None


def _rng(seed: Seed, who: str, name: str = "seed") -> np.random.Generator:
    """The generator to draw from: tapegrad's for None, a fresh one for an int seed (`name`:
    the argument's name in `who`, for the error)."""
    if seed is None:
        return _random.generator()
    if isinstance(seed, (np.random.Generator, _random.Generator)):
        return _random.resolve(seed, who)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.default_rng(int(seed))
    raise TypeError(f"{who}: {name} must be a non-negative int, a tg.Generator, a numpy "
                    f"Generator or None, got {seed!r}")


def _positive_int(value: Any, name: str, who: str, minimum: int = 1) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _nonnegative(value: Any, name: str, who: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or \
            not 0 <= value < math.inf:
        raise ValueError(f"{who}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _interval(pair: Any, name: str, who: str) -> tuple[float, float]:
    """(low, high) as floats; a ValueError unless it is two finite numbers, low < high."""
    if not (isinstance(pair, (tuple, list, np.ndarray)) and len(pair) == 2
            and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in pair)
            and math.isfinite(pair[0]) and math.isfinite(pair[1]) and pair[0] < pair[1]):
        raise ValueError(f"{who}: {name} must be a pair (low, high) of finite numbers with "
                         f"low < high, got {pair!r}")
    return float(pair[0]), float(pair[1])


def _class_sizes(n: int, k: int) -> list[int]:
    """n samples over k classes: n//k each, the first n % k classes one more."""
    return [n // k + (c < n % k) for c in range(k)]


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


# ---------------------------------------------------------------- generated sets
def make_moons(n_samples: int = 100, noise: float = 0.0, seed: Seed = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles, as in scikit-learn.

    Class 0: (cos t, sin t), class 1: (1 - cos t, 1/2 - sin t), t evenly spaced on [0, π]
    (n//2 and n - n//2 points; one point is of class 1, as in scikit-learn), shuffled, plus
    Gaussian noise of std `noise`. Returns X float32 (n, 2), y int64 (n,)."""
    n = _positive_int(n_samples, "n_samples", "make_moons")
    noise = _nonnegative(noise, "noise", "make_moons")
    rng = _rng(seed, "make_moons")
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.repeat([0, 1], [n_out, n - n_out])
    X, y = _shuffled(X, y, rng)
    return X + (noise * rng.standard_normal(X.shape)).astype(np.float32), y


def make_spirals(n_samples: int = 100, n_classes: int = 2, noise: float = 0.0,
                 turns: float = 1.0, seed: Seed = None) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms (the CS231n set), one per class.

    Arm k has points at radius r evenly spaced on [0, 1] and angle 2π·turns·r + 2πk/K,
    i.e. (r cos θ, r sin θ), shuffled, plus Gaussian noise of std `noise`. Classes get
    n//K points each, the first n % K classes one more. Returns X float32 (n, 2), y int64."""
    n = _positive_int(n_samples, "n_samples", "make_spirals")
    k = _positive_int(n_classes, "n_classes", "make_spirals")
    if n < k:
        raise ValueError(f"make_spirals: n_samples={n} is fewer than n_classes={k}")
    noise = _nonnegative(noise, "noise", "make_spirals")
    turns = _nonnegative(turns, "turns", "make_spirals")
    rng = _rng(seed, "make_spirals")
    counts = _class_sizes(n, k)
    r = np.concatenate([np.linspace(0, 1, m) for m in counts])
    y = np.repeat(np.arange(k), counts)
    theta = 2 * np.pi * turns * r + 2 * np.pi * y / k
    X, y = _shuffled(np.stack([r * np.cos(theta), r * np.sin(theta)], 1), y, rng)
    return X + (noise * rng.standard_normal(X.shape)).astype(np.float32), y


def make_blobs(n_samples: int = 100, centers: int | Sequence[Sequence[float]] = 3,
               n_features: int = 2, cluster_std: float = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0), seed: Seed = None,
               return_centers: bool = False) -> tuple[np.ndarray, ...]:
    """Isotropic Gaussian clusters: class c is N(center_c, cluster_std² I).

    `centers` is a count (drawn uniformly from `center_box`) or an array (k, n_features).
    Classes get n//k points each, the first n % k one more; shuffled.
    Returns X float32 (n, n_features), y int64 (n,) [, centers float32 (k, n_features)]."""
    n = _positive_int(n_samples, "n_samples", "make_blobs")
    std = _nonnegative(cluster_std, "cluster_std", "make_blobs")
    rng = _rng(seed, "make_blobs")
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _positive_int(centers, "centers", "make_blobs")
        d = _positive_int(n_features, "n_features", "make_blobs")
        C = rng.uniform(*_interval(center_box, "center_box", "make_blobs"), size=(k, d))
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or C.shape[0] == 0:
            raise ValueError(f"make_blobs: centers must be a count or an array of shape "
                             f"(k, n_features), got shape {C.shape}")
        if not np.isfinite(C).all():
            raise ValueError(f"make_blobs: centers must be finite, got {C.tolist()!r:.200}")
        k = C.shape[0]
    counts = _class_sizes(n, k)
    y = np.repeat(np.arange(k), counts)
    X, y = _shuffled(C[y] + std * rng.standard_normal((n, C.shape[1])), y, rng)
    return (X, y, C.astype(np.float32)) if return_centers else (X, y)


def make_regression_1d(n_samples: int = 100, noise: float = 0.1,
                       fn: Callable[[np.ndarray], np.ndarray] = np.sin,
                       x_range: tuple[float, float] = (-3.0, 3.0), seed: Seed = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 1-D regression: x ~ U(x_range), y = fn(x) + noise·ε, ε ~ N(0, 1).

    Returns X float32 (n, 1) sorted by x, y float32 (n, 1) (shapes an MLP and mse_loss
    take directly)."""
    n = _positive_int(n_samples, "n_samples", "make_regression_1d")
    noise = _nonnegative(noise, "noise", "make_regression_1d")
    if not callable(fn):
        raise TypeError(f"make_regression_1d: fn must be a function of x (e.g. np.sin), got "
                        f"{type(fn).__name__}")
    lo, hi = _interval(x_range, "x_range", "make_regression_1d")
    rng = _rng(seed, "make_regression_1d")
    x = np.sort(rng.uniform(lo, hi, n))
    y = np.asarray(fn(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"make_regression_1d: fn must map shape {x.shape} to the same "
                         f"shape, got {y.shape}")
    y = y + noise * rng.standard_normal(n)
    return x[:, None].astype(np.float32), y[:, None].astype(np.float32)


# ---------------------------------------------------------------- digits (shipped)
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The UCI 8x8 handwritten digits (Alpaydin & Kaynak 1998; scikit-learn's copy, BSD-3,
    see datasets/DIGITS_LICENSE.txt): 1,797 images of 10 classes.

    Returns X float32 (1797, 64), row-major 8x8 pixels with integer values 0..16, and
    y int64 (1797,) in 0..9."""
    with resources.files("tapegrad").joinpath("datasets/digits.npz").open("rb") as f, \
            np.load(f, allow_pickle=False) as archive:
        return archive["images"].astype(np.float32), archive["labels"].astype(np.int64)


# ---------------------------------------------------------------- MNIST (IDX files)
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/")
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_MD5 = {  # of the .gz files, as published with the data set (and used by torchvision)
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
# IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/, bottom)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (gzipped or not, told apart by the gzip magic bytes).

    Layout: 2 zero bytes, a type byte, the number of dimensions d, d big-endian uint32
    sizes, then the values in C order. Raises ValueError naming the file if the header is
    bad or the data is truncated or has trailing bytes."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"read_idx: {path} is a corrupt or truncated gzip file: {e}"
                             ) from None
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (magic bytes "
                         f"{raw[:4].hex() or 'missing'}; expected 0000, a type byte in "
                         f"{sorted(_IDX_TYPES)}, and the number of dimensions)")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} is truncated inside its header "
                         f"({len(raw)} bytes, header needs {header})")
    shape = tuple(int(s) for s in np.frombuffer(raw, ">u4", ndim, 4))
    expected = header + math.prod(shape) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise ValueError(f"read_idx: {path} is {what}: shape {shape} of {dtype.name} needs "
                         f"{expected} bytes, the file has {len(raw)}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(root: str, name: str) -> str | None:
    for candidate in (name, name + ".gz"):
        path = os.path.join(root, candidate)
        if os.path.isfile(path):
            return path
    return None


def _download(root: str, name: str) -> str:
    """Fetch name.gz from the first mirror that answers, check its MD5, write it atomically."""
    filename = name + ".gz"
    errors = []
    for mirror in MNIST_MIRRORS:
        url = mirror + filename
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"{url}: {e}")
            continue
        digest = hashlib.md5(payload, usedforsecurity=False).hexdigest()  # published sums
        if digest != MNIST_MD5[filename]:
            errors.append(f"{url}: MD5 {digest} differs from {MNIST_MD5[filename]}")
            continue
        os.makedirs(root, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=root, prefix=".tapegrad-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
            path = os.path.join(root, filename)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return path
    raise ConnectionError(
        f"load_mnist: could not download {filename} (the network may be unavailable "
        f"here); put the MNIST IDX files into {root} yourself and call load_mnist(root). "
        "Tried: " + "; ".join(errors))


def load_mnist(root: str | os.PathLike[str], kind: str = "train", download: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
    """MNIST (or any set in the same IDX layout, e.g. Fashion-MNIST) from `root`.

    Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte, plain or .gz. With download=True,
    missing files are fetched from a mirror (MD5-checked); if the network does not allow
    it, a ConnectionError says so. Returns X float32 (n, rows·cols) with the raw pixel
    values 0..255 and y int64 (n,)."""
    if kind not in MNIST_FILES:
        raise ValueError(f"load_mnist: kind must be 'train' or 'test', got {kind!r}")
    root = os.fspath(root)
    paths = []
    for name in MNIST_FILES[kind]:
        path = _find(root, name)
        if path is None and download:
            path = _download(root, name)
        if path is None:
            raise FileNotFoundError(f"load_mnist: {os.path.join(root, name)}[.gz] not found; "
                                    "pass download=True to fetch it, or put the file there")
        paths.append(path)
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"load_mnist: {paths[0]} should hold uint8 images (n, rows, cols), "
                         f"holds {images.dtype} of shape {images.shape}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"load_mnist: {paths[1]} should hold uint8 labels (n,), holds "
                         f"{labels.dtype} of shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {paths[0]} has {len(images)} images but {paths[1]} "
                         f"has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"load_mnist: {paths[1]} has label {labels.max()}; digits are 0..9")
    return images.reshape(len(images), -1).astype(np.float32), labels.astype(np.int64)


# ---------------------------------------------------------------- map-style datasets
def _length(dataset: Any, who: str, what: str = "dataset") -> int:
    """len(dataset); a TypeError unless it is map-style (has __len__ and __getitem__)."""
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(f"{who}: {what} must have __len__ and __getitem__ (a Dataset, a "
                        f"TensorDataset, a list...), got {type(dataset).__name__}")
    return len(dataset)


def _index(index: Any, n: int, who: str) -> int:
    """An int index into n samples as 0..n-1 (negative ones count from the end)."""
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise TypeError(f"{who}: samples are indexed by an int, got {type(index).__name__}")
    if not -n <= index < n:
        valid = f"{-n} to {n - 1}" if n else "none, it is empty"
        raise IndexError(f"{who}: index {index} is out of range for {n} samples "
                         f"(valid: {valid})")
    return int(index) % n


class Dataset:
    """A map-style dataset, as torch.utils.data.Dataset: a subclass defines __len__ and
    __getitem__(i), which returns sample i (a number, an array or Tensor, or a tuple, list
    or dict of them). `a + b` is ConcatDataset([a, b])."""

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} must define __getitem__(i) returning sample i")

    def __len__(self) -> int:
        raise TypeError(f"{type(self).__name__} must define __len__ (the number of samples)")

    def __add__(self, other: Any) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Sample i is (t[i] for t in tensors): Tensors or numpy arrays with one common first
    dimension, as torch's TensorDataset. DataLoader batches it by indexing whole arrays.

    >>> ds = TensorDataset(np.arange(6).reshape(3, 2), np.array([7, 8, 9]))
    >>> len(ds), ds[-1]
    (3, (array([4, 5]), np.int64(9)))
    """

    def __init__(self, *tensors: Tensor | np.ndarray) -> None:
        if not tensors:
            raise ValueError("TensorDataset: give at least one Tensor or array")
        for i, t in enumerate(tensors):
            if not isinstance(t, (Tensor, np.ndarray)):
                raise TypeError(f"TensorDataset: tensor {i} is a {type(t).__name__}; give "
                                "Tensors or numpy arrays")
        shapes = [tuple(t.shape) for t in tensors]
        if any(not s for s in shapes) or len({s[0] for s in shapes}) != 1:
            raise ValueError(f"TensorDataset: the tensors need one common first (sample) "
                             f"dimension, got shapes {shapes}")
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        i = _index(index, len(self), "TensorDataset")
        return tuple(t[i] for t in self.tensors)


class Subset(Dataset):
    """The samples of `dataset` at `indices` (ints in 0..len(dataset)-1), in that order, as
    torch's Subset: sample i is dataset[indices[i]]."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        n = _length(dataset, "Subset")
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"Subset: indices must be a sequence of ints, got "
                            f"{idx.dtype} of shape {idx.shape}")
        if idx.size and not (idx.min() >= 0 and idx.max() < n):
            bad = idx[(idx < 0) | (idx >= n)][0]
            raise ValueError(f"Subset: index {bad} is out of range for the "
                             f"{type(dataset).__name__} of {n} samples (valid: 0 to {n - 1})")
        self.dataset, self.indices = dataset, idx.astype(np.int64).tolist()

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[_index(index, len(self), "Subset")]]


class ConcatDataset(Dataset):
    """The samples of several datasets one after the other, as torch's ConcatDataset.
    cumulative_sizes[k] is the number of samples in datasets[0..k]."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        if not isinstance(datasets, Iterable):
            raise TypeError(f"ConcatDataset: give a list of datasets, got "
                            f"{type(datasets).__name__}")
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: give at least one dataset")
        sizes = [_length(d, "ConcatDataset", f"datasets[{k}]")
                 for k, d in enumerate(self.datasets)]
        self.cumulative_sizes = list(itertools.accumulate(sizes))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        i = _index(index, len(self), "ConcatDataset")
        k = bisect.bisect_right(self.cumulative_sizes, i)
        return self.datasets[k][i - (self.cumulative_sizes[k - 1] if k else 0)]


def random_split(dataset: Any, lengths: Sequence[int | float], generator: Seed = None
                 ) -> list[Subset]:
    """Split `dataset` at random into non-overlapping Subsets, as
    torch.utils.data.random_split: split k holds the next lengths[k] entries of one random
    permutation of range(len(dataset)).

    lengths: sample counts (ints) summing to len(dataset), or fractions (floats in [0, 1])
        summing to 1: split k gets floor(n·fraction_k) samples, and the n - Σ floor(...)
        left over go one each to splits 0, 1, 2, ... in turn (PyTorch's rule since 1.13).
    generator: None draws the permutation from tapegrad's generator (tg.manual_seed
        repeats it); an int seeds a fresh generator; a numpy Generator is drawn from.

    >>> [len(s) for s in random_split(range(10), [0.45, 0.45, 0.1], generator=0)]
    [5, 4, 1]
    """
    n = _length(dataset, "random_split")
    if isinstance(lengths, (str, Mapping)) or not isinstance(lengths, Sequence) or \
            not lengths or not all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                   for v in lengths):
        raise TypeError(f"random_split: lengths must be a list of ints (counts) or floats "
                        f"(fractions), got {lengths!r:.80}")
    if all(isinstance(v, numbers.Integral) for v in lengths):
        counts = [int(v) for v in lengths]
        if min(counts) < 0 or sum(counts) != n:
            raise ValueError(f"random_split: lengths {counts} must be >= 0 and sum to the "
                             f"{n} samples of the {type(dataset).__name__}, they sum to "
                             f"{sum(counts)}")
    else:
        if not all(0 <= v <= 1 for v in lengths) or not math.isclose(sum(lengths), 1):
            raise ValueError(f"random_split: fractions {list(lengths)} must each be in "
                             f"[0, 1] and sum to 1, they sum to {sum(lengths)}")
        counts = [math.floor(n * v) for v in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    order = _rng(generator, "random_split", "generator").permutation(n)
    return [Subset(dataset, order[end - count:end])
            for end, count in zip(itertools.accumulate(counts), counts)]


# ---------------------------------------------------------------- batching
def _stack_samples(samples: list[Any], who: str) -> list[np.ndarray]:
    """A list of samples (x_i, y_i, ...) -- PyTorch's map-style dataset as a list, collated
    like default_collate -- as one array per field, stacked along a new first axis."""
    k = len(samples[0])
    for i, sample in enumerate(samples):
        if not isinstance(sample, tuple) or len(sample) != k:
            got = (f"a tuple of length {len(sample)}" if isinstance(sample, tuple)
                   else f"a {type(sample).__name__}")
            raise ValueError(f"{who}: a list of samples must hold tuples of {k} fields like "
                             f"sample 0; sample {i} is {got}")
    fields = []
    for j in range(k):
        parts = [np.asarray(s[j].numpy() if isinstance(s[j], Tensor) else s[j])
                 for s in samples]
        shapes = {p.shape for p in parts}
        if len(shapes) != 1:
            raise ValueError(f"{who}: field {j} of the samples has different shapes "
                             f"{sorted(shapes)}")
        fields.append(np.stack(parts))
    return fields


def _as_arrays(arrays: Sequence[Any], who: str) -> list[np.ndarray]:
    """Arrays (or Tensors) with one common first dimension, as ndarrays; or a list of
    samples [(x_0, y_0), (x_1, y_1), ...] (tuples), stacked into such arrays. A list of
    lists is refused: [X, y] (fields) and [[x_0, y_0], ...] (samples) look alike."""
    if isinstance(arrays, (np.ndarray, Tensor)) or not isinstance(arrays, (tuple, list)) \
            or not arrays:
        raise TypeError(f"{who}: give a tuple of arrays, e.g. (X, y), or a Dataset, got "
                        f"{type(arrays).__name__}")
    if isinstance(arrays, list) and isinstance(arrays[0], list):
        raise ValueError(f"{who}: a list of lists can be read as fields [X, y] or as samples "
                         "[[x_0, y_0], ...]; give a tuple (X, y) of arrays, or a list of "
                         "(x, y) sample tuples")
    if isinstance(arrays, list) and isinstance(arrays[0], tuple):
        return _stack_samples(arrays, who)
    try:
        out = [a.numpy() if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
    except ValueError:
        raise ValueError(f"{who}: the arrays must be rectangular; give (X, y) or a list of "
                         "(x, y) sample tuples") from None
    if any(a.ndim == 0 for a in out):
        raise ValueError(f"{who}: arrays must have a first (sample) dimension, got shapes "
                         f"{[a.shape for a in out]}")
    if len({len(a) for a in out}) != 1:
        raise ValueError(f"{who}: arrays have different lengths {[len(a) for a in out]} "
                         f"(shapes {[a.shape for a in out]})")
    return out


def _plain(dataset: Any, cls: type) -> bool:
    """Whether dataset is a cls giving cls's own samples (its __getitem__ not overridden)."""
    return isinstance(dataset, cls) and type(dataset).__getitem__ is cls.__getitem__


def _fields(dataset: Any) -> tuple[list[np.ndarray], np.ndarray | None] | None:
    """For a TensorDataset, or a Subset of one (at any depth): its arrays and the rows of
    them that are its samples (None: all, in order), so that a batch is cut from whole
    arrays by one fancy index each. None for other datasets (collated sample by sample)."""
    if _plain(dataset, TensorDataset):
        return [np.asarray(t) for t in dataset.tensors], None
    if _plain(dataset, Subset) and (inner := _fields(dataset.dataset)) is not None:
        arrays, rows = inner
        idx = np.asarray(dataset.indices, dtype=np.int64)
        return arrays, idx if rows is None else rows[idx]
    return None


_LEAVES = (Tensor, np.ndarray, np.generic, numbers.Number)


def _structure(x: Any) -> str:
    """A sample's kind and size for an error message, never its values."""
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, Mapping):
        return f"a {type(x).__name__} with keys {list(x)!r:.80}"
    return f"a {type(x).__name__}"


def default_collate(samples: Sequence[Any]) -> Any:
    """A list of samples as one batch, the rule DataLoader uses without a collate_fn (as
    torch's default_collate): numbers, arrays and Tensors are stacked along a new first axis
    into a Tensor; tuples, lists and dicts are collated field by field; strings stay a
    list. For a collate_fn of your own that does part of its work this way."""
    samples = list(samples)
    if not samples:
        raise ValueError("default_collate: no samples to collate")
    return _collate(samples, list(range(len(samples))))


def _collate(samples: list[Any], ids: list[int], stack: bool = True, where: str = "") -> Any:
    """Samples as one batch, as torch's default_collate: numbers, arrays and Tensors are
    stacked along a new first axis into a Tensor; tuples, lists and dicts are collated
    field by field into a tuple, list or dict; strings stay a list. stack=False converts a
    single sample alike, without the new axis (batch_size=None). `ids` are the samples'
    dataset indices and `where` the field's place in a sample, for error messages."""
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return list(samples) if stack else first
    kind = next((k for k in (Mapping, (tuple, list), _LEAVES) if isinstance(first, k)), None)
    if kind is None:
        raise TypeError(f"DataLoader: cannot batch dataset[{ids[0]}]{where}, "
                        f"{_structure(first)}; samples must be numbers, arrays, Tensors or "
                        "strings, or tuples, lists or dicts of them")
    for i, s in zip(ids, samples):
        if not isinstance(s, kind) or (kind is not _LEAVES and (
                len(s) != len(first) or (kind is Mapping and s.keys() != first.keys()))):
            raise ValueError(f"DataLoader: dataset[{i}]{where} is {_structure(s)}, "
                             f"dataset[{ids[0]}]{where} is {_structure(first)}; the samples "
                             "of a batch must have one structure")
    if kind is Mapping:
        return {k: _collate([s[k] for s in samples], ids, stack, f"{where}[{k!r}]")
                for k in first}
    if kind is not _LEAVES:
        fields = [_collate([s[j] for s in samples], ids, stack, f"{where}[{j}]")
                  for j in range(len(first))]
        return fields if isinstance(first, list) else tuple(fields)
    parts = [np.asarray(s) for s in samples]
    for i, p in zip(ids, parts):
        if p.shape != parts[0].shape:
            raise ValueError(f"DataLoader: dataset[{i}]{where} has shape {p.shape}, "
                             f"dataset[{ids[0]}]{where} has shape {parts[0].shape}; "
                             "samples must have equal shapes to be stacked")
    return Tensor(np.stack(parts) if stack else parts[0])


class DataLoader:
    """Mini-batches of a dataset as Tensors, like torch.utils.data.DataLoader.

    DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None,
               transform=None, collate_fn=None, num_workers=0, pin_memory=False)
        dataset: a map-style dataset: a Dataset (TensorDataset, Subset, ConcatDataset, a
            subclass of your own) or any object with __len__ and __getitem__; or a tuple
            of arrays or Tensors with a common first dimension, e.g. (X, y) (taken as
            TensorDataset(X, y)); or one array or Tensor X, whose rows are the samples
            (each batch is then one Tensor, not a tuple); or a list of samples
            [(x_0, y_0), ...] (tuples, stacked once into such arrays; a list of lists is
            refused as ambiguous).
        batch_size: samples per batch; None yields the samples one by one, unbatched.
        shuffle: draw a new permutation at the start of every epoch, from `generator`
            (None: tapegrad's generator, so tg.manual_seed / tg.set_rng_state repeat it;
            an int: a generator of the loader's own, seeded once and kept in state_dict).
        drop_last: skip the last batch if it is smaller than batch_size.
        transform: a function applied to the first array of each (x, y, ...) batch
            (augmentation); it must keep the batch's length.
        collate_fn: a function of the list of a batch's samples (dataset[i], read one by one)
            that makes the batch, as in PyTorch (with batch_size=None, of each sample);
            `default_collate` is the default's rule.
        num_workers, pin_memory: accepted for PyTorch code; every batch is made in this
            process, in the same order whatever num_workers is, and there is no GPU memory to
            pin.

    A TensorDataset (or a Subset of one, e.g. from random_split) is batched by indexing
    its whole arrays, giving a tuple of Tensors per batch. Other datasets are read sample
    by sample and collated as torch's default_collate: numbers, arrays and Tensors stack
    into one Tensor, tuples, lists and dicts of them field by field (tuple samples give a
    tuple of Tensors, as for arrays). len() is the number of batches.
    state_dict()/load_state_dict() save the epoch's permutation and position, so a run
    resumed mid-epoch sees exactly the batches the uninterrupted run would have.

    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [yb.tolist() for xb, yb in DataLoader((X, y), batch_size=2)]
    [[0, 1], [2, 3], [4]]
    >>> [yb.tolist() for xb, yb in DataLoader((X, y), batch_size=2, shuffle=True,
    ...                                       drop_last=True, generator=0)]
    [[2, 4], [3, 0]]
    >>> class Squares(Dataset):
    ...     def __len__(self): return 4
    ...     def __getitem__(self, i): return {"x": float(i), "y": i * i}
    >>> [b["y"].tolist() for b in DataLoader(Squares(), batch_size=3)]
    [[0, 1, 4], [9]]
    """

    def __init__(self, dataset: Dataset | Sequence[Any], batch_size: int | None = 1,
                 shuffle: bool = False, drop_last: bool = False, generator: Seed = None,
                 transform: Callable[[np.ndarray], np.ndarray] | None = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None, num_workers: int = 0,
                 pin_memory: bool = False) -> None:
        # a bare array or Tensor is the dataset of its rows, batched as one Tensor (PyTorch)
        self._single = isinstance(dataset, (np.ndarray, Tensor))
        if self._single:
            dataset = TensorDataset(*_as_arrays((dataset,), "DataLoader"))
        elif isinstance(dataset, (tuple, list)) or not (
                hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            dataset = TensorDataset(*_as_arrays(dataset, "DataLoader"))
        if batch_size is not None:
            batch_size = _positive_int(batch_size, "batch_size", "DataLoader")
        elif drop_last or transform is not None:
            raise ValueError("DataLoader: batch_size=None yields single samples, so it takes "
                             "neither drop_last nor transform (which act on batches)")
        for name, fn in (("transform", transform), ("collate_fn", collate_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be callable, got {fn!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got "
                             f"{num_workers!r}")
        if not isinstance(pin_memory, bool):
            raise TypeError(f"DataLoader: pin_memory must be True or False, got "
                            f"{pin_memory!r}")
        self.dataset, self.batch_size = dataset, batch_size
        self.collate_fn, self.num_workers, self.pin_memory = collate_fn, num_workers, pin_memory
        # the arrays batches are cut from, and the rows of them that are the samples; None
        # for a dataset whose samples are collated one by one
        self.arrays, self._rows = (None, None) if collate_fn is not None else (
            _fields(dataset) or (None, None))
        self.shuffle, self.drop_last, self.transform = bool(shuffle), bool(drop_last), transform
        self._own_rng = generator is not None
        self._rng = _rng(generator, "DataLoader", "generator") if self._own_rng else None
        self._order: np.ndarray | None = None  # this epoch's sample order
        self._position = 0  # batches of this epoch already yielded
        self._resume = False

    @property
    def num_samples(self) -> int:
        return len(self.dataset)

    def __len__(self) -> int:
        n, b = self.num_samples, self.batch_size
        if b is None:
            return n
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[Any]:
        if not (self._resume and self._order is not None and self._position < len(self)):
            rng = self._rng if self._own_rng else _random.generator()
            self._order = (rng.permutation(self.num_samples) if self.shuffle
                           else np.arange(self.num_samples))
            self._position = 0
        self._resume = False
        return self._batches(self._order)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        while self._position < len(self) and order is self._order:
            b, k = self.batch_size, self._position
            batch = self._fetch(order[k] if b is None else order[k * b:(k + 1) * b])
            self._position += 1  # only once the batch is made: a failure leaves the position
            yield batch

    def _fetch(self, idx: np.ndarray) -> Any:
        """The batch of the samples at idx (for a 0-d idx, that one sample unbatched)."""
        if self.arrays is not None:
            rows = idx if self._rows is None else self._rows[idx]
            # a batch of rows is a fresh array already (fancy indexing): no second copy
            batch = tuple(Tensor._make(a[rows], False) if rows.ndim else Tensor(a[rows])
                          for a in self.arrays)
        elif self.collate_fn is not None:  # PyTorch's samples: a bare array's are its rows
            samples = [self.dataset[i][0] if self._single else self.dataset[i]
                       for i in np.atleast_1d(idx).tolist()]
            return self._transformed_if(self.collate_fn(samples if idx.ndim else samples[0]),
                                        idx)
        else:
            ids = np.atleast_1d(idx).tolist()
            batch = _collate([self.dataset[i] for i in ids], ids, stack=idx.ndim == 1)
        batch = self._transformed_if(batch, idx)
        return batch[0] if self._single else batch

    def _transformed_if(self, batch: Any, idx: np.ndarray) -> Any:
        return batch if self.transform is None else self._transformed(batch, len(idx))

    def _transformed(self, batch: Any, n: int) -> Any:
        """The batch with its first field passed through the transform."""
        if not (isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], Tensor)):
            raise TypeError(f"DataLoader: transform acts on the first array of (x, y, ...) "
                            f"batches; this dataset's batches are {_structure(batch)}")
        x = np.asarray(self.transform(batch[0].numpy()))
        if x.shape[:1] != (n,):
            raise ValueError(f"DataLoader: transform turned a batch of {n} samples into "
                             f"shape {x.shape}; it must keep the first (sample) dimension")
        return type(batch)((Tensor(x), *batch[1:]))

    def state_dict(self) -> dict[str, Any]:
        """Where the loader is: this epoch's order, batches done, its own generator state."""
        return {"order": None if self._order is None else self._order.copy(),
                "position": self._position,
                "rng": self._rng.bit_generator.state if self._own_rng else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a state_dict(): the next iteration resumes that epoch. A state that
        does not fit this loader raises a ValueError and changes nothing."""
        try:
            order, position, rng = state["order"], state["position"], state["rng"]
        except (KeyError, TypeError):
            raise ValueError("DataLoader.load_state_dict: expected a dict with keys 'order', "
                             f"'position', 'rng', got {state!r:.80}") from None
        count = np.asarray(position)  # an int, or the 0-d array tg.load gives back
        if count.shape != () or count.dtype.kind not in "iu" or not 0 <= count <= len(self):
            raise ValueError(f"DataLoader.load_state_dict: 'position' must be an int from 0 "
                             f"to {len(self)} (the batches of an epoch), got {position!r:.80}")
        if order is not None:
            order = np.asarray(order).astype(np.int64)
            if order.shape != (self.num_samples,) or not np.array_equal(
                    np.sort(order), np.arange(self.num_samples)):
                raise ValueError(f"DataLoader.load_state_dict: 'order' is not a permutation "
                                 f"of this loader's {self.num_samples} samples")
        if (rng is None) == self._own_rng:
            raise ValueError("DataLoader.load_state_dict: the state was saved by a loader "
                             f"{'without' if rng is None else 'with'} its own generator")
        if self._own_rng:
            new_rng = np.random.default_rng()
            try:
                new_rng.bit_generator.state = rng
            except (TypeError, ValueError, KeyError) as e:
                raise ValueError(f"DataLoader.load_state_dict: bad generator state: {e}"
                                 ) from None
            self._rng = new_rng
        self._order, self._position = order, int(count)
        self._resume = True


# ---------------------------------------------------------------- split, scaling
def train_val_split(X: Any, y: Any, val_fraction: float = 0.2, seed: Seed = None,
                    stratify: Any = False
                    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Split into ((X_train, y_train), (X_val, y_val)) at random.

    The validation part has ceil(val_fraction·n) samples. stratify=True keeps the class
    proportions of y in both parts (each class gives its share, largest remainders first);
    stratify=labels (n,) or (n, k) does so for other labels, as scikit-learn's
    `stratify=y`. A class of labels (n, k), e.g. one-hot, is a row. Every class needs at
    least two members; False or None splits without regard to classes."""
    X, y = _as_arrays((X, y), "train_val_split")
    labels = _strata(stratify, y)
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) or \
            not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got "
                         f"{val_fraction!r}")
    n = len(y)
    n_val = math.ceil(val_fraction * n)
    if not 0 < n_val < n:
        raise ValueError(f"train_val_split: {n} samples with val_fraction={val_fraction} "
                         f"leave an empty part")
    rng = _rng(seed, "train_val_split")
    if labels is None:
        order = rng.permutation(n)
        val = order[:n_val]
    else:
        classes, inverse, counts = np.unique(labels, axis=0, return_inverse=True,
                                             return_counts=True)
        inverse = inverse.reshape(-1)
        if counts.min() < 2:
            raise ValueError(f"train_val_split: class {classes[counts.argmin()].tolist()!r} "
                             "has only 1 member; a stratified split needs at least 2 per "
                             "class (or pass stratify=False)")
        share = counts * (n_val / n)
        take = np.floor(share).astype(int)
        for c in np.argsort(-(share - take), kind="stable")[:n_val - take.sum()]:
            take[c] += 1
        val = np.concatenate([rng.permutation(np.flatnonzero(inverse == c))[:take[c]]
                              for c in range(len(classes))])
        val = rng.permutation(val)
    is_val = np.zeros(n, bool)
    is_val[val] = True
    train = rng.permutation(np.flatnonzero(~is_val))
    return (X[train], y[train]), (X[val], y[val])


def _strata(stratify: Any, y: np.ndarray) -> np.ndarray | None:
    """The labels train_val_split keeps the proportions of: y for True, the array given, or
    None (no stratification) for False and None."""
    if stratify is None or isinstance(stratify, (bool, np.bool_)):
        if not stratify:
            return None
        labels = y
    else:
        labels = stratify.numpy() if isinstance(stratify, Tensor) else np.asarray(stratify)
        if labels.ndim == 0 or len(labels) != len(y):
            raise ValueError(f"train_val_split: stratify must be True, False or labels with "
                             f"one entry per sample ({len(y)}), got shape {labels.shape}")
    if labels.dtype.kind not in "biufUS":
        raise TypeError(f"train_val_split: stratifying needs labels of numbers or strings, "
                        f"got dtype {labels.dtype}")
    return labels


@dataclass(frozen=True)
class Standardizer:
    """x ↦ (x - mean) / std per feature, with statistics fitted by `standardize`.

    Features constant on the training set (up to rounding: std ≤ eps·max(|mean|, 1), eps of
    the data's float type) get std 1, so they map to 0 instead of dividing by (nearly) zero.
    Works on arrays (returns arrays) and Tensors (returns Tensors, recorded, so gradients
    flow through)."""

    mean: np.ndarray
    std: np.ndarray

    def __call__(self, X: Any) -> Any:
        X = self._data(X, "Standardizer")
        return (X - self.mean.astype(X.dtype)) / self.std.astype(X.dtype)

    def inverse(self, Z: Any) -> Any:
        """Undo the transform: z·std + mean."""
        Z = self._data(Z, "Standardizer.inverse")
        return Z * self.std.astype(Z.dtype) + self.mean.astype(Z.dtype)

    def _data(self, X: Any, who: str) -> Any:
        """X as a float array (or the Tensor itself), checked to hold samples of the fitted
        feature shape."""
        if not isinstance(X, Tensor):
            X = np.asarray(X)
            if X.dtype.kind not in "fiub":
                raise TypeError(f"{who}: need numbers, got dtype {X.dtype}")
            X = X if X.dtype.kind == "f" else X.astype(np.float32)
        if tuple(X.shape[1:]) != self.mean.shape:
            expected = "(n, " + ", ".join(map(str, self.mean.shape)) + ")" \
                if self.mean.shape else "(n,)"
            raise ValueError(f"{who}: fitted on features of shape {self.mean.shape}, so it "
                             f"takes data of shape {expected}; got {tuple(X.shape)}")
        return X


def standardize(X_train: Any) -> Standardizer:
    """Fit per-feature mean and (population) std on X_train (n, ...) and return the
    transform; apply the same one to validation and test data:

        scale = standardize(X_train); X_train, X_val = scale(X_train), scale(X_val)

    >>> scale = standardize(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> scale.mean.tolist(), scale.std.tolist()  # the constant feature keeps std 1
    ([2.0, 5.0], [1.0, 1.0])
    >>> scale(np.array([[2.0, 5.0], [5.0, 7.0]])).tolist()
    [[0.0, 0.0], [3.0, 2.0]]
    """
    X = X_train.numpy() if isinstance(X_train, Tensor) else np.asarray(X_train)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"standardize: need at least one sample, got shape {X.shape}")
    if X.dtype.kind not in "fiub":
        raise TypeError(f"standardize: need numbers, got dtype {X.dtype}")
    eps = np.finfo(X.dtype if X.dtype.kind == "f" else np.float64).eps
    X = X.astype(np.float64)
    # statistics of X - X[0]: exact for a constant feature (mean X[0], std 0), where X.mean
    # would be off by a rounding error that X.std then reports as the spread
    shifted = X - X[0]
    mean, std = X[0] + shifted.mean(axis=0), shifted.std(axis=0)  # 0-d arrays for X (n,)
    constant = std <= eps * np.abs(mean)  # a spread of rounding errors only (scale-free)
    return Standardizer(np.asarray(mean), np.where(constant, 1.0, std))


# ---------------------------------------------------------------- augmentation
def _images(X: Any, image_shape: tuple[int, int] | None, who: str
            ) -> tuple[np.ndarray, tuple[int, ...]]:
    """X as (n, H, W) images, plus the shape to give back."""
    X = X.numpy() if isinstance(X, Tensor) else np.asarray(X)
    if image_shape is None:
        if X.ndim != 3:
            raise ValueError(f"{who}: give image_shape=(H, W) for flat images of shape "
                             f"{X.shape} (or pass images of shape (n, H, W))")
        return X, X.shape
    if not (isinstance(image_shape, (tuple, list)) and len(image_shape) == 2 and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
            for s in image_shape)):
        raise ValueError(f"{who}: image_shape must be (H, W), two positive ints, got "
                         f"{image_shape!r}")
    h, w = image_shape
    if X.ndim < 2 or math.prod(X.shape[1:]) != h * w:
        raise ValueError(f"{who}: data of shape {X.shape} does not hold images of shape "
                         f"{tuple(image_shape)}")
    return X.reshape(len(X), h, w), X.shape


def random_shift(X: Any, max_shift: int = 1, image_shape: tuple[int, int] | None = None,
                 seed: Seed = None) -> np.ndarray:
    """Shift each image by its own integer offset (dy, dx), each uniform in
    [-max_shift, max_shift]; pixels shifted in are 0. X: (n, H, W), or (n, H·W) with
    image_shape=(H, W) (e.g. (8, 8) for digits, (28, 28) for MNIST). Same shape out."""
    imgs, shape = _images(X, image_shape, "random_shift")
    m = _positive_int(max_shift, "max_shift", "random_shift", 0)
    rng = _rng(seed, "random_shift")
    n, h, w = imgs.shape
    dy, dx = rng.integers(-m, m + 1, size=(2, n))
    padded = np.pad(imgs, ((0, 0), (m, m), (m, m)))
    # out[i, r, c] = img[i, r - dy, c - dx] = padded[i, r - dy + m, c - dx + m]
    rows = np.arange(h)[None, :, None] - dy[:, None, None] + m
    cols = np.arange(w)[None, None, :] - dx[:, None, None] + m
    return padded[np.arange(n)[:, None, None], rows, cols].reshape(shape)


def random_flip(X: Any, p: float = 0.5, image_shape: tuple[int, int] | None = None,
                axis: str = "horizontal", seed: Seed = None) -> np.ndarray:
    """Mirror each image with probability p, left-right (axis='horizontal') or
    top-bottom ('vertical'). Shapes as in random_shift."""
    imgs, shape = _images(X, image_shape, "random_flip")
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0 <= p <= 1:
        raise ValueError(f"random_flip: p must be in [0, 1], got {p!r}")
    if axis not in ("horizontal", "vertical"):
        raise ValueError(f"random_flip: axis must be 'horizontal' or 'vertical', got {axis!r}")
    flip = _rng(seed, "random_flip").random(len(imgs)) < p
    out = imgs.copy()
    out[flip] = imgs[flip][:, :, ::-1] if axis == "horizontal" else imgs[flip][:, ::-1, :]
    return out.reshape(shape)


def add_noise(X: Any, std: float = 0.1, seed: Seed = None) -> np.ndarray:
    """X + std·ε with ε ~ N(0, 1) elementwise; floating dtypes are kept (others become
    float32)."""
    X = X.numpy() if isinstance(X, Tensor) else np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise TypeError(f"add_noise: X must hold numbers, got dtype {X.dtype}")
    std = _nonnegative(std, "std", "add_noise")
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)
    return (X + std * _rng(seed, "add_noise").standard_normal(X.shape)).astype(dtype)
