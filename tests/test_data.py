"""tapegrad.data: generated sets against their closed forms, the shipped digits against the
numbers of the original CSV, IDX files written here byte by byte, batching, splitting,
scaling and augmentation against plain numpy."""

import doctest
import gzip
import io
import struct
import urllib.error

import numpy as np
import pytest
from conftest import epoch, resumed_mid_epoch

import tapegrad as tg
import tapegrad.data as data


def test_docstring_examples():
    result = doctest.testmod(data)
    assert result.attempted > 0 and result.failed == 0


# ---------------------------------------------------------------- generated sets


def test_moons_lie_on_their_half_circles_without_noise():
    X, y = data.make_moons(101, seed=3)
    assert X.shape == (101, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    a, b = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(a[:, 0] ** 2 + a[:, 1] ** 2, 1, atol=1e-6)
    assert (a[:, 1] >= -1e-6).all()
    np.testing.assert_allclose((b[:, 0] - 1) ** 2 + (b[:, 1] - 0.5) ** 2, 1, atol=1e-6)
    assert (b[:, 1] <= 0.5 + 1e-6).all()
    assert not (np.diff(y) >= 0).all()  # shuffled


def test_moons_noise_has_the_requested_std_and_seeds_repeat():
    clean, y0 = data.make_moons(4000, seed=7)
    noisy, y1 = data.make_moons(4000, noise=0.2, seed=7)
    np.testing.assert_array_equal(y0, y1)
    assert abs((noisy - clean).std() - 0.2) < 0.01
    tg.manual_seed(5)
    first = data.make_moons(50, noise=0.1)
    tg.manual_seed(5)
    again = data.make_moons(50, noise=0.1)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], data.make_moons(50, noise=0.1)[0])


