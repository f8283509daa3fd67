"""PyTorch spellings added to the engine: factories, shape and sorting methods, cumsum,
einsum and its relatives. Gradients in float64 by tg.gradcheck, values against numpy."""

import numpy as np
import pytest

import tapegrad as tg


# ---------------------------------------------------------------------- factories
def test_random_factories_draw_from_tapegrads_generator():
    def draw():
        tg.manual_seed(7)
        return [tg.randn_like(tg.zeros(2, 3)), tg.rand_like(tg.zeros(4, dtype="float64")),
                tg.randint(0, 10, (5,)), tg.randint(3, (2, 2)), tg.randperm(6),
                tg.normal(1.0, 2.0, (3,)), tg.normal(tg.zeros(2), tg.ones(2))]

    first, again = draw(), draw()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    randn_like, rand_like, randint, randint_high, perm, normal, normal_t = first
    assert randn_like.shape == (2, 3) and randn_like.dtype == np.float32
    assert rand_like.dtype == np.float64 and ((0 <= rand_like.numpy()) & (rand_like.numpy() < 1)
                                              ).all()
    assert randint.dtype == np.int64 and ((0 <= randint.numpy()) & (randint.numpy() < 10)).all()
    assert randint_high.shape == (2, 2) and (randint_high.numpy() < 3).all()
    assert sorted(perm.tolist()) == list(range(6)) and perm.dtype == np.int64
    assert normal.shape == (3,) and normal.dtype == np.float32 and normal_t.shape == (2,)


