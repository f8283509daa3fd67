"""tapegrad.data's map-style datasets (Dataset, TensorDataset, Subset, ConcatDataset,
random_split) against hand-computed samples and sizes."""

import numpy as np
import pytest
from conftest import epoch, resumed_mid_epoch

import tapegrad as tg
import tapegrad.data as data
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim
from tapegrad import training


def test_tensor_dataset_samples_are_rows_of_each_tensor():
    X, y = np.arange(12.0).reshape(4, 3), np.array([5, 6, 7, 8])
    ds = data.TensorDataset(tg.tensor(X), y)
    assert len(ds) == 4
    x2, y2 = ds[2]
    assert isinstance(x2, tg.Tensor) and x2.tolist() == [6.0, 7.0, 8.0] and y2 == 7
    assert ds[-1][1] == 8
    assert [int(b) for _, b in ds] == [5, 6, 7, 8]  # iteration stops at the IndexError


def test_tensor_dataset_errors_name_the_sizes():
    with pytest.raises(ValueError, match=r"TensorDataset: .* first .* shapes \[\(4, 3\), \(3,\)\]"):
        data.TensorDataset(np.ones((4, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"shapes \[\(2,\), \(\)\]"):
        data.TensorDataset(np.ones(2), np.array(1.0))
    with pytest.raises(ValueError, match="at least one"):
        data.TensorDataset()
    with pytest.raises(TypeError, match="TensorDataset: tensor 1 is a list"):
        data.TensorDataset(np.ones(2), [1, 2])
    ds = data.TensorDataset(np.ones(3))
    with pytest.raises(IndexError, match=r"TensorDataset: index 3 is out of range for 3 "
                                         r"samples \(valid: -3 to 2\)"):
        ds[3]
    with pytest.raises(TypeError, match="indexed by an int, got slice"):
        ds[:2]


def test_subset_and_concat_dataset_index_the_right_samples():
    a = data.TensorDataset(np.arange(5) * 10)
    sub = data.Subset(a, [4, 0, 2])
    assert len(sub) == 3 and [s[0] for s in sub] == [40, 0, 20] and sub.indices == [4, 0, 2]
    both = data.ConcatDataset([sub, range(100, 102)])
    assert len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [both[i] for i in range(-5, 5)] == [(40,), (0,), (20,), 100, 101] * 2
    added = a + sub  # Dataset.__add__
    assert isinstance(added, data.ConcatDataset) and added.datasets == [a, sub]
    assert [s[0] for s in added] == [0, 10, 20, 30, 40, 40, 0, 20]
    with pytest.raises(IndexError, match=r"ConcatDataset: index 5 .* 5 samples"):
        both[5]
    with pytest.raises(IndexError, match=r"Subset: index -4 .* \(valid: -3 to 2\)"):
        sub[-4]
    empty = data.Subset(a, [])
    with pytest.raises(IndexError, match="0 samples .*it is empty"):
        empty[0]


def test_subset_and_concat_errors():
    a = data.TensorDataset(np.arange(5))
    with pytest.raises(ValueError, match=r"Subset: index 5 is out of range for the "
                                         r"TensorDataset of 5 samples \(valid: 0 to 4\)"):
        data.Subset(a, [0, 5])
    with pytest.raises(ValueError, match=r"Subset: index -1 is out of range"):
        data.Subset(a, [-1])
    with pytest.raises(TypeError, match="Subset: indices must be a sequence of ints"):
        data.Subset(a, [0.5])
    with pytest.raises(TypeError, match="Subset: dataset must have __len__ and __getitem__"):
        data.Subset(3, [0])
    with pytest.raises(ValueError, match="ConcatDataset: give at least one"):
        data.ConcatDataset([])
    with pytest.raises(TypeError, match=r"ConcatDataset: datasets\[1\] must have __len__"):
        data.ConcatDataset([a, 7])
    with pytest.raises(TypeError, match="ConcatDataset: give a list of datasets"):
        data.ConcatDataset(a)


def test_dataset_base_asks_for_its_methods():
    class Bare(data.Dataset):
        pass

    with pytest.raises(TypeError, match="Bare must define __len__"):
        len(Bare())
    with pytest.raises(TypeError, match=r"Bare must define __getitem__"):
        Bare()[0]


def _check_partition(splits, sizes, n):
    assert [len(s) for s in splits] == sizes
    every = [i for s in splits for i in s.indices]
    assert sorted(every) == list(range(n))
    for s in splits:  # each split's samples are the dataset's samples at its indices
        assert [s[k] for k in range(len(s))] == [100 + i for i in s.indices]


def test_random_split_by_counts_partitions_and_repeats_with_the_seed():
    ds = range(100, 110)
    splits = data.random_split(ds, [3, 7], generator=5)
    _check_partition(splits, [3, 7], 10)
    order = np.random.default_rng(5).permutation(10).tolist()  # the split's permutation
    assert splits[0].indices == order[:3] and splits[1].indices == order[3:]
    again = data.random_split(ds, [3, 7], generator=5)
    assert [s.indices for s in again] == [s.indices for s in splits]
    tg.manual_seed(2)  # generator=None: tapegrad's generator
    first = [s.indices for s in data.random_split(ds, [5, 5])]
    tg.manual_seed(2)
    assert [s.indices for s in data.random_split(ds, [5, 5])] == first
    assert first[0] + first[1] == np.random.default_rng(2).permutation(10).tolist()


@pytest.mark.parametrize("n, fractions, sizes", [
    # floor(n·f) each, then the remainder one by one to splits 0, 1, ... (PyTorch's rule)
    (10, [0.45, 0.45, 0.1], [5, 4, 1]),   # 4 + 4 + 1 = 9, 1 left -> split 0
    (11, [0.3, 0.3, 0.4], [4, 3, 4]),     # 3 + 3 + 4 = 10, 1 left -> split 0
    (7, [0.5, 0.5], [4, 3]),              # 3 + 3 = 6
    (3, [0.2] * 5, [1, 1, 1, 0, 0]),      # 0 each, 3 left -> splits 0, 1, 2
    (100, [0.8, 0.2], [80, 20]),
])
def test_random_split_by_fractions_gives_pytorchs_sizes(n, fractions, sizes):
    _check_partition(data.random_split(range(100, 100 + n), fractions, generator=0),
                     sizes, n)


def test_random_split_errors_change_nothing():
    state = tg.get_rng_state()
    with pytest.raises(ValueError, match=r"random_split: lengths \[3, 6\] must be >= 0 and "
                                         r"sum to the 10 samples of the range, they sum to 9"):
        data.random_split(range(10), [3, 6])
    with pytest.raises(ValueError, match=r"lengths \[-1, 11\]"):
        data.random_split(range(10), [-1, 11])
    with pytest.raises(ValueError, match=r"fractions \[0.5, 0.6\] must each be in \[0, 1\] "
                                         r"and sum to 1, they sum to 1.1"):
        data.random_split(range(10), [0.5, 0.6])
    with pytest.raises(ValueError, match="fractions"):
        data.random_split(range(10), [1.5, -0.5])
    with pytest.raises(TypeError, match="random_split: lengths must be a list"):
        data.random_split(range(10), 5)
    with pytest.raises(TypeError, match="random_split: dataset must have __len__"):
        data.random_split(iter(range(10)), [5, 5])
    with pytest.raises(TypeError, match="random_split: generator must be a non-negative int"):
        data.random_split(range(10), [5, 5], generator=-1)  # the argument's name, not 'seed'
    assert tg.get_rng_state() == state  # no draw from tapegrad's generator
    with pytest.raises(TypeError, match="DataLoader: generator must be a non-negative int"):
        data.DataLoader(range(10), generator="seed")


# ---------------------------------------------------------------- DataLoader over datasets
class Rows(data.Dataset):
    """A user's dataset: sample i is (X[i], y[i]), read one by one."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.X[i], self.y[i]




def assert_same_batches(a, b):
    assert len(a) == len(b)
    for batch_a, batch_b in zip(a, b):
        assert len(batch_a) == len(batch_b)
        for x, y in zip(batch_a, batch_b):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("generator", [None, 7])
@pytest.mark.parametrize("drop_last", [False, True])
def test_a_dataset_gives_the_batches_of_its_arrays(generator, drop_last):
    X, y = np.arange(22, dtype=np.float32).reshape(11, 2), np.arange(11) * 3
    runs = []
    for dataset in ((X, y), data.TensorDataset(X, y), data.TensorDataset(tg.tensor(X), y),
                    Rows(X, y)):
        tg.manual_seed(4)
        loader = data.DataLoader(dataset, batch_size=4, shuffle=True, drop_last=drop_last,
                                 generator=generator)
        assert len(loader) == (2 if drop_last else 3)
        runs.append(epoch(loader) + epoch(loader))
    order = np.random.default_rng(4 if generator is None else 7).permutation(11)
    assert [b[1].tolist() for b in runs[0][:2]] == [(3 * order[:4]).tolist(),
                                                     (3 * order[4:8]).tolist()]
    assert [len(b[1]) for b in runs[0]] == ([4, 4] * 2 if drop_last else [4, 4, 3] * 2)
    for run in runs[1:]:
        assert_same_batches(run, runs[0])


def test_tensor_datasets_and_their_subsets_are_batched_without_reading_samples(monkeypatch):
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    ds = data.TensorDataset(X, y)
    train, val = data.random_split(ds, [0.7, 0.3], generator=1)
    inner = data.Subset(train, [6, 0, 3])  # a subset of a subset
    expected = {id(ds): np.arange(10), id(train): np.array(train.indices),
                id(inner): np.array(train.indices)[[6, 0, 3]]}

    def refuse(self, i):
        raise AssertionError("a sample was read one by one")

    monkeypatch.setattr(data.TensorDataset, "__getitem__", refuse)
    for dataset in (ds, train, inner):
        loader = data.DataLoader(dataset, batch_size=3)
        assert loader.arrays is not None
        rows = expected[id(dataset)]
        assert [b[1].tolist() for b in loader] == [rows[i:i + 3].tolist()
                                                    for i in range(0, len(rows), 3)]
    assert data.DataLoader(Rows(X, y)).arrays is None


def test_default_collate_of_dicts_lists_nested_tuples_numbers_and_strings():
    class Records(data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return {"x": [np.full(2, i, np.float32), (float(i), i)], "name": f"s{i}"}

    (batch,) = data.DataLoader(Records(), batch_size=3)
    assert list(batch) == ["x", "name"] and batch["name"] == ["s0", "s1", "s2"]
    first, (floats, ints) = batch["x"]
    assert isinstance(batch["x"], list)  # lists stay lists, tuples tuples
    assert first.shape == (3, 2) and first.dtype == np.float32
    assert first.tolist() == [[0, 0], [1, 1], [2, 2]]
    # Python floats and ints give float64 and int64 batches, as torch's default_collate
    assert floats.dtype == np.float64 and floats.tolist() == [0.0, 1.0, 2.0]
    assert ints.dtype == np.int64 and ints.tolist() == [0, 1, 2]
    plain = data.DataLoader(range(5), batch_size=2)  # samples that are numbers
    assert [b.tolist() for b in plain] == [[0, 1], [2, 3], [4]]


def test_batch_size_none_yields_single_samples():
    X, y = np.arange(6.0).reshape(3, 2), np.array([4, 5, 6])
    for dataset in ((X, y), Rows(X, y)):
        loader = data.DataLoader(dataset, batch_size=None, shuffle=True, generator=2)
        samples = list(loader)
        assert len(loader) == 3 == len(samples)
        order = np.random.default_rng(2).permutation(3)
        assert [(x.tolist(), int(t.item())) for x, t in samples] == [
            (X[i].tolist(), int(y[i])) for i in order]
        assert samples[0][1].shape == ()
    for kwargs in ({"drop_last": True}, {"transform": np.negative}):
        with pytest.raises(ValueError, match="batch_size=None yields single samples"):
            data.DataLoader(Rows(X, y), batch_size=None, **kwargs)


def test_transform_applies_to_the_first_field_of_a_dataset_batch():
    X, y = np.ones((4, 2), np.float32), np.arange(4)
    loader = data.DataLoader(Rows(X, y), batch_size=3, transform=lambda x: x * 5)
    assert [b[0].tolist() for b in loader] == [[[5, 5]] * 3, [[5, 5]]]
    with pytest.raises(TypeError, match="transform acts on the first array .* a Tensor"):
        next(iter(data.DataLoader(range(4), batch_size=2, transform=np.negative)))


class Uneven(data.Dataset):
    """Samples (zeros(2), i), but sample 3 is `odd`."""

    def __init__(self, odd):
        self.odd = odd

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return self.odd if i == 3 else (np.zeros(2), i)


@pytest.mark.parametrize("odd, message", [
    ((np.zeros(3), 3), r"DataLoader: dataset\[3\]\[0\] has shape \(3,\), dataset\[2\]\[0\] "
                       r"has shape \(2,\); samples must have equal shapes"),
    ((np.zeros(2),), r"DataLoader: dataset\[3\] is a tuple of length 1, dataset\[2\] is a "
                     r"tuple of length 2; the samples of a batch must have one structure"),
    ({"x": 1}, r"dataset\[3\] is a dict with keys \['x'\], dataset\[2\] is a tuple"),
])
def test_collate_errors_name_the_samples_and_leave_the_position(odd, message):
    loader = data.DataLoader(Uneven(odd), batch_size=2)
    it = iter(loader)
    next(it)
    with pytest.raises(ValueError, match=message):
        next(it)
    assert loader.state_dict()["position"] == 1  # the failed batch is still to come
    with pytest.raises(TypeError, match=r"cannot batch dataset\[0\]\[1\], a NoneType"):
        next(iter(data.DataLoader(data.Subset(Uneven((np.zeros(2), None)), [3, 0]), 2)))
    with pytest.raises(TypeError, match="DataLoader: give a tuple of arrays, e.g. \\(X, y\\), "
                                        "or a Dataset, got int"):
        data.DataLoader(5)


def test_loader_over_a_dataset_resumes_mid_epoch_exactly(tmp_path):
    X, y = np.arange(46.0).reshape(23, 2), np.arange(23)

    def make():
        return data.DataLoader(Rows(X, y), batch_size=5, shuffle=True)

    seen, reference = resumed_mid_epoch(make, tmp_path)
    assert_same_batches(seen, reference)
    with pytest.raises(ValueError, match="not a permutation of this loader's 23 samples"):
        make().load_state_dict({**make().state_dict(), "order": np.arange(22)})


# ---------------------------------------------------------------- training.fit
def blobs():
    X, y = data.make_blobs(90, centers=3, n_features=4, seed=0)
    return data.standardize(X)(X), y


def train(dataset, epochs, callbacks=(), loader=None, initial_epoch=0, model=None, opt=None):
    """fit on a shuffling DataLoader over `dataset`; returns the model, optimizer, loader
    and history."""
    model = model or nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.2), nn.ReLU(),
                                   nn.Linear(8, 3))
    opt = opt or optim.Adam(model.parameters(), lr=0.02)
    loader = loader or data.DataLoader(dataset, batch_size=16, shuffle=True)
    history = training.fit(model, F.cross_entropy, opt, loader, epochs=epochs,
                           callbacks=callbacks, initial_epoch=initial_epoch, progress=False)
    return model, opt, loader, history


def test_fit_trains_on_a_tensor_dataset_as_on_its_arrays():
    X, y = blobs()
    tg.manual_seed(0)
    by_arrays = train((X, y), 3)
    tg.manual_seed(0)
    by_dataset = train(data.TensorDataset(tg.tensor(X), tg.tensor(y)), 3)
    assert by_dataset[3]["train_loss"] == by_arrays[3]["train_loss"]
    assert by_dataset[3]["train_accuracy"][-1] > 0.9
    for a, b in zip(by_arrays[0].parameters(), by_dataset[0].parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fit_resumes_a_dataset_loader_from_a_checkpoint_bit_for_bit(tmp_path):
    X, y = blobs()
    tg.manual_seed(0)
    model, *_, full = train(Rows(X, y), 4)
    tg.manual_seed(0)
    path = tmp_path / "ckpt.npz"
    train(Rows(X, y), 2, callbacks=[training.ModelCheckpoint(path)])
    tg.manual_seed(123)  # other init, other generator state: all undone by the checkpoint
    fresh, opt, loader, _ = train(Rows(X, y), 1)
    ckpt = training.load_checkpoint(path, fresh, opt, loader=loader)
    *_, rest = train(None, 4, loader=loader, initial_epoch=ckpt["epoch"], model=fresh,
                     opt=opt)
    assert rest["train_loss"] == full["train_loss"][2:]
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_collate_fn_gets_the_samples_of_each_batch_as_in_pytorch():
    ds = data.TensorDataset(tg.arange(10.0).reshape(5, 2), tg.arange(5))
    seen = []

    def pairs(samples):
        seen.append(len(samples))
        return [(x.tolist(), y.item()) for x, y in samples]

    batches = list(data.DataLoader(ds, batch_size=2, shuffle=True, generator=3, collate_fn=pairs))
    assert seen == [2, 2, 1] and sorted(y for b in batches for _, y in b) == [0, 1, 2, 3, 4]
    assert all(x == [2.0 * y, 2.0 * y + 1] for b in batches for x, y in b)
    xb, yb = next(iter(data.DataLoader(ds, batch_size=3, collate_fn=data.default_collate)))
    np.testing.assert_array_equal(xb.numpy(), np.arange(6.0).reshape(3, 2))
    assert yb.tolist() == [0, 1, 2]
    rows = np.arange(6.0).reshape(3, 2)  # a bare array: its samples are its rows
    stacked = list(data.DataLoader(rows, batch_size=2, collate_fn=np.stack))
    assert stacked[1].tolist() == [[4.0, 5.0]]
    assert list(data.DataLoader(rows, batch_size=None, collate_fn=np.sum)) == [1.0, 5.0, 9.0]
    assert data.default_collate([{"a": 1}, {"a": 2}])["a"].tolist() == [1, 2]
    with pytest.raises(ValueError, match="default_collate: no samples"):
        data.default_collate([])


def test_num_workers_and_pin_memory_are_accepted_and_change_nothing():
    ds = data.TensorDataset(tg.arange(8.0), tg.arange(8))
    plain = [y.tolist() for _, y in data.DataLoader(ds, batch_size=3, shuffle=True, generator=1)]
    busy = data.DataLoader(ds, batch_size=3, shuffle=True, generator=1, num_workers=4,
                      pin_memory=True)
    assert [y.tolist() for _, y in busy] == plain and busy.num_workers == 4
    for kwargs, error, match in (({"num_workers": -1}, ValueError, "num_workers must be an "
                                                                   "int >= 0, got -1"),
                                 ({"pin_memory": 1}, TypeError, "pin_memory must be True or "
                                                                "False, got 1"),
                                 ({"collate_fn": 3}, TypeError, "collate_fn must be callable")):
        with pytest.raises(error, match=f"DataLoader: {match}"):
            data.DataLoader(ds, **kwargs)
