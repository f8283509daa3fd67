"""The tape and the sweep: records, order, accumulation, freeing, versions, grad modes,
stepping, higher order."""

import threading

import numpy as np
import pytest
from conftest import t64

import tapegrad as tg


def test_chain_of_100000_ops_is_iterative():
    x = tg.tensor(1.0, requires_grad=True, dtype="float64")
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.00001 ** 100_000, rtol=1e-9)


def test_wide_fan_in():
    xs = [tg.tensor(float(i), requires_grad=True) for i in range(10_000)]
    total = tg.stack(xs).sum() + xs[0] * 0  # xs[0] feeds two ops
    total.backward()
    assert all(x.grad.item() == 1.0 for x in xs)


def test_records_in_decreasing_sequence_order():
    x = tg.tensor(2.0, requires_grad=True)
    y = x * 3
    z = y.exp() + y
    seqs = [s.record.seq for s in tg.backward_steps(z)]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 3


def test_gradient_accumulates_over_fanout():
    # z = x*y + x  ->  dz/dx = y + 1
    x, y = t64(2.0), t64(5.0)
    (x * y + x).backward()
    assert x.grad.item() == 6.0 and y.grad.item() == 2.0


def test_accumulation_across_backward_calls():
    x = t64([1.0, 2.0])
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy() + 3)


def test_shared_upstream_gradient_not_corrupted():
    # add hands the same gradient to both inputs; in-place accumulation must not leak
    a, b = t64([1.0]), t64([2.0])
    s = a + b
    out = (s * 1).sum() + (a * 10).sum()
    out.backward()
    assert a.grad.item() == 11.0 and b.grad.item() == 1.0


def test_second_backward_raises_and_changes_nothing():
    x = t64(3.0)
    y = x * x
    y.backward()
    with pytest.raises(tg.TapeError, match="retain_graph=True") as info:
        y.backward()
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    assert x.grad.item() == 6.0


def test_retain_graph_allows_second_backward():
    x = t64(3.0)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 12.0


def test_in_place_change_of_saved_value_names_the_op():
    w = t64([1.0, 2.0])
    x = tg.tensor([3.0, 4.0], dtype="float64")
    y = (w * x).sum()
    x.data[0] = 10.0  # dy/dw = x: the value w's gradient needs
    with pytest.raises(tg.TapeError, match="'mul'"):
        y.backward()
    assert w.grad is None


def test_a_value_no_rule_reads_may_change_in_place():
    """As in PyTorch, mul keeps an operand for the other's gradient only: with x a
    constant, dy/dw = x does not read w, so changing w after the product is no error."""
    w = t64([1.0, 2.0])
    x = tg.tensor([3.0, 4.0], dtype="float64")
    y = (w * x).sum()
    z = (w * 0.5).sum()
    with tg.no_grad():
        w += 5.0  # as an optimizer step would
    y.backward()
    z.backward()
    assert w.grad.tolist() == [3.5, 4.5]
    u = w * w  # both operands need gradients: each reads the other
    w.data[1] = 0.0
    with pytest.raises(tg.TapeError, match="'mul'.*changed in place"):
        u.sum().backward()


def test_in_place_change_under_no_grad_is_caught():
    w = t64(np.eye(2))
    x = t64(np.ones((2, 2)), requires_grad=False)
    y = (w @ x).sum()
    with tg.no_grad():
        w.copy_(w * 2)
    with pytest.raises(tg.TapeError, match="matmul"):
        y.backward()


def test_change_of_unsaved_value_is_fine():
    # add's vjps read nothing, so changing an input afterwards does not matter
    a = t64([1.0])
    y = (a + 1).sum()
    a.data[0] = 5.0
    y.backward()
    assert a.grad.item() == 1.0


def test_views_share_version():
    w = t64(np.ones((2, 2)))
    y = (w.T * w.T).sum()
    w.data *= 2
    with pytest.raises(tg.TapeError):
        y.backward()


def test_no_grad_records_nothing_and_decorator_works():
    x = t64(1.0)
    with tg.no_grad():
        y = x * 2
        with tg.enable_grad():
            z = x * 2
    assert y.record is None and not y.requires_grad and z.record is not None

    @tg.no_grad()
    def f(t):
        return t * 3

    assert f(x).record is None and tg.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with tg.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = tg.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    x = t64(1.0)
    y = x * 2  # recorded here while the other thread is inside no_grad
    release.set()
    th.join()
    assert y.record is not None and seen["worker"] is False