def test_factory_keywords_and_plain_factories():
    x = tg.randn_like(tg.zeros(3), dtype="float64", requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf
    assert tg.normal(tg.zeros(2, dtype="float64"), 1.0).dtype == np.float64
    assert tg.randint(0, 4, 3, dtype="float32").dtype == np.float32
    f = tg.full_like(tg.zeros((2, 2), dtype="int64"), 3)
    assert f.dtype == np.int64 and f.tolist() == [[3, 3], [3, 3]]
    assert tg.full_like(tg.zeros(2), 0.5, requires_grad=True).requires_grad
    e = tg.empty(2, 3)  # zeros: PyTorch leaves it uninitialized
    assert e.shape == (2, 3) and e.dtype == np.float32 and not e.numpy().any()
    assert tg.empty((1,), dtype="float64").dtype == np.float64
    assert tg.is_tensor(e) and not tg.is_tensor(e.numpy())
    assert tg.get_default_dtype() == np.float32 == tg.tensor(1.0).dtype


@pytest.mark.parametrize("call, error, match", [
    (lambda: tg.randint(5, 3, (2,)), ValueError, "low must be below high"),
    (lambda: tg.randint(3), TypeError, "size"),
    (lambda: tg.randint(0.5, 3, (2,)), TypeError, "low"),
    (lambda: tg.randint(0, 3, (2,), requires_grad=True), TypeError, "floating"),
    (lambda: tg.randperm(-1), ValueError, "n must be"),
    (lambda: tg.rand_like(tg.zeros(2, dtype="int64")), TypeError, "rand_like"),
    (lambda: tg.randn(2, dtype="int64"), TypeError, "randn"),
    (lambda: tg.normal(0.0, -1.0, (2,)), ValueError, "std"),
    (lambda: tg.normal(tg.zeros(3), 1.0, (2,)), ValueError, r"\(3,\)"),
    (lambda: tg.empty(-1), ValueError, "empty"),
    # values the dtype cannot hold are refused, not wrapped (0 .. 4 as bools were all True)
    (lambda: tg.randint(0, 5, (3,), dtype="bool"), ValueError, r"randint: values 0 \.\. 4 do "
     "not fit dtype bool"),
    (lambda: tg.randint(0, 300, (3,), dtype="int8"), ValueError, "randint: .* int8"),
    (lambda: tg.randperm(3, dtype="bool"), TypeError, "randperm: .* cannot be bool"),
    (lambda: tg.randperm(300, dtype="uint8"), ValueError, "randperm: .* uint8"),
])
def test_factory_errors_change_no_state(call, error, match):
    state = tg.get_rng_state()
    with pytest.raises(error, match=match):
        call()
    assert tg.get_rng_state() == state


# ---------------------------------------------------------------------- shape and order
def _f64(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def _second_order(fn):
    """x -> the gradient of Σ fn(x)² at x, recorded: gradcheck of it checks fn's second
    derivatives (the vjps differentiated again)."""
    def grad_of(x):
        (g,) = tg.grad((fn(x) ** 2).sum(), x, create_graph=True)
        return g
    return grad_of


def test_as_methods():
    x, y = tg.arange(6.0), tg.zeros((2, 3), dtype="float64")
    assert x.view_as(y).shape == (2, 3) and x.reshape_as(y).shape == (2, 3)
    assert tg.ones(3).expand_as(y).shape == (2, 3)
    assert x.type_as(y).dtype == np.float64
    assert x.type_as(tg.zeros(1, dtype="int64")).dtype == np.int64
    with pytest.raises(TypeError, match="view_as"):
        x.view_as((2, 3))
    w = _f64(3)
    tg.gradcheck(lambda w: w.expand_as(tg.zeros(2, 3)) * tg.arange(6.0).reshape(2, 3).double(), w)


def test_flip_and_roll_values_and_gradients():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = tg.tensor(a)
    np.testing.assert_array_equal(t.flip(0).numpy(), a[::-1])
    np.testing.assert_array_equal(t.flip((0, 2)).numpy(), a[::-1, :, ::-1])
    np.testing.assert_array_equal(t.flip(-1, 1).numpy(), a[:, ::-1, ::-1])
    np.testing.assert_array_equal(tg.flip(t, 1).numpy(), np.flip(a, 1))
    flipped = t.flip(0)
    flipped.data[0, 0, 0] = -1  # a copy, as PyTorch's
    assert a[0, 0, 0] == 0 and t.numpy()[0, 0, 0] == 0
    for shifts, dims in ((1, 0), (-5, 2), ((1, 2), (1, 2)), (7, None), (3, 1)):
        np.testing.assert_array_equal(t.roll(shifts, dims).numpy(), np.roll(a, shifts, dims))
    x = _f64(3, 4)
    assert tg.gradcheck(lambda x: x.flip((0, 1)) * tg.arange(12.0).reshape(3, 4).double(), x)
    assert tg.gradcheck(lambda x: x.roll((1, -1), (0, 1)) ** 2, x)
    assert tg.gradcheck(lambda x: x.roll(5) * x, x)
    with pytest.raises(ValueError, match="repeated axis"):
        t.flip(0, 0)
    with pytest.raises(TypeError, match="flip"):
        t.flip()
    with pytest.raises(TypeError, match="one integer shift per dim"):
        t.roll((1, 2), 0)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_argsort_and_sort_are_stable_like_numpy(dim, descending):
    a = np.array([[3.0, 1.0, 3.0, np.nan, 0.0], [2.0, 2.0, -1.0, 5.0, 2.0]])
    idx = np.argsort(-a if descending else a, axis=dim, kind="stable")
    if descending:  # NaN counts as the largest: first when descending
        idx = np.argsort(np.where(np.isnan(a), -np.inf, -a), axis=dim, kind="stable")
    t = tg.tensor(a)
    np.testing.assert_array_equal(t.argsort(dim, descending).numpy(), idx)
    values, indices = t.sort(dim, descending=descending)
    np.testing.assert_array_equal(indices.numpy(), idx)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, idx, dim))
    assert indices.dtype == np.int64 and tg.sort(t, dim).indices.shape == a.shape


def test_sort_and_topk_values_are_differentiable():
    x = _f64(3, 5)
    assert tg.gradcheck(lambda x: x.sort(1).values * tg.arange(5.0).double(), x)
    assert tg.gradcheck(lambda x: x.sort(0, descending=True)[0] ** 3, x)
    assert tg.gradcheck(lambda x: x.topk(2, dim=1).values.exp(), x)
    assert tg.gradcheck(lambda x: x.topk(2, dim=0, largest=False)[0] * 3, x)
    b = np.random.default_rng(1).standard_normal((4, 6))
    values, indices = tg.tensor(b).topk(3)
    np.testing.assert_array_equal(indices.numpy(), np.argsort(-b, axis=1)[:, :3])
    np.testing.assert_array_equal(values.numpy(), -np.sort(-b, axis=1)[:, :3])
    assert tg.topk(tg.tensor(b), 0, 0).values.shape == (0, 6)
    with pytest.raises(ValueError, match=r"topk: k must be an int in \[0, 6\]"):
        tg.tensor(b).topk(7)