def test_spiral_points_follow_the_arm_formula():
    K, turns = 3, 1.5
    X, y = data.make_spirals(301, n_classes=K, turns=turns, seed=0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    r = np.hypot(X[:, 0], X[:, 1]).astype(np.float64)
    assert r.max() == pytest.approx(1, abs=1e-6) and r.min() < 1e-6
    keep = r > 1e-3
    expected = 2 * np.pi * turns * r[keep] + 2 * np.pi * y[keep] / K
    diff = np.angle(np.exp(1j * (np.arctan2(X[keep, 1], X[keep, 0]) - expected)))
    assert np.abs(diff).max() < 1e-4


def test_blobs_have_the_given_centers_and_spread():
    centers = [[0.0, 0.0, 0.0], [5.0, -5.0, 2.0]]
    X, y = data.make_blobs(4001, centers=centers, cluster_std=0.5, seed=1)
    assert X.shape == (4001, 3) and np.bincount(y).tolist() == [2001, 2000]
    for c in range(2):
        Xc = X[y == c]
        assert np.abs(Xc.mean(0) - centers[c]).max() < 5 * 0.5 / np.sqrt(len(Xc))
        assert np.abs(Xc.std(0) - 0.5).max() < 0.03
    X, y, C = data.make_blobs(30, centers=4, n_features=5, center_box=(-2, 2), seed=2,
                              return_centers=True)
    assert C.shape == (4, 5) and (np.abs(C) <= 2).all() and set(y) == {0, 1, 2, 3}


def test_regression_1d_is_the_function_plus_noise():
    X, y = data.make_regression_1d(500, noise=0.0, seed=0)
    assert X.shape == y.shape == (500, 1) and X.dtype == y.dtype == np.float32
    assert (np.diff(X[:, 0]) >= 0).all() and X.min() >= -3 and X.max() <= 3
    np.testing.assert_allclose(y, np.sin(X.astype(np.float64)), atol=1e-6)
    X2, y2 = data.make_regression_1d(5000, noise=0.3, fn=np.square, x_range=(0, 2), seed=1)
    assert abs((y2 - X2.astype(np.float64) ** 2).std() - 0.3) < 0.015


@pytest.mark.parametrize("call, match", [
    (lambda: data.make_moons(0), "n_samples"),
    (lambda: data.make_moons(10, noise=-1), "noise"),
    (lambda: data.make_moons(10, noise=np.inf), "noise must be a finite number"),
    (lambda: data.make_spirals(10, turns=np.nan), "turns"),
    (lambda: data.make_blobs(10, centers=[[np.nan, 0.0]]), "centers must be finite"),
    (lambda: data.make_spirals(2, n_classes=3), "fewer than n_classes"),
    (lambda: data.make_blobs(10, centers=[1.0, 2.0]), r"shape \(2,\)"),
    (lambda: data.make_blobs(10, center_box=(1, 1)), "center_box"),
    (lambda: data.make_blobs(10, center_box=3), "center_box must be a pair"),
    (lambda: data.make_blobs(10, center_box=(1, 2, 3)), "center_box must be a pair"),
    (lambda: data.make_blobs(10, center_box=("a", "b")), "center_box must be a pair"),
    (lambda: data.make_regression_1d(10, x_range=(0, np.inf)), "x_range"),
    (lambda: data.make_regression_1d(10, fn=3), "fn must be a function"),
    (lambda: data.make_regression_1d(10, fn=lambda x: x[:3]), "same shape"),
    (lambda: data.make_moons(10, seed=-1), "seed"),
])
def test_generators_reject_bad_arguments(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_one_moon_point_is_of_class_1_as_in_scikit_learn():
    X, y = data.make_moons(1, seed=0)  # the inner moon at t = 0: (1 - cos 0, 1/2 - sin 0)
    assert X.tolist() == [[0.0, 0.5]] and y.tolist() == [1]


# ---------------------------------------------------------------- digits
def test_digits_match_the_uci_csv():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    # counted in scikit-learn's digits.csv.gz, from which the file was made
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert X.min() == 0 and X.max() == 16 and (X == np.round(X)).all()
    assert X.sum() == 561718
    assert X[0].reshape(8, 8)[1].tolist() == [0, 0, 13, 15, 10, 15, 5, 0]
    assert y[:10].tolist() == list(range(10))


# ---------------------------------------------------------------- IDX / MNIST
def idx_bytes(array, type_byte=0x08, fmt=">B"):
    """An IDX file written from the format description, independently of read_idx."""
    header = bytes([0, 0, type_byte, array.ndim]) + b"".join(
        struct.pack(">I", s) for s in array.shape)
    return header + b"".join(struct.pack(fmt, v) for v in array.ravel().tolist())


@pytest.fixture
def mnist_like(rng):
    images = rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)
    labels = np.array([3, 0, 9, 1, 1], np.uint8)
    return images, labels


def write_set(root, kind, images, labels, gz):
    names = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}[kind]
    for name, arr in zip(names, (images, labels)):
        raw = idx_bytes(arr)
        (root / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("kind", ["train", "test"])
def test_load_mnist_reads_idx_files(tmp_path, mnist_like, gz, kind):
    images, labels = mnist_like
    write_set(tmp_path, kind, images, labels, gz)
    X, y = data.load_mnist(tmp_path, kind=kind)
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, images.reshape(5, 12).astype(np.float32))
    np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize("type_byte, fmt, dtype", [
    (0x09, ">b", np.int8), (0x0B, ">h", np.int16), (0x0C, ">i", np.int32),
    (0x0D, ">f", np.float32), (0x0E, ">d", np.float64)])
def test_read_idx_handles_every_type_code(tmp_path, type_byte, fmt, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(arr, type_byte, fmt))
    out = data.read_idx(path)
    assert out.dtype == dtype and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("mangle, match", [
    (lambda b: b[:-1], "truncated"),
    (lambda b: b + b"\0", "longer than its header"),
    (lambda b: b[:6], "truncated inside its header"),
    (lambda b: b"\1" + b[1:], "not an IDX file"),
    (lambda b: b[:2] + b"\x07" + b[3:], "not an IDX file"),
    (lambda b: b"", "not an IDX file"),
    (lambda b: gzip.compress(b)[:-9], "gzip"),
])
def test_corrupt_idx_files_give_errors_naming_the_file(tmp_path, mnist_like, mangle, match):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(mangle(idx_bytes(mnist_like[0])))
    with pytest.raises(ValueError, match=match) as err:
        data.read_idx(path)
    assert str(path) in str(err.value)


