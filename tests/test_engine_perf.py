"""Properties the engine's speed and memory rely on (no timings: those live in benchmarks/)."""

import tracemalloc

import numpy as np
import pytest

import tapegrad as tg
from tapegrad.tape import is_freed

MB = 2**20


def test_intermediate_gradients_are_freed_during_the_sweep():
    """A 40-op chain on 1 MiB arrays: backward needs a few gradients at a time, not one per
    record (each mul's vjp makes a fresh 1 MiB array)."""
    x = tg.tensor(np.ones(MB // 4, np.float32), requires_grad=True)
    y = x
    for _ in range(40):
        y = y * 1.01
    loss = y.sum()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        loss.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - before < 8 * MB, f"backward peaked {(peak - before) / MB:.1f} MiB above start"
    np.testing.assert_allclose(x.grad.numpy()[:3], 1.01**40, rtol=1e-5)


def test_retained_and_requested_intermediate_gradients_are_still_returned():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    h.retain_grad()
    loss = (h * h).sum()  # dL/dh = 2h = 6x, dL/dx = 18x
    (gh,) = tg.grad(loss, h, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [6.0, 12.0])
    loss.backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])


def test_gradient_of_w_through_w_transpose_is_contiguous_like_w():
    """x @ W.T is how Linear applies W: W's gradient comes back C-contiguous (an update on a
    transposed gradient runs several times slower), with the value Gᵀ X."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((5, 3)).astype(np.float32))
    w = tg.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    g = rng.standard_normal((5, 4)).astype(np.float32)
    (x @ w.T).backward(tg.tensor(g))
    assert w.grad.numpy().flags.c_contiguous
    np.testing.assert_allclose(w.grad.numpy(), g.T @ x.numpy(), rtol=1e-5)


def test_python_scalars_keep_float32_through_forward_and_backward():
    x = tg.tensor(np.array([0.5, -1.0], np.float32), requires_grad=True)
    y = ((x * 0.5 + 1) / 3.0 - 2).tanh().mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32
    t = np.tanh((np.array([0.5, -1.0]) * 0.5 + 1) / 3.0 - 2)
    np.testing.assert_allclose(x.grad.numpy(), (1 - t**2) * 0.5 / 3.0 / 2, rtol=1e-5)


def test_no_record_when_nothing_requires_grad():
    a = tg.tensor([1.0, 2.0])
    assert (a * 2 + a).record is None
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        assert (w * 2).record is None
    assert (w * 2).record is not None


def test_mean_matches_numpy_for_every_dtype_and_axis():
    rng = np.random.default_rng(1)
    for dt in (np.float32, np.float64, np.float16, np.int64):
        a = (rng.standard_normal((3, 4, 5)) * 10).astype(dt)
        for axis in (None, 0, (0, 2), 2):
            ours = tg.tensor(a).mean(axis=axis).numpy()
            expected = np.mean(a, axis=axis)
            if dt == np.int64:  # integers average to float32, PyTorch's float (numpy: float64)
                expected = expected.astype(np.float32)
            assert ours.dtype == expected.dtype, (dt, axis)
            np.testing.assert_allclose(ours, expected, rtol=1e-6 if dt != np.float16 else 1e-3)


def test_lazy_version_cells_still_catch_in_place_changes():
    """Op outputs get their version cell on first use; every way of changing one in place
    after a record saved it (through .data, a view made later, a detached alias) is caught."""
    def recorded():
        a = tg.tensor(np.array([0.5, 1.0, 1.5, 2.0]), requires_grad=True)
        y = a * 2.0  # an op output: no version cell yet
        return a, y, (y * y).sum()  # mul saves y

    _, y, loss = recorded()
    y.data[0] = 5.0
    with pytest.raises(tg.TapeError, match="changed in place"):
        loss.backward()
    _, y, loss = recorded()
    view = y.reshape(2, 2)  # made after the record: shares the (new) cell with y
    with tg.no_grad():
        view[0, 0] = 5.0
    with pytest.raises(tg.TapeError, match="changed in place"):
        loss.backward()
    _, y, loss = recorded()
    y.detach()[1] = 7.0
    with pytest.raises(tg.TapeError, match="changed in place"):
        loss.backward()
    a, y, loss = recorded()  # untouched: d/da sum((2a)²) = 8a
    loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), 8 * a.numpy())


def test_record_is_the_weak_reference_to_its_output():
    """A Node doubles as the weakref to its output; it compares and hashes by identity, also
    after the output is gone."""
    x = tg.tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    z = x.exp()
    node = y.record
    assert node() is y and node.output is y and node != z.record
    assert {node: 1}[node] == 1
    del y
    assert node() is None and node.output is None and hash(node) == hash(node)


def test_a_freed_input_is_shown_by_a_stand_in_of_its_shape():
    x = tg.tensor(np.ones(5000), requires_grad=True)  # above tape.SMALL_VALUES
    y = (x * 2).exp()  # exp's vjp reads its output, not its input: x * 2 is not kept
    stand_in = y.record.inputs[0]  # what display shows for it: shape and dtype, no values
    assert is_freed(stand_in) and stand_in.shape == (5000,) and stand_in.dtype == np.float64
    assert y.record.inputs[0] is stand_in and stand_in.record.op == "mul"
    assert "<freed>" in repr(stand_in) and not is_freed(y)
    small = (tg.tensor(np.ones(3), requires_grad=True) * 2).exp()  # small: kept for display
    assert not is_freed(small.record.inputs[0])
    np.testing.assert_array_equal(small.record.inputs[0].numpy(), [2.0, 2.0, 2.0])


def test_relu_backward_allocates_one_array_and_no_mask():
    """relu's vjp compares straight into an integer array and ANDs the gradient's bits into
    it (as PyTorch's threshold_backward makes one array): a 1 MiB gradient costs 1 MiB, not
    1 MiB + a 0.25 MiB bool mask. The values are PyTorch's threshold_backward: 0 where the
    output is <= 0 (so at 0), g elsewhere, also at a NaN (NaN <= 0 is false)."""
    a = np.linspace(-1, 1, MB // 4, dtype=np.float32)
    a[:4] = [np.nan, 0.0, -2.0, 3.0]
    out = np.maximum(a, 0)
    g = np.full_like(a, 2.0)
    rule = tg.ops.relu.vjps[0]
    from tapegrad.tape import _threads

    st = _threads.state
    st.arrays = True  # as in a first-order sweep: the rule computes on arrays
    try:
        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        grad = rule(g, out, None)
        _, peak = tracemalloc.get_traced_memory()
        small = rule(g[:4].copy(), out[:4].copy(), None)  # a small mask goes through bool
    finally:
        tracemalloc.stop()
        st.arrays = False
    assert peak - before < 1.1 * MB, f"relu's vjp peaked {(peak - before) / MB:.2f} MiB"
    np.testing.assert_array_equal(grad, np.where(a <= 0, 0.0, 2.0).astype(np.float32))
    assert grad.dtype == np.float32 and grad[:4].tolist() == [2.0, 0.0, 0.0, 2.0]
    assert small.dtype == np.float32 and small.tolist() == [2.0, 0.0, 0.0, 2.0]


def test_a_number_is_one_shared_constant_shown_per_use():
    """`x * 0.5` and `z * 0.5` share one constant Tensor (one object less per record for the
    collector to scan); each record still shows a 0.5 of its own, the same object on every
    read, so a drawing has one constant node per use."""
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 0.5, x * 0.5
    assert a.record.edges[1] is b.record.edges[1]
    shown_a, shown_b = a.record.inputs[1], b.record.inputs[1]
    assert shown_a is not shown_b and a.record.inputs[1] is shown_a
    assert shown_a.item() == 0.5 and shown_a.dtype == np.float32 and not shown_a.requires_grad
    assert a.record.inputs[0] is x
    dot = tg.viz.draw(a + b).source
    assert dot.count("0.5") >= 2  # one constant node per use
    shared = a.record.edges[1]
    with pytest.raises(ValueError, match="shared"):
        shared.requires_grad = True
    with pytest.raises(ValueError, match="takes no name"):
        shared.name = "half"
    with tg.no_grad(), pytest.raises(ValueError, match="read-only"):
        shared += 1.0
    assert shared.item() == 0.5 and (x * 0.5).record.edges[1] is shared


def test_shared_constants_keep_negative_zero_apart_from_zero():
    """-0.0 == 0.0 as a cache key, but x * -0.0 flips the sign of zero, as in numpy."""
    x = tg.tensor([1.0, -2.0])
    for zero in (0.0, -0.0, np.float32(-0.0), np.float64(0.0)):
        np.testing.assert_array_equal(np.signbit((x * zero).numpy()),
                                      np.signbit(np.array([1.0, -2.0], np.float32) * zero))
    assert np.signbit((tg.tensor([-0.0]) + -0.0).numpy()[0])


def test_batch_axis_sums_match_numpy():
    """Sums over axis 0 of 2-D floats (bias gradients, BatchNorm's batch statistics) run as
    BLAS's 1ᵀ·a: the same values as numpy's sum to float rounding, numpy's dtypes and shapes,
    and numpy itself for other dtypes and ranks."""
    rng = np.random.default_rng(2)
    for dt, rtol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        for n in (0, 1, 7, 300):
            a = rng.standard_normal((n, 5)).astype(dt)
            for keepdims in (False, True):
                ours = tg.tensor(a).sum(axis=0, keepdims=keepdims).numpy()
                expected = a.sum(axis=0, keepdims=keepdims)
                assert ours.shape == expected.shape and ours.dtype == expected.dtype
                np.testing.assert_allclose(ours, expected, rtol=rtol, atol=rtol)
            if n:
                np.testing.assert_allclose(tg.tensor(a).mean(axis=0).numpy(), a.mean(axis=0),
                                           rtol=rtol)
            w = tg.tensor(np.zeros(5, dt), requires_grad=True)
            (tg.tensor(a) + w).sum().backward()  # the bias gradient: a column of ones, summed
            np.testing.assert_array_equal(w.grad.numpy(), np.full(5, n, dt))
    ints = np.arange(12).reshape(4, 3)
    np.testing.assert_array_equal(tg.tensor(ints).sum(axis=0).numpy(), ints.sum(axis=0))
    cube = rng.standard_normal((4, 3, 2)).astype(np.float32)
    np.testing.assert_allclose(tg.tensor(cube).sum(axis=0).numpy(), cube.sum(axis=0), rtol=1e-6)


def test_broadcasts_are_read_only_at_every_size():
    """broadcast_to fills small results instead of making a zero-stride view (cheaper); both
    stay read-only, so an in-place change fails the same way at any size, as in PyTorch."""
    x = tg.tensor([1.0, 2.0])
    for n in (3, 5000):  # filled in, then a view
        e = x.reshape(1, 2).expand(n, 2)
        np.testing.assert_array_equal(e.numpy(), np.broadcast_to([1.0, 2.0], (n, 2)))
        with tg.no_grad(), pytest.raises(ValueError, match="read-only"):
            e += 1.0
        np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


def test_a_record_of_a_scalar_chain_holds_under_500_bytes():
    """A long graph of small ops costs memory per record (W6 holds 1,000,000): the output
    Tensor and its array, the Node, its edges. Records of ops without parameters share one
    read-only empty mapping instead of a dict each (64 bytes)."""
    x = tg.tensor(np.float32(0.5), requires_grad=True)
    a, b = x * 2.0, x.tanh()
    assert a.record.params is b.record.params and not a.record.params
    with pytest.raises(TypeError):
        a.record.params["axis"] = 0  # shared by every record: it cannot change
    tracemalloc.start()
    try:
        y = x
        for _ in range(10_000):
            y = (y * 0.9).tanh()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / 20_000 < 500, f"{held / 20_000:.0f} bytes per record"
    y.backward()
    assert x.grad is not None and np.isfinite(x.grad.item())