def test_topk_and_gather_of_a_0d_tensor_read_it_as_one_element():
    """As in PyTorch: a 0-d tensor is its own top value, and gathers with a 0-d or 1-D index
    of zeros; the gradient of the gathered copies adds up."""
    x = tg.tensor(3.0, dtype="float64", requires_grad=True)
    values, indices = x.topk(1)
    assert values.shape == () and values.item() == 3.0 and indices.item() == 0
    assert x.topk(1, dim=0, largest=False).values.item() == 3.0
    y = x.gather(0, tg.tensor([0, 0, 0]))
    assert y.tolist() == [3.0, 3.0, 3.0] and x.gather(-1, tg.tensor(0)).shape == ()
    (y * tg.tensor([1.0, 2.0, 4.0], dtype="float64")).sum().backward()
    assert x.grad.item() == 7.0
    with pytest.raises(ValueError, match=r"topk: k must be an int in \[0, 1\]"):
        x.topk(2)
    with pytest.raises(tg.TapegradIndexError, match="gather: index 1 is out of range"):
        x.gather(0, tg.tensor([1]))
    with pytest.raises(tg.ShapeError, match="gather: axis 1 is out of range for a 0-d"):
        x.gather(1, tg.tensor(0))


def test_cumsum_values_and_first_and_second_order_gradients():
    a = np.random.default_rng(2).standard_normal((3, 4))
    for d in (0, 1, -1):
        np.testing.assert_allclose(tg.tensor(a).cumsum(d).numpy(), np.cumsum(a, d))
    assert tg.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert tg.cumsum(tg.tensor(2.0), 0).item() == 2.0
    x = _f64(3, 4)
    assert tg.gradcheck(lambda x: x.cumsum(1) * tg.arange(12.0).reshape(3, 4).double(), x)
    assert tg.gradcheck(lambda x: x.cumsum(0).exp(), x)
    assert tg.gradcheck(_second_order(lambda x: x.cumsum(1).sin()), x)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        tg.tensor(a).cumsum(2)


def test_detach_in_place_and_data_ptr():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    assert w.detach_() is w and not w.requires_grad
    h = _f64(2) * 2
    with pytest.raises(tg.TapeError, match="t = t.detach()"):
        h.detach_()
    assert h.requires_grad
    t = tg.arange(6.0)
    assert t.data_ptr() == t.reshape(2, 3).data_ptr() == t.detach().data_ptr()
    assert t[1:].data_ptr() == t.data_ptr() + 4 and t.clone().data_ptr() != t.data_ptr()


# ---------------------------------------------------------------------- einsum and relatives
EINSUMS = [
    ("ij,jk->ik", (2, 3), (3, 4)), ("ii->i", (3, 3)), ("ii", (3, 3)), ("ij->", (2, 3)),
    ("ji", (2, 3)), ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)), ("...ij,...jk", (5, 2, 3), (3, 4)),
    ("...ij->...ji", (2, 3, 4)), ("i,i->", (3,), (3,)), ("i,j->ij", (3,), (2,)),
    ("ij,ij->ij", (1, 3), (2, 3)), ("iij->ij", (2, 2, 3)), ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    ("ab, b -> a", (2, 3), (3,)),
    # a letter of size n in one operand and 1 in the other (broadcast): the gradient of the
    # size-n operand is broadcast back to n, that of the size-1 one summed
    ("i,i->", (3,), (1,)), ("ij,jk->ik", (2, 1), (3, 4)), ("i,i->i", (1,), (0,)),
]


@pytest.mark.parametrize("spec, shapes", [(c[0], c[1:]) for c in EINSUMS],
                         ids=[c[0] for c in EINSUMS])
def test_einsum_values_and_first_and_second_order_gradients(spec, shapes):
    xs = [_f64(*s, seed=k) for k, s in enumerate(shapes)]
    out = tg.einsum(spec, *xs)
    np.testing.assert_allclose(out.numpy(), np.einsum(spec, *[x.numpy() for x in xs]),
                               atol=1e-12)
    assert len(out.record.inputs) == len(xs) and out.record.op == "einsum"  # one record
    assert tg.gradcheck(lambda *a: tg.einsum(spec, *a), xs)
    assert tg.gradcheck(lambda *a: tg.grad((tg.einsum(spec, *a) ** 2).sum(), list(a),
                                           create_graph=True), xs)


def test_einsum_takes_a_list_and_checks_saved_operands():
    a, b = _f64(2, 3), _f64(3, seed=1)
    np.testing.assert_allclose(tg.einsum("ij,j", [a, b]).numpy(), a.numpy() @ b.numpy())
    y = tg.einsum("ij,j->i", a, b).sum()
    with tg.no_grad():
        b.data[0] = 5.0
    with pytest.raises(tg.TapeError, match="einsum"):
        y.backward()


