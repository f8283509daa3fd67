"""tapegrad.data's map-style datasets (Dataset, TensorDataset, Subset, ConcatDataset,
random_split) against hand-computed samples and sizes."""

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.data as data


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
    assert tg.get_rng_state() == state  # no draw from tapegrad's generator