def test_grad_returns_tuple_and_leaves_dot_grad_alone():
    x, y = t64(2.0), t64(3.0)
    z = x * x * y
    gx, gy = tg.grad(z, [x, y])
    assert gx.item() == 12.0 and gy.item() == 4.0
    assert x.grad is None and y.grad is None


def test_grad_unused_input():
    x, y = t64(2.0), t64(3.0)
    with pytest.raises(ValueError, match="not used"):
        tg.grad(x * 2, [x, y])
    assert tg.grad(x * 2, [x, y], allow_unused=True)[1] is None


def test_grad_unused_input_fails_before_freeing_the_graph():
    x, y = t64(2.0), t64(3.0)
    z = x * x
    with pytest.raises(ValueError, match="input 1"):
        tg.grad(z, [x, y])
    z.backward()  # the failed call freed nothing
    assert x.grad.item() == 4.0
    h = x * 3
    with pytest.raises(ValueError, match="input 0"):
        tg.grad(x * 1.0, [h])  # an intermediate outside the graph


def test_grad_wrt_intermediate():
    x = t64(2.0)
    h = x * 3
    (g,) = tg.grad(h.square(), h)
    assert g.item() == 12.0


def test_backward_nonscalar_needs_grad():
    x = t64([1.0, 2.0])
    with pytest.raises(ValueError, match="scalar"):
        (x * 2).backward()
    (x * 2).backward(tg.tensor([1.0, -1.0], dtype="float64"))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -2.0])