@pytest.mark.parametrize("spec, shapes, match", [
    ("ij,jk", [(2, 3), (4, 2)], r"einsum: .*\(2, 3\) and \(4, 2\)"),
    ("ij", [(2,)], r"'ij' do not fit shape \(2,\)"),
    ("ij,jk", [(2, 3)], "2 operand subscripts for 1 tensors"),
    ("i-j", [(2,)], "subscripts are letters"),
    ("ij->k", [(2, 2)], "einsum"),
    ("ii", [(2, 3)], r"einsum: .*\(2, 3\)"),
])
def test_einsum_errors_name_the_op_and_shapes(spec, shapes, match):
    x = tg.ones(*shapes[0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        tg.einsum(spec, x, *[tg.ones(*s) for s in shapes[1:]])
    assert x.grad is None


@pytest.mark.parametrize("k", [-4, -1, 0, 2, 6])
def test_diag_tril_triu_trace_outer(k):
    a, v = np.random.default_rng(3).standard_normal((3, 5)), np.arange(1.0, 5.0)
    np.testing.assert_array_equal(tg.diag(tg.tensor(a), k).numpy(), np.diag(a, k))
    np.testing.assert_array_equal(tg.tensor(v).diag(k).numpy(), np.diag(v, k))
    np.testing.assert_array_equal(tg.tril(tg.tensor(a), k).numpy(), np.tril(a, k))
    np.testing.assert_array_equal(tg.tensor(a).triu(k).numpy(), np.triu(a, k))
    batch = np.arange(18.0).reshape(2, 3, 3)
    np.testing.assert_array_equal(tg.tril(tg.tensor(batch), k).numpy(), np.tril(batch, k))
    x, w = _f64(3, 5), _f64(4)
    assert tg.gradcheck(lambda x: tg.diag(x, k) * 2, x)
    assert tg.gradcheck(lambda w: tg.diag(w, k) ** 2, w)
    assert tg.gradcheck(lambda x: x.tril(k).exp() + x.triu(k), x)


def test_trace_and_outer():
    a = np.random.default_rng(4).standard_normal((3, 4))
    assert tg.trace(tg.tensor(a)).item() == pytest.approx(np.trace(a))
    np.testing.assert_array_equal(tg.outer(tg.tensor(a[0]), a[1]).numpy(), np.outer(a[0], a[1]))
    x, y = _f64(4), _f64(3, seed=1)
    assert tg.gradcheck(lambda x, y: tg.outer(x, y), [x, y])
    assert tg.gradcheck(lambda m: m.trace(), _f64(3, 4))
    with pytest.raises(ValueError, match=r"outer: needs two 1-D tensors, got shapes \(3, 4\)"):
        tg.outer(tg.tensor(a), x)
    with pytest.raises(ValueError, match=r"trace: needs a 2-D tensor"):
        x.trace()
    with pytest.raises(ValueError, match=r"tril: needs at least 2 axes"):
        x.tril()
    with pytest.raises(ValueError, match=r"diag: needs a 1-D or 2-D tensor"):
        tg.ones(2, 2, 2).diag()


def test_randint_fills_a_small_dtype_within_its_range():
    tg.manual_seed(0)
    bits = tg.randint(0, 2, (200,), dtype="bool")
    assert bits.dtype == np.bool_ and 0 < bits.numpy().sum() < 200  # both values drawn
    assert sorted(tg.randperm(256, dtype="uint8").tolist()) == list(range(256))
    assert tg.randperm(0).shape == (0,) and tg.randperm(0, dtype="int8").dtype == np.int8


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float32"])
def test_tril_triu_keep_the_dtype(dtype):
    a = np.arange(1, 10).reshape(3, 3).astype(dtype)  # a bool tensor became int64
    assert tg.tensor(a).tril().dtype == dtype and tg.tensor(a).triu(1).dtype == dtype
    np.testing.assert_array_equal(tg.tensor(a).tril(-1).numpy(), np.tril(a, -1))
    np.testing.assert_array_equal(tg.tensor(a).triu().numpy(), np.triu(a))


def test_cumsum_of_a_0d_tensor_checks_dim():
    assert tg.tensor(2.0).cumsum(-1).item() == 2.0
    with pytest.raises(ValueError, match="cumsum: axis 1 is out of range for a 0-d"):
        tg.tensor(2.0).cumsum(1)


def test_einsum_refuses_a_repeated_subscript_of_two_sizes():
    # numpy's einsum reads 'ii->i' of shape (0, 1) as one uninitialized value
    with pytest.raises(ValueError, match=r"einsum: subscript 'i' is repeated in 'ii' with sizes "
                       r"0 and 1 \(einsum\('ii->i'\) of shapes \(0, 1\)"):
        tg.einsum("ii->i", tg.ones(0, 1))