def test_load_mnist_checks_shapes_and_labels(tmp_path, mnist_like):
    images, labels = mnist_like
    write_set(tmp_path, "train", images, labels[:4], gz=False)
    with pytest.raises(ValueError, match="5 images but .* 4 labels"):
        data.load_mnist(tmp_path)
    write_set(tmp_path, "train", images, np.array([1, 2, 3, 4, 10], np.uint8), gz=False)
    with pytest.raises(ValueError, match="label 10"):
        data.load_mnist(tmp_path)
    write_set(tmp_path, "train", images[:, 0], labels, gz=False)
    with pytest.raises(ValueError, match=r"images \(n, rows, cols\)"):
        data.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        data.load_mnist(tmp_path, kind="val")


def test_missing_files_say_to_pass_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as err:
        data.load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(err.value)


def test_download_without_network_says_so(tmp_path, monkeypatch):
    urls = []

    def offline(url, timeout=None):
        urls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="network may be unavailable") as err:
        data.load_mnist(tmp_path, download=True)
    assert "name resolution" in str(err.value)
    assert len(urls) == len(data.MNIST_MIRRORS)
    assert list(tmp_path.iterdir()) == []


def test_download_writes_checked_files(tmp_path, monkeypatch, mnist_like):
    images, labels = mnist_like
    served = {"t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(images)),
              "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(labels))}
    import hashlib
    monkeypatch.setattr(data, "MNIST_MD5", {k: hashlib.md5(v).hexdigest()
                                            for k, v in served.items()})
    monkeypatch.setattr(data.urllib.request, "urlopen",
                        lambda url, timeout=None: io.BytesIO(served[url.rsplit("/", 1)[1]]))
    X, y = data.load_mnist(tmp_path / "mnist", kind="test", download=True)
    np.testing.assert_array_equal(y, labels)
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(served)
    # a payload that does not match the published checksum is refused
    monkeypatch.setattr(data, "MNIST_MD5", dict.fromkeys(served, "0" * 32))
    with pytest.raises(ConnectionError, match="MD5"):
        data.load_mnist(tmp_path / "other", kind="test", download=True)


# ---------------------------------------------------------------- DataLoader


def test_loader_batches_in_order_and_drop_last():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    loader = data.DataLoader((X, y), batch_size=4)
    batches = epoch(loader)
    assert len(loader) == 3 == len(batches)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    np.testing.assert_array_equal(batches[2][0], X[8:])
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    dropped = data.DataLoader((tg.tensor(X), tg.tensor(y)), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b[1].tolist() for b in dropped][-1] == [4, 5, 6, 7]


def test_shuffle_is_a_new_permutation_each_epoch_and_repeats_with_the_seed():
    y = np.arange(50)
    loader = data.DataLoader((y,), batch_size=8, shuffle=True)
    tg.manual_seed(3)
    e1, e2 = np.concatenate([b[0] for b in epoch(loader)]), \
        np.concatenate([b[0] for b in epoch(loader)])
    assert sorted(e1) == sorted(e2) == list(range(50))
    assert not np.array_equal(e1, e2)
    np.testing.assert_array_equal(e1, np.random.default_rng(3).permutation(50))
    tg.manual_seed(3)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in epoch(loader)]), e1)


def test_shuffle_repeats_from_the_rng_state():
    loader = data.DataLoader((np.arange(30),), batch_size=7, shuffle=True)
    epoch(loader)
    state = tg.get_rng_state()
    after = epoch(loader)
    tg.set_rng_state(state)
    assert [b[0].tolist() for b in epoch(loader)] == [b[0].tolist() for b in after]


def test_own_generator_is_independent_of_the_global_one():
    a = data.DataLoader((np.arange(30),), batch_size=30, shuffle=True, generator=11)
    b = data.DataLoader((np.arange(30),), batch_size=30, shuffle=True, generator=11)
    first = epoch(a)[0][0]
    tg.randn(5)  # draws from tapegrad's generator do not disturb the loader's
    np.testing.assert_array_equal(epoch(b)[0][0], first)
    np.testing.assert_array_equal(first, np.random.default_rng(11).permutation(30))


@pytest.mark.parametrize("generator", [None, 4])
def test_resume_mid_epoch_continues_exactly(tmp_path, generator):
    def make():
        return data.DataLoader((np.arange(23),), batch_size=5, shuffle=True,
                               generator=generator)

    seen, reference = resumed_mid_epoch(make, tmp_path)
    assert [b[0].tolist() for b in seen] == [b[0].tolist() for b in reference]