def test_backward_wrong_grad_shape():
    x = t64([1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(np.ones(3))
    assert x.grad is None


def test_backward_without_grad_requirement():
    with pytest.raises(ValueError, match="does not require grad"):
        tg.tensor([1.0]).sum().backward()


def test_create_graph_gives_second_derivative():
    x = t64(1.5)
    y = x ** 4
    (g,) = tg.grad(y, x, create_graph=True)
    (h,) = tg.grad(g, x)
    assert g.item() == pytest.approx(4 * 1.5 ** 3) and h.item() == pytest.approx(12 * 1.5 ** 2)


@pytest.mark.parametrize("fn, second", [
    (lambda t: t.relu(), [0.0, 0.0, 0.0]),
    (lambda t: t.abs(), [0.0, 0.0, 0.0]),
    (lambda t: t.clip(-1.0, 2.0), [0.0, 0.0, 0.0]),
    (lambda t: tg.maximum(t, tg.zeros(3, dtype="float64")), [0.0, 0.0, 0.0]),
    # d/dx [x·relu'(x)·2x] for relu(x)²: 2 where x > 0 (the mask's own derivative is 0)
    (lambda t: t.relu() ** 2, [2.0, 0.0, 2.0]),
])
def test_gradient_of_a_piecewise_linear_rule_differentiates_again(fn, second):
    """A gradient taken with create_graph=True through relu, abs, clip or maximum depends on
    the input through its mask, whose derivative is 0: differentiating again gives the
    closed form (zeros for the linear pieces), not 'does not require grad'."""
    x = t64([1.0, -2.0, 3.0])
    (g,) = tg.grad(fn(x).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = tg.grad(g.sum(), x)
    assert h.tolist() == second


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # sqrt's rule at 0
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("fn, expected", [
    # sqrt'(0) = inf reaches the inactive units: PyTorch's rules give an exact 0 there
    # (threshold_backward, clamp's where, maximum's masked_fill), not inf · 0 = NaN. Where
    # the unit is active its gradient passes: inf at 0 for clip's bound (clamp passes its
    # bounds), half of inf at maximum's tie, a NaN upstream stays NaN
    (lambda t: t.relu().sqrt(), [0.0, 0.0, 0.5, 0.0]),
    (lambda t: t.clip(0.0, 4.0).sqrt(), [0.0, np.inf, 0.5, 0.0]),
    (lambda t: tg.maximum(t, 0.0).sqrt(), [0.0, np.inf, 0.5, 0.0]),
    (lambda t: (-tg.minimum(t, 0.0)).sqrt(), [-0.25, np.inf, 0.0, -1.0]),
    (lambda t: t.relu() * np.array([1, 1, 1, np.nan]), [0.0, 0.0, 1.0, 0.0]),
    (lambda t: tg.maximum(t, -10.0) * np.array([1, 1, np.nan, 1]), [1.0, 1.0, np.nan, 1.0]),
])
def test_an_inf_gradient_stops_at_an_inactive_unit(fn, expected, dtype, create_graph):
    """x = [-4, 0, 1, -0.25]: the gradient a piecewise-linear rule sends back is g where the unit
    is active and exactly 0 where it is not, whatever g is there (inf, NaN), as in PyTorch."""
    x = tg.tensor([-4.0, 0.0, 1.0, -0.25], dtype=dtype, requires_grad=True)
    y = fn(x)
    (g,) = tg.grad(y, x, grad_outputs=tg.ones_like(y), create_graph=create_graph)
    assert g.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(g.numpy(), np.array(expected, dtype=dtype))


@pytest.mark.parametrize("fn, expected", [
    (lambda a, b: a.relu(), ([1.0, 0.0, 1.0], None)),
    (lambda a, b: tg.maximum(a, b), ([1.0, 0.0, 1.0], [1.0, 1.0, 0.0])),
    (lambda a, b: tg.minimum(a, b), ([1.0, 1.0, 0.0], [1.0, 0.0, 1.0])),
    (lambda a, b: a.clip(-0.5, 0.5), ([0.0, 0.0, 0.0], None)),
])
def test_a_nan_input_gets_the_gradient_pytorchs_rules_give(fn, expected):
    """x = [NaN, -1, 2], y = 0: PyTorch's rules drop the gradient where the unit is off
    (relu's out <= 0, maximum's x < y, clamp's outside [lo, hi]), and NaN is never off in
    the first two (every comparison with NaN is false) but is never inside the third."""
    x = tg.tensor([np.nan, -1.0, 2.0], dtype="float64", requires_grad=True)
    y = tg.zeros(3, dtype="float64", requires_grad=True)
    out = fn(x, y)
    gx, gy = tg.grad(out, [x, y], grad_outputs=tg.ones_like(out), allow_unused=True)
    assert gx.tolist() == expected[0]
    assert (gy is None) if expected[1] is None else gy.tolist() == expected[1]


def test_backward_create_graph_records_grad():
    x = t64(2.0)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad
    (gg,) = tg.grad(x.grad, x)
    assert gg.item() == pytest.approx(12.0)


def test_backward_steps_walks_the_sweep_without_touching_grad():
    x, w, b = t64(2.0), t64(-1.0), t64(0.5)
    loss = (x * w + b - 1.0) ** 2
    steps = list(tg.backward_steps(loss))
    assert [s.record.op for s in steps] == ["pow", "sub", "add", "mul"]
    r = 2 * (2.0 * -1.0 + 0.5 - 1.0)  # dL/d(residual)
    assert steps[0].grad_output.item() == 1.0 and steps[0].grad_inputs[0].item() == r
    mul = steps[-1]
    assert mul.grad_output.item() == r
    assert [g.item() for g in mul.grad_inputs] == [r * -1.0, r * 2.0]
    assert x.grad is None
    loss.backward()  # the graph is still there
    assert w.grad.item() == r * 2.0


def test_backward_steps_checks_the_output_when_called():
    with pytest.raises(ValueError, match="backward_steps: the output does not require grad"):
        tg.backward_steps(tg.tensor(1.0) * 2)  # not only once iterated


def test_a_step_prints_on_one_line_with_inputs_named():
    """`print(step)` in a notebook: the gradient arriving, then what each input receives."""
    w = t64([1.0, 2.0, 3.0])
    w.name = "w"
    steps = list(tg.backward_steps((w * t64(np.full(3, 2.0))).sum()))
    seq = steps[1].record.seq
    assert repr(steps[0]) == f"sum #{seq + 1}: grad 1. -> input 0 (3,): [1. 1. 1.]"
    assert repr(steps[1]) == (f"mul #{seq}: grad [1. 1. 1.] -> w (3,): [2. 2. 2.], "
                              "input 1 (3,): [1. 2. 3.]")
    big = t64(np.ones((40, 40)))
    assert "\n" not in repr(next(tg.backward_steps((big @ big).sum())))


def test_tape_lists_records_with_scope():
    with tg.Tape() as tape:
        x = tg.tensor([1.0, 2.0], requires_grad=True, name="x")
        with tg.name_scope("layer", "Layer(2)"):
            y = (x * 2).sum()
    assert [r.op for r in tape.records] == ["mul", "sum"]
    assert tape.records[0].scope == ("layer",)
    text = repr(tape)
    assert "mul(x:2, scalar)" in text and "[layer]" in text
    y.backward()
    assert tape.records[0].output.grad is not None  # tapes retain intermediate grads


def test_hessian_and_hvp_closed_form():
    # the lecture's L(w1, w2) = (w1 w2 - 1.5)^2 + 0.04 (w1^2 + w2^2)
    def L(w):
        return (w[0] * w[1] - 1.5) ** 2 + 0.04 * (w[0] ** 2 + w[1] ** 2)

    w = tg.tensor([0.7, 1.3], dtype="float64")
    a, b = 0.7, 1.3
    H = np.array([[2 * b * b + 0.08, 4 * a * b - 3.0], [4 * a * b - 3.0, 2 * a * a + 0.08]])
    np.testing.assert_allclose(tg.hessian(L, w).numpy(), H, rtol=1e-12)
    v = np.array([0.3, -2.0])
    val, hv = tg.hvp(L, w, tg.tensor(v, dtype="float64"))
    np.testing.assert_allclose(hv.numpy(), H @ v, rtol=1e-12)
    assert val.item() == pytest.approx((a * b - 1.5) ** 2 + 0.04 * (a * a + b * b))
    (g,) = tg.grad(L(w.detach().requires_grad_()), w.detach().requires_grad_(), allow_unused=True)
    assert g is None  # a different leaf was not used


def test_hessian_of_linear_function_is_zero():
    h = tg.hessian(lambda x: (x * 3).sum(), tg.tensor([1.0, 2.0], dtype="float64"))
    assert h.shape == (2, 2) and not h.numpy().any()


@pytest.mark.filterwarnings("ignore:.*encountered:RuntimeWarning")  # numpy's, then ours
def test_detect_anomaly_forward_names_op_and_line():
    x = t64([1.0, -1.0])
    with tg.detect_anomaly(), pytest.raises(tg.TapeError, match=r"'log'.*test_tape.py") as e:
        x.log().sum()
    assert "NaN" in str(e.value)


@pytest.mark.filterwarnings("ignore:.*encountered:RuntimeWarning")  # numpy's, then ours
def test_detect_anomaly_backward():
    x = t64([0.0, 1.0])
    with tg.detect_anomaly():
        y = x.sqrt().sum()  # finite forward, infinite gradient at 0
        with pytest.raises(tg.TapeError, match="vjp of 'sqrt'"):
            y.backward()
    assert x.grad is None


def test_graph_is_freed_without_cycles():
    import gc
    import weakref

    gc.disable()
    try:
        x = t64(np.ones(3))
        y = x.exp()  # exp's record keeps its output y (its vjp reads it), sum's record keeps y
        ref = weakref.ref(y)
        z = y.sum()
        del y
        assert ref() is not None  # z's graph still needs y
        del z
        assert ref() is None  # reference counting alone freed it
    finally:
        gc.enable()


def test_values_backward_does_not_need_are_freed_during_the_forward():
    """x @ W before the bias is added, and the sum before relu, are read by no vjp: once the
    user drops them only their records remain, and backward is still exact."""
    import weakref

    rng = np.random.default_rng(0)
    x = t64(rng.standard_normal((100, 3)))  # activations above tape.SMALL_VALUES elements
    w = t64(rng.standard_normal((3, 50)), requires_grad=True)
    b = t64(rng.standard_normal(50), requires_grad=True)
    z = x @ w
    z_ref = weakref.ref(z)
    a = z + b
    a_ref = weakref.ref(a)
    del z
    assert z_ref() is None  # freed although the graph of `a` goes through it
    h = a.relu()  # relu's vjp reads its output, not its input
    del a
    assert a_ref() is None
    loss = (h * h).sum()
    loss.backward()
    xd, wd, bd = np.asarray(x), np.asarray(w), np.asarray(b)
    pre = xd @ wd + bd
    g = 2 * np.maximum(pre, 0) * (pre > 0)  # dL/da for L = sum(relu(a)^2)
    np.testing.assert_allclose(np.asarray(w.grad), xd.T @ g, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(b.grad), g.sum(axis=0), rtol=1e-12)


def test_reading_a_freed_value_raises_instead_of_showing_zeros():
    """A record's input that nobody kept is a stand-in with a shape and no values: reading it
    or computing with it says so (and how to keep it), never yields zeros."""
    from tapegrad.tape import is_freed

    rng = np.random.default_rng(0)
    w = t64(rng.standard_normal((50, 50)))
    loss = ((t64(rng.standard_normal((100, 50))) @ w + 1.0) ** 2).mean()
    add = loss.record.inputs[0].record.inputs[0].record
    assert add.op == "add"
    freed = add.inputs[0]  # x @ w: 5,000 elements, read by no vjp
    assert is_freed(freed) and freed.shape == (100, 50) and "freed" in repr(freed)
    for read in (freed.numpy, lambda: np.asarray(freed), lambda: freed.data, freed.tolist,
                 lambda: freed.sum(), lambda: freed * 2, lambda: freed[0],
                 lambda: freed.reshape(-1), lambda: freed.detach().numpy()):
        with pytest.raises(tg.TapeError, match=r"output of 'matmul'.*not kept.*tg.Tape"):
            read()
    loss.backward()  # the graph itself is untouched
    assert w.grad.shape == (50, 50)


def test_small_values_are_kept_for_display():
    """Values of at most tape.SMALL_VALUES elements stay in the records that read them, also
    after backward: a teaching graph drawn afterwards shows every number."""
    import weakref

    x = t64(np.ones((2, 2)), requires_grad=True)
    z = x @ x
    z_ref = weakref.ref(z)
    a = (z + 1).sum()
    del z
    a.backward()
    kept = z_ref()
    assert kept is not None and a.record.inputs[0].record.inputs[0] is kept
    np.testing.assert_array_equal(kept.numpy(), [[2.0, 2.0], [2.0, 2.0]])


def test_a_named_value_is_kept_for_display():
    """A name is a request to see the tensor: records keep it, before and after backward."""
    import weakref

    x = t64(np.ones((80, 80)), requires_grad=True)  # large: kept only for its name
    z = x @ x
    z.name = "z"
    z_ref = weakref.ref(z)
    a = (z + 1).sum()
    del z
    assert z_ref() is not None and a.record.inputs[0].record.inputs[0] is z_ref()
    a.backward()
    assert z_ref() is not None


def test_a_tape_keeps_every_value_for_display():
    import weakref

    x = t64(np.ones((2, 2)), requires_grad=True)
    with tg.Tape():
        z = x @ x
        z_ref = weakref.ref(z)
        a = z + 1
    del z
    assert z_ref() is not None and a.record.inputs[0] is z_ref()


def test_backward_lets_go_of_the_values_it_kept():
    """A loss kept after its backward (for logging, say) holds no activations: the records
    release what they saved for backward, and a second backward says so. Inside a Tape the
    values stay for display."""
    import weakref

    x = t64(np.ones((100, 3)))
    w = t64(np.full((3, 50), 0.01), requires_grad=True)
    h = (x @ w).tanh()  # kept by tanh's record (its vjp reads its output) and by h * h
    ref = weakref.ref(h)
    loss = (h * h).sum()
    del h
    assert ref() is not None
    loss.backward()
    assert ref() is None and w.grad is not None
    with pytest.raises(tg.TapeError, match="a second time"):
        loss.backward()
    with tg.Tape():
        h = (x @ w).tanh()
        loss = (h * h).sum()
    ref = weakref.ref(h)
    del h
    loss.backward()
    assert ref() is not None and loss.record.inputs[0].record.inputs[0] is ref()  # h * h


def test_graphs_kept_whole_during_the_sweep_are_released_after_it():
    """Under detect_anomaly the sweep keeps every value (a failure leaves the graph whole),
    and tg.grad(create_graph=True, retain_graph=False) records its gradient: in both, the
    graph's records are released once the sweep is done."""
    import weakref

    x = t64(np.ones((100, 3)))
    w = t64(np.full((3, 50), 0.01), requires_grad=True)

    def loss_and_ref():
        h = (x @ w).tanh()
        return (h * h).sum(), weakref.ref(h)

    loss, ref = loss_and_ref()
    with tg.detect_anomaly():
        loss.backward()
    assert ref() is None and w.grad is not None
    with pytest.raises(tg.TapeError, match="a second time"):
        loss.backward()
    loss, _ = loss_and_ref()
    (g,) = tg.grad(loss, w, create_graph=True, retain_graph=False)
    assert g.requires_grad  # (its own graph holds what a second derivative needs)
    with pytest.raises(tg.TapeError, match="a second time"):
        tg.grad(loss, w)


def test_backward_frees_each_layer_as_it_goes(monkeypatch):
    """The activation a record saved is freed as soon as that record's vjps have run, before
    the sweep reaches the layers below (PyTorch's order), while the gradients stay exact."""
    import weakref

    from tapegrad import ops

    rng = np.random.default_rng(1)
    x = t64(rng.standard_normal((100, 4)))
    w1 = t64(rng.standard_normal((4, 50)), requires_grad=True)  # h: 5,000 > SMALL_VALUES
    w2 = t64(rng.standard_normal((50, 2)), requires_grad=True)
    h = (x @ w1).relu()
    h_ref = weakref.ref(h)
    loss = ((h @ w2) ** 2).sum()
    del h
    events = []  # (op of each vjp run, whether h is gone by then), in the sweep's order

    def watching(prim):
        def wrap(fn):
            def rule(*args, **params):
                events.append((prim.name, h_ref() is None))
                return fn(*args, **params)
            return rule
        return tuple(None if fn is None else wrap(fn) for fn in prim.vjps)

    for prim in (ops.sum, ops.pow_scalar, ops.matmul, ops.relu):
        monkeypatch.setattr(prim, "vjps", watching(prim))
    loss.backward()
    # the matmul that saved h frees it after its two vjps; relu's vjp then reads h's values
    # from its record alone, and h itself is gone
    assert events == [("sum", False), ("pow", False), ("matmul", False), ("matmul", False),
                      ("relu", True), ("matmul", True), ("matmul", True)]
    xd, a, b = np.asarray(x), np.asarray(w1), np.asarray(w2)
    hd = np.maximum(xd @ a, 0)
    g = 2 * (hd @ b)
    np.testing.assert_allclose(np.asarray(w2.grad), hd.T @ g, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(w1.grad), xd.T @ ((g @ b.T) * (hd > 0)), rtol=1e-12)


def test_every_grad_has_storage_of_its_own():
    """As in PyTorch, editing one .grad in place changes no other gradient and not the
    gradient the caller passed in: the sweep may hand the same array (or views of one) to
    several inputs, or pass the caller's gradient through unchanged."""
    x = t64([1.0, 2.0])
    g_out = tg.tensor([1.0, 1.0], dtype="float64")
    (x + 0.0).backward(g_out)
    g_out.data[0] = 100.0
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    x = t64([1.0, 2.0])
    y = x.reshape(2, 1)
    y.retain_grad()
    (y * t64([[3.0], [4.0]])).sum().backward()
    with tg.no_grad():
        x.grad *= 0
    np.testing.assert_array_equal(y.grad.numpy(), [[3.0], [4.0]])
    a, b, c = t64([1.0, 2.0]), t64([3.0, 4.0]), t64([5.0, 6.0])
    ((a + b) * c).sum().backward(create_graph=True)
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    d, v = t64([1.0, 2.0]), tg.tensor([3.0, 4.0], dtype="float64")
    (d + 1.0).backward(v, create_graph=True)  # the caller's gradient passes through add
    assert not np.shares_memory(d.grad.numpy(), v.numpy())
    r = t64([[1.0, 2.0]])
    ((c + r.reshape(2)) * 2.0).sum().backward(create_graph=True)  # views of one gradient
    assert not np.shares_memory(c.grad.numpy(), r.grad.numpy())
    ga, gb = tg.grad(a + b, [a, b], grad_outputs=g_out)
    with tg.no_grad():
        ga *= 2  # writeable, and not gb's storage nor g_out's
    np.testing.assert_array_equal(gb.numpy(), [100.0, 1.0])
    np.testing.assert_array_equal(g_out.numpy(), [100.0, 1.0])
    (s,) = tg.grad(a.sum(), a)  # a read-only broadcast of the ones inside the engine
    with tg.no_grad():
        s *= 3
    np.testing.assert_array_equal(s.numpy(), [3.0, 3.0])


def test_gradients_given_must_match_the_outputs():
    x = t64([1.0, 2.0])
    with pytest.raises(TypeError, match="grad: output 0 must be a Tensor, got float"):
        tg.grad(3.0, x)
    with pytest.raises(TypeError, match="grad: input 1 must be a Tensor, got ndarray"):
        tg.grad(x.sum(), [x, np.ones(2)])
    with pytest.raises(ValueError, match="grad: 1 gradients given for 2 outputs"):
        tg.grad([x * 2, x.sum()], x, grad_outputs=[tg.ones(2)])
    with pytest.raises(TypeError, match=r"backward: .*numbers"):
        (x * 2).backward("a")
    assert x.grad is None


def test_a_grad_of_the_old_shape_is_not_broadcast_into_the_new():
    b = t64([1.0, 2.0])
    (b * 2).sum().backward()
    b.data = np.array([[1.0], [2.0]])
    loss = (b * 2).sum()
    with pytest.raises(tg.TapeError, match=r"\.grad of shape \(2,\).*set its .grad to None"):
        loss.backward()
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0])  # unchanged
    b.grad = None  # as the message says: the graph is still there
    loss.backward()
    np.testing.assert_array_equal(b.grad.numpy(), [[2.0], [2.0]])


def test_values_read_only_for_their_shape_are_neither_kept_nor_checked():
    """sum, mean, reshape, getitem, broadcast_to and cast need only their input's shape
    (and dtype) for backward: a later in-place change of the input is no error (PyTorch
    agrees), and a large input is freed once nobody holds it, also for higher order."""
    import weakref

    x = t64([1.0, 2.0, 3.0])
    h = x * 1
    z = h.sum() + h.mean() + h.reshape(3, 1).sum() + h[0:2].sum() + h.expand(2, 3).sum()
    with tg.no_grad():
        h += 1
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1 + 1 / 3 + 1 + 1 + 2] * 2 + [1 + 1 / 3 + 1 + 2])

    x = t64(np.linspace(-1.0, 1.0, 5000))
    h = x * x  # 5,000 values (more than tape.SMALL_VALUES): the sum does not keep them
    h_ref = weakref.ref(h)
    y = h.sum()
    del h
    assert h_ref() is None
    (g,) = tg.grad(y, x, create_graph=True)  # d/dx Σ x² = 2x, through sum's record
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy())
    (gg,) = tg.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.full(5000, 2.0))


def test_code_run_between_steps_records_as_usual():
    """A notebook looks at one step at a time: while a step is shown (or after the walk is
    abandoned) ops record and grad modes are the caller's, not the sweep's."""
    x = t64([1.0, 2.0])
    loss = (x * x).sum()
    steps = tg.backward_steps(loss)
    next(steps)
    assert (x * 3).requires_grad and tg.is_grad_enabled()
    with tg.no_grad():
        next(steps)
        assert not tg.is_grad_enabled()
        del steps  # dropped mid-walk, inside no_grad: the mode stays the caller's
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    np.testing.assert_array_equal(tg.maximum(np.array([0.0, 5.0]), x).numpy(), [1.0, 5.0])


def test_replacing_data_by_another_shape_is_an_error_naming_the_op():
    """Shapes are recorded for the rules that read only shapes; an input whose data was then
    replaced by an array of another shape cannot take the gradient: a TapeError says so."""
    x = t64([1.0, 1.0, 1.0])
    y = x.sum()
    x.data = np.ones(5)
    with pytest.raises(tg.TapeError, match=r"'sum' .* shape \(3,\), but the input now has "
                                           r"shape \(5,\)"):
        y.backward()
    assert x.grad is None


def test_a_second_backward_adds_into_the_grad_there_is():
    """As in PyTorch: a reference to .grad kept across backward calls sees the sum, and a
    record that saved the old .grad is caught."""
    x = t64([1.0, 2.0])
    (x * x).sum().backward()
    kept = x.grad
    (x * 3.0).sum().backward()
    assert x.grad is kept
    np.testing.assert_array_equal(kept.numpy(), [5.0, 7.0])
    w = t64([1.0, 1.0])
    uses_grad = (kept * w).sum()  # saves kept for w's gradient
    (x * 1.0).sum().backward()
    with pytest.raises(tg.TapeError, match="changed in place"):
        uses_grad.backward()