def test_loader_takes_a_list_of_sample_tuples_like_a_pytorch_dataset():
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    by_pairs = epoch(data.DataLoader(list(zip(X, y)), batch_size=4))
    by_arrays = epoch(data.DataLoader((X, y), batch_size=4))
    assert len(by_pairs) == 3
    for (xa, ya), (xb, yb) in zip(by_pairs, by_arrays):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    x1 = np.arange(6.0)  # 1-D features: each sample a pair of scalars, not 6 arrays of 2
    assert [b[1].tolist() for b in epoch(data.DataLoader(list(zip(x1, y[:6])), batch_size=6))
            ] == [list(range(6))]
    with pytest.raises(ValueError, match=r"DataLoader: a list of samples must hold tuples of "
                                         r"2 fields like sample 0; sample 1"):
        data.DataLoader([(X[0], 0), (X[1],)])
    with pytest.raises(ValueError, match=r"DataLoader: field 0 of the samples has different "
                                         r"shapes"):
        data.DataLoader([(X[0], 0), (np.ones(3), 1)])
    with pytest.raises(ValueError, match="DataLoader: the arrays must be rectangular"):
        data.DataLoader(([[1.0, 2.0], [3.0]], [0, 1]))


def test_loader_refuses_a_list_of_lists_as_ambiguous():
    """[X, y] given as lists and samples given as [x, y] lists look alike: refused with a
    message saying what to give, never read the wrong way round."""
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    for ambiguous in ([[X[i], y[i]] for i in range(10)], [[1.0, 2], [3.0, 4]],
                      [X.tolist(), y.tolist()]):
        with pytest.raises(ValueError, match=r"list of lists .* give a tuple \(X, y\)"):
            data.DataLoader(ambiguous)
    by_tuples = epoch(data.DataLoader([(X[i], y[i]) for i in range(10)], batch_size=4))
    for (xa, ya), (xb, yb) in zip(by_tuples, epoch(data.DataLoader((X, y), batch_size=4))):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    with pytest.raises(ValueError, match=r"sample 1 is a tuple of length 1$"):
        data.DataLoader([(X[0], 0), (X[1],)])
    with pytest.raises(ValueError, match=r"sample 1 is a ndarray$"):  # never the values
        data.DataLoader([(X[0], 0), X[1]])


def test_loader_transform_and_errors():
    X = np.ones((6, 2), np.float32)
    loader = data.DataLoader((X, np.arange(6)), batch_size=6, transform=lambda x: x * 3)
    np.testing.assert_array_equal(epoch(loader)[0][0], 3 * X)
    for shrink in (lambda x: x[:2], lambda x: x.sum()):
        with pytest.raises(ValueError, match=r"DataLoader: transform turned a batch of 4 "
                                             r"samples into shape \((2, 2|)\)"):
            epoch(data.DataLoader((X, np.arange(6)), batch_size=4, transform=shrink))
    with pytest.raises(ValueError, match=r"different lengths \[6, 5\]"):
        data.DataLoader((X, np.arange(5)))
    with pytest.raises(ValueError, match="batch_size"):
        data.DataLoader((X,), batch_size=0)
    with pytest.raises(TypeError, match="tuple of arrays"):
        data.DataLoader(iter([X]))
    with pytest.raises(ValueError, match="not a permutation"):
        loader.load_state_dict({"order": np.zeros(6), "position": 0, "rng": None})
    with pytest.raises(ValueError, match="own generator"):
        loader.load_state_dict({"order": None, "position": 0, "rng": {"x": 1}})


def test_load_state_dict_checks_position_before_changing_anything():
    def make(generator):
        return data.DataLoader((np.arange(10),), batch_size=3, shuffle=True,
                               generator=generator)

    saved = make(0)
    next(iter(saved))
    state = saved.state_dict()  # 4 batches an epoch, 1 done
    for position in ("abc", -2, 5, 1.0, True, None, [1]):
        loader = make(5)
        with pytest.raises(ValueError, match=r"'position' must be an int from 0 to 4"):
            loader.load_state_dict({**state, "position": position})
        untouched = make(5)
        assert [b[0].tolist() for b in loader] == [b[0].tolist() for b in untouched]
    order = state["order"].tolist()
    for position in (np.int64(1), np.array(1)):  # as tg.load gives it back
        loader = make(5)
        loader.load_state_dict({**state, "position": position})
        assert [b[0].tolist() for b in loader] == [order[3:6], order[6:9], order[9:]]


# ---------------------------------------------------------------- split and scaling
def test_train_val_split_partitions_the_samples():
    X = np.arange(200).reshape(100, 2)
    y = np.arange(100) % 4
    (Xt, yt), (Xv, yv) = data.train_val_split(X, y, 0.25, seed=0)
    assert len(Xv) == 25 and len(Xt) == 75
    assert sorted(np.concatenate([Xt[:, 0], Xv[:, 0]]).tolist()) == list(range(0, 200, 2))
    np.testing.assert_array_equal(yv, (Xv[:, 0] // 2) % 4)
    again = data.train_val_split(X, y, 0.25, seed=0)
    np.testing.assert_array_equal(again[1][0], Xv)
    assert len(data.train_val_split(X, y, 0.201, seed=0)[1][0]) == 21  # ceil


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100)[:, None]
    (_, yt), (_, yv) = data.train_val_split(X, y, 0.3, seed=1, stratify=True)
    assert np.bincount(yv).tolist() == [18, 9, 3]
    assert np.bincount(yt).tolist() == [42, 21, 7]
    (_, _), (_, yv) = data.train_val_split(X, y, 0.25, seed=1, stratify=True)
    assert len(yv) == 25 and np.bincount(yv).tolist() == [15, 8, 2]  # 7.5 -> 8, 2.5 -> 2


def test_split_takes_numpy_fractions():
    X, y = np.arange(200).reshape(100, 2), np.arange(100) % 4
    for fraction in (np.float64(0.25), np.float32(0.25)):
        split = data.train_val_split(X, y, fraction, seed=0)
        reference = data.train_val_split(X, y, 0.25, seed=0)
        for a, b in zip(split, reference):
            np.testing.assert_array_equal(a[0], b[0])
    with pytest.raises(ValueError, match="val_fraction"):
        data.train_val_split(X, y, np.bool_(True))


def test_stratify_takes_labels_like_scikit_learn():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X = np.arange(100)[:, None]
    by_flag = data.train_val_split(X, y, 0.2, seed=0, stratify=True)
    by_labels = data.train_val_split(X, y, 0.2, seed=0, stratify=y)  # sklearn's spelling
    for a, b in zip(by_flag, by_labels):
        np.testing.assert_array_equal(a[0], b[0])
    assert np.bincount(by_labels[1][1]).tolist() == [10, 6, 4]
    plain = data.train_val_split(X, y, 0.2, seed=0, stratify=False)
    np.testing.assert_array_equal(data.train_val_split(X, y, 0.2, seed=0, stratify=None)[1][0],
                                  plain[1][0])
    # one-hot labels: a class is a row; X keeps its pairing with y
    (Xt, Yt), (Xv, Yv) = data.train_val_split(X, np.eye(3)[y], 0.2, seed=0, stratify=True)
    assert Yv.sum(0).tolist() == [10, 6, 4] and Yt.sum(0).tolist() == [40, 24, 16]
    np.testing.assert_array_equal(Yv.argmax(1), y[Xv[:, 0]])
    (_, yt), (_, yv) = data.train_val_split(X, y, 0.2, seed=0, stratify=np.eye(3)[y])
    assert np.bincount(yv).tolist() == [10, 6, 4] and len(yt) == 80
    # sklearn: "The least populated class in y has only 1 member, which is too few"
    lone = np.array([0] + [1] * 9)
    with pytest.raises(ValueError, match=r"class 0 has only 1 member"):
        data.train_val_split(np.zeros((10, 2)), lone, 0.5, seed=0, stratify=True)
    with pytest.raises(ValueError, match=r"class \[1\.0, 0\.0\] has only 1 member"):
        data.train_val_split(np.zeros((10, 2)), np.eye(2)[lone], 0.5, seed=0, stratify=True)
    with pytest.raises(ValueError, match=r"class 'a' has only 1 member"):
        data.train_val_split(np.zeros((10, 2)), lone, 0.5, seed=0,
                             stratify=np.where(lone, "b", "a"))
    with pytest.raises(ValueError, match=r"one entry per sample \(100\), got shape \(3,\)"):
        data.train_val_split(X, y, 0.2, stratify=y[:3])
    with pytest.raises(TypeError, match="stratifying needs labels of numbers or strings"):
        data.train_val_split(X, y, 0.2, stratify=np.array([None] * 100))


@pytest.mark.parametrize("args, match", [
    ((np.zeros((4, 2)), np.zeros(3)), "different lengths"),
    ((np.zeros((4, 2)), np.zeros(4), 1.0), "val_fraction"),
    ((np.zeros((2, 2)), np.zeros(2), 0.9), "empty part"),
])
def test_split_errors(args, match):
    with pytest.raises(ValueError, match=match):
        data.train_val_split(*args)


def test_standardize_uses_training_statistics(rng):
    Xt = rng.normal([1.0, -2.0, 5.0], [2.0, 0.5, 0.0], size=(50, 3)).astype(np.float32)
    Xv = rng.normal(size=(7, 3)).astype(np.float32)
    scale = data.standardize(Xt)
    Zt, Zv = scale(Xt), scale(Xv)
    assert Zt.dtype == np.float32
    np.testing.assert_allclose(Zt[:, :2].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Zt[:, :2].std(0), 1, atol=1e-5)
    np.testing.assert_array_equal(Zt[:, 2], 0)  # a constant feature maps to 0, no NaN
    mu, sd = Xt.astype(np.float64).mean(0), Xt.astype(np.float64).std(0)
    np.testing.assert_allclose(Zv[:, :2], (Xv[:, :2] - mu[:2]) / sd[:2], rtol=1e-5)
    np.testing.assert_allclose(scale.inverse(Zv), Xv, atol=1e-5)
    x = tg.Tensor(Xv.astype(np.float64), requires_grad=True)
    scale(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.broadcast_to(1 / scale.std, (7, 3)))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        scale(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"takes data of shape \(n, 3\); got \(3,\)"):
        scale(Xv[0])
    with pytest.raises(ValueError, match=r"Standardizer.inverse: .* got \(2, 4\)"):
        scale.inverse(np.zeros((2, 4)))
    with pytest.raises(TypeError, match="Standardizer: need numbers"):
        scale(np.array([["a", "b", "c"]]))


@pytest.mark.parametrize("value", [0.1, 0.3, 0.7, 1 / 3, 2.2, -146557.71, 1e8 + 0.3])
@pytest.mark.parametrize("n", [3, 7, 1000])
def test_standardize_takes_a_constant_feature_as_constant_exactly(value, n):
    """X.mean() of n copies of 0.1 is not exactly 0.1; the rounding error is no spread."""
    X = np.c_[np.full(n, value), np.arange(n)]
    scale = data.standardize(X)
    assert scale.std[0] == 1.0
    np.testing.assert_allclose(scale(X)[:, 0], 0, atol=1e-9)
    np.testing.assert_allclose(scale(np.array([[value + 0.5, 0]]))[0, 0], 0.5, rtol=1e-6)
    np.testing.assert_allclose(scale.std[1], np.arange(n).std())


def test_standardize_tolerance_follows_the_float_type():
    pair = [[1.0], [1.0 + 1e-7]]  # one float32 step apart: rounding for float32 data only
    assert data.standardize(np.array(pair, np.float32)).std.tolist() == [1.0]
    np.testing.assert_allclose(data.standardize(np.array(pair)).std, [0.5e-7])
    small = np.array([[1e-7], [2e-7], [3e-7]], np.float32)  # a small scale is no constant
    np.testing.assert_allclose(data.standardize(small).std, small.std(axis=0), rtol=1e-5)


# ---------------------------------------------------------------- augmentation
def test_random_shift_moves_each_image_by_at_most_max_shift():
    n, m = 400, 2
    imgs = np.zeros((n, 8, 8), np.float32)
    imgs[:, 3, 4] = 1.0
    out = data.random_shift(imgs.reshape(n, 64), m, image_shape=(8, 8), seed=0)
    assert out.shape == (n, 64)
    out = out.reshape(n, 8, 8)
    assert (out.sum((1, 2)) == 1).all()
    r, c = np.nonzero(out)[1:]
    offsets = set(zip((r - 3).tolist(), (c - 4).tolist()))
    assert offsets == {(dy, dx) for dy in range(-m, m + 1) for dx in range(-m, m + 1)}


def test_random_shift_equals_a_slice_shift_with_zero_fill(rng):
    img = rng.integers(1, 9, size=(1, 28, 28)).astype(np.float32)
    for seed in range(6):
        out = data.random_shift(img, 3, seed=seed)[0]
        dy, dx = np.random.default_rng(seed).integers(-3, 4, size=(2, 1))[:, 0]
        expected = np.zeros_like(img[0])
        expected[max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            img[0, max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
        np.testing.assert_array_equal(out, expected)


def test_random_flip_and_noise(rng):
    imgs = rng.normal(size=(1000, 3, 5))
    out = data.random_flip(imgs, p=0.3, seed=0)
    flipped = np.array([np.array_equal(o, i[:, ::-1]) for o, i in zip(out, imgs)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, imgs)])
    assert (flipped ^ kept).all() and abs(flipped.mean() - 0.3) < 0.05
    up_down = data.random_flip(imgs.reshape(1000, 15), 1.0, (3, 5), "vertical")
    np.testing.assert_array_equal(up_down, imgs[:, ::-1, :].reshape(1000, 15))
    np.testing.assert_array_equal(data.random_flip(imgs, 0.0), imgs)
    X = np.full((200, 50), 2.0, np.float32)
    noisy = data.add_noise(X, 0.5, seed=1)
    assert noisy.dtype == np.float32
    assert abs(noisy.mean() - 2.0) < 0.02 and abs(noisy.std() - 0.5) < 0.01


def test_standardize_one_feature_per_sample():
    """X (n,): n samples of one scalar feature, as for regression targets."""
    y = np.array([1.0, 2.0, 4.0])
    scale = data.standardize(y)
    np.testing.assert_allclose(scale(y), (y - y.mean()) / y.std())
    np.testing.assert_allclose(scale.inverse(scale(np.array([7.0]))), [7.0])
    np.testing.assert_array_equal(data.standardize(np.full(3, 5.0))(np.full(2, 5.0)), [0, 0])


@pytest.mark.parametrize("call, match", [
    (lambda: data.random_shift(np.zeros((3, 10)), 1, (3, 3)), r"images of shape \(3, 3\)"),
    (lambda: data.random_shift(np.zeros((3, 64)), image_shape=8), "image_shape must be"),
    (lambda: data.random_flip(np.zeros((3, 64)), image_shape=(8, 8, 1)), "image_shape"),
    (lambda: data.random_shift(np.zeros((3, 9))), "image_shape"),
    (lambda: data.random_flip(np.zeros((3, 2, 2)), p=2), "p must be"),
    (lambda: data.random_flip(np.zeros((3, 2, 2)), axis="diagonal"), "axis"),
    (lambda: data.add_noise(np.zeros(3), -1), "std"),
    (lambda: data.random_flip(np.zeros((3, 2, 2)), p=True), "p must be"),
    (lambda: data.add_noise("abc"), "add_noise: X must hold numbers"),
])
def test_augmentation_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_random_flip_takes_numpy_probabilities(rng):
    imgs = rng.normal(size=(50, 3, 5))
    np.testing.assert_array_equal(data.random_flip(imgs, np.float32(0.5), seed=3),
                                  data.random_flip(imgs, 0.5, seed=3))


@pytest.mark.parametrize("as_tensor", [False, True])
def test_a_bare_array_is_the_dataset_of_its_rows(as_tensor):
    """As in PyTorch, DataLoader(X) batches the rows of X, each batch one Tensor."""
    X = np.arange(10.0).reshape(5, 2)
    loader = data.DataLoader(tg.tensor(X) if as_tensor else X, batch_size=2,
                             transform=lambda x: x + 1)
    batches = list(loader)
    assert all(isinstance(b, tg.Tensor) for b in batches)
    assert [b.tolist() for b in batches] == [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]],
                                             [[9.0, 10.0]]]
    assert [b.tolist() for b in data.DataLoader(X, batch_size=None)][:2] == [[0.0, 1.0],
                                                                             [2.0, 3.0]]
