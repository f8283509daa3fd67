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


# ---------------------------------------------------------------------- the Tensor tail
# (name, numpy's function, domain of the test inputs)
UNARY = [
    ("log2", np.log2, (0.1, 5)), ("log10", np.log10, (0.1, 5)), ("expm1", np.expm1, (-3, 3)),
    ("exp2", np.exp2, (-3, 3)), ("tan", np.tan, (-1.2, 1.2)), ("asin", np.arcsin, (-0.9, 0.9)),
    ("acos", np.arccos, (-0.9, 0.9)), ("atan", np.arctan, (-3, 3)), ("sinh", np.sinh, (-3, 3)),
    ("cosh", np.cosh, (-3, 3)), ("asinh", np.arcsinh, (-3, 3)),
    ("atanh", np.arctanh, (-0.9, 0.9)),
]


@pytest.mark.parametrize("name, fn, domain", UNARY, ids=[u[0] for u in UNARY])
def test_float_functions_values_dtypes_and_gradients(name, fn, domain):
    a = np.random.default_rng(5).uniform(*domain, (3, 4))
    np.testing.assert_array_equal(getattr(tg, name)(tg.tensor(a)).numpy(), fn(a))
    f32 = getattr(tg.tensor(a, dtype="float32"), name)()
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32.numpy(), fn(a.astype(np.float32)))
    k = [1, 2] if domain[0] > 0 else [0, 1] if domain[1] > 1 else [0]
    ints = getattr(tg.tensor(k), name)()  # integers compute in float32, as in PyTorch
    assert ints.dtype == np.float32
    np.testing.assert_array_equal(ints.numpy(), fn(np.array(k, np.float32)))
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda x: getattr(x, name)(), x)
    assert tg.gradcheck(_second_order(lambda x: getattr(x, name)()), x)


def test_expm1_and_log2_log10_are_exact_where_compositions_round():
    assert tg.tensor(1e-10, dtype="float64").expm1().item() == np.expm1(1e-10)  # exp − 1: 0
    powers = tg.tensor([1.0, 8.0, 1024.0, 2.0 ** -20])
    assert powers.log2().tolist() == [0.0, 3.0, 10.0, -20.0]
    assert tg.tensor([1.0, 1000.0, 1e-5]).log10().tolist() == [0.0, 3.0, -5.0]
    assert tg.exp2(tg.tensor([10, -1])).tolist() == [1024.0, 0.5]


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_values_and_zero_gradients(name):
    a = np.array([[-2.5, -1.5, -0.5, 0.0], [0.5, 1.5, 2.5, 2.7]])
    x = tg.tensor(a, requires_grad=True)
    y = getattr(x, name)()
    np.testing.assert_array_equal(y.numpy(), getattr(np, name)(a))  # round: half to even
    assert y.requires_grad and y.dtype == np.float64  # as in PyTorch: gradient 0, not none
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(a))
    # d/dx (round(x)·x) = round(x)
    (g,) = tg.grad((getattr(x, name)() * x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), getattr(np, name)(a))
    ints = tg.tensor([3, -2])
    out = getattr(tg, name)(ints)
    assert out.dtype == np.int64 and out.tolist() == [3, -2] and out.data_ptr() != ints.data_ptr()
    with pytest.raises(TypeError, match=f"{name}: not defined for bool"):
        getattr(tg.tensor([True]), name)()


def test_round_decimals_and_frac():
    a = np.array([1.2345, -2.675, 125.0, 0.125])
    for d in (-1, 0, 2, 3):
        np.testing.assert_array_equal(tg.tensor(a).round(decimals=d).numpy(), np.round(a, d))
    assert tg.round(tg.tensor([0.125]), 2).dtype == np.float32
    with pytest.raises(TypeError, match="round: decimals=1 needs a floating tensor"):
        tg.tensor([1, 2]).round(decimals=1)
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        tg.tensor([1.0]).round(1.5)
    np.testing.assert_array_equal(tg.frac(tg.tensor(a)).numpy(), a - np.trunc(a))
    assert tg.tensor([-1.5, 2.25]).frac().tolist() == [-0.5, 0.25]
    x = _f64(3, 4)
    assert tg.gradcheck(lambda x: (x * 3).frac() * x, x)  # gradient 1 (away from integers)
    with pytest.raises(TypeError, match="frac: needs a floating tensor, got int64"):
        tg.tensor([1, 2]).frac()


@pytest.mark.filterwarnings("error")
def test_round_decimals_of_float16_computes_in_float32_quietly():
    """PyTorch rounds half in float32: in float16, 10^5 is inf and 7000·10 already is, so
    rounding there gave inf (and 125 → 124.9375 at 2 decimals)."""
    a = np.array([7000.0, 125.0, 1.5, -2.25, 0.125], np.float16)
    for d in (3, 5, 8):  # each value has at most 3 decimals: unchanged
        out = tg.tensor(a).round(decimals=d)
        assert out.dtype == np.float16 and out.tolist() == a.tolist()
    assert tg.tensor(a).round(decimals=-1).tolist() == [7000.0, 120.0, 0.0, -0.0, 0.0]
    b = np.random.default_rng(8).uniform(-60000, 60000, 1000).astype(np.float16)
    for d in (-4, -2, 1, 2):
        np.testing.assert_array_equal(tg.tensor(b).round(decimals=d).numpy(),
                                      np.round(b.astype(np.float32), d).astype(np.float16))
    # a·10^d past float32's range: inf, as in PyTorch, and no numpy warning
    assert tg.tensor([3e38, -3e38]).round(decimals=2).tolist() == [np.inf, -np.inf]


def _with_zeros(zeros, seed=0):
    a = np.random.default_rng(seed).uniform(0.5, 1.5, (3, 4)) * np.array([1, -1, 1, -1])
    a[0, :zeros] = 0.0  # row 0 holds `zeros` zeros, column 0 (for dim 0) one if any
    return a


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (0, False), (1, True), (-1, False),
                                          ((0, 1), True)])
def test_prod_values_and_gradients_with_zeros(zeros, dim, keepdim):
    a = _with_zeros(zeros)
    axis = dim
    np.testing.assert_allclose(tg.tensor(a).prod(dim, keepdim).numpy(),
                               np.prod(a, axis=axis, keepdims=keepdim), rtol=1e-15)
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda x: x.prod(dim, keepdim), x)
    assert tg.gradcheck(_second_order(lambda x: x.prod(dim, keepdim)), x)


def test_prod_gradient_at_zeros_is_the_product_of_the_others():
    """PyTorch's rule: one zero in a slice gets the product of the others, the rest 0; two
    zeros make the whole slice's gradient 0 (no 0/0 on the way)."""
    x = tg.tensor([[2.0, 0.0, 3.0], [2.0, 0.0, 0.0], [2.0, 4.0, 3.0]], requires_grad=True)
    x.prod(1).sum().backward()
    assert x.grad.tolist() == [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [12.0, 6.0, 8.0]]
    y = tg.tensor([0.0, 0.0, 5.0], dtype="float64", requires_grad=True)
    (g,) = tg.grad(y.prod(), y, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 0.0]
    (h,) = tg.grad(g[0], y)  # ∂²/∂y0∂y1 of y0·y1·y2 = y2
    assert h.tolist() == [0.0, 5.0, 0.0]


@pytest.mark.filterwarnings("error")
def test_prod_gradient_beside_a_zero_is_0_when_the_others_overflow():
    """Π_{j≠k} x_j for an x_k beside a zero is 0, even where the product of the nonzero
    entries overflows (it was inf/x_k·0 = NaN); and NaN where another entry is inf or NaN
    (0·inf), as the exact product and PyTorch give."""
    for a, dtype in (([0.0, 300.0, 300.0], "float16"), ([0.0, 1e20, 1e20], "float32"),
                     ([0.0, 1e200, 1e200], "float64")):
        x = tg.tensor(np.array(a), dtype=dtype, requires_grad=True)
        x.prod().backward()
        expected = [np.inf if v == 0 else 0.0 for v in a]  # the zero's: 300² etc., past range
        assert x.grad.dtype == np.dtype(dtype) and x.grad.tolist() == expected
    x = tg.tensor([[np.nan, 0.0, 2.0], [np.inf, 0.0, 2.0], [0.0, 1e200, 1e200]],
                  dtype="float64", requires_grad=True)
    with np.errstate(invalid="ignore"):  # inf · 0 in the forward
        y = x.prod(1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, np.nan, np.nan],
                                                   [0.0, np.inf, np.nan], [np.inf, 0.0, 0.0]])
    x = tg.tensor([0.0, 1e200, 1e200, 0.0], dtype="float64", requires_grad=True)
    (g,) = tg.grad(x.prod(), x, create_graph=True)  # the recorded rule: the same values
    assert g.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_prod_dtypes_and_empty_slices():
    assert tg.tensor([2, 3], dtype="int32").prod().dtype == np.int64  # as in PyTorch
    assert tg.tensor([True, True]).prod().item() == 1 and tg.tensor([True]).prod().dtype == np.int64
    assert tg.tensor(np.array([200, 2], np.uint8)).prod().item() == 400
    assert tg.tensor([2.0, 3.0], dtype="float16").prod().dtype == np.float16
    assert tg.ones(0).prod().item() == 1.0 and tg.zeros(0, 3).prod(0).tolist() == [1.0] * 3
    assert tg.prod(tg.tensor(3.0), 0).item() == 3.0
    x = tg.zeros(0, 2, requires_grad=True)
    x.prod(0).sum().backward()
    assert x.grad.shape == (0, 2)
    with pytest.raises(ValueError, match="prod: axis 2 is out of range for a 2-d"):
        x.prod(2)


@pytest.mark.parametrize("ddof", [0, 1])
def test_var_mean_and_std_mean(ddof):
    a = np.random.default_rng(6).standard_normal((3, 5))
    v, m = tg.var_mean(tg.tensor(a), dim=1, keepdim=True, correction=ddof)
    np.testing.assert_allclose(v.numpy(), a.var(axis=1, ddof=ddof, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(m.numpy(), a.mean(axis=1, keepdims=True), rtol=1e-14)
    s, m = tg.tensor(a).std_mean(0, ddof=ddof)
    np.testing.assert_allclose(s.numpy(), a.std(axis=0, ddof=ddof), rtol=1e-14)
    np.testing.assert_allclose(m.numpy(), a.mean(axis=0), rtol=1e-14)
    x = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda x: tg.std_mean(x, 1, ddof=ddof)[0] + x.var_mean(1)[1], x)


def test_var_mean_defaults_to_ddof_0_like_var():
    a = np.array([1.0, 2.0, 4.0])
    v, m = tg.tensor(a).var_mean()
    assert v.item() == pytest.approx(a.var()) and m.item() == pytest.approx(a.mean())
    assert tg.tensor(a).var_mean(unbiased=True)[0].item() == pytest.approx(a.var(ddof=1))
    with pytest.raises(TypeError, match="std_mean: got ddof=1 and correction=1"):
        tg.tensor(a).std_mean(ddof=1, correction=1)


def test_logical_functions_are_bool_and_broadcast():
    a, b = np.array([[0.0, 1.5, -2.0]]), np.array([[1], [0]])
    for name in ("logical_and", "logical_or", "logical_xor"):
        out = getattr(tg, name)(tg.tensor(a, requires_grad=True), tg.tensor(b))
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
    assert tg.logical_not(tg.tensor([0, 3])).tolist() == [True, False]
    assert tg.tensor([True, False]).logical_and([True, True]).tolist() == [True, False]
    with pytest.raises(ValueError, match=r"logical_or: shapes \(1, 3\) and \(2,\) do not"):
        tg.tensor(a).logical_or(tg.tensor([1, 0]))


def test_tensor_where_and_masked_select():
    x = _f64(2, 3)
    c = np.array([[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(x.where(c, 0.0).numpy(), np.where(c, x.numpy(), 0.0))
    assert tg.gradcheck(lambda x, y: x.where(tg.tensor(c), y) * x, [x, _f64(3, seed=1)])
    np.testing.assert_array_equal(tg.masked_select(x, c).numpy(), x.numpy()[c])
    row = np.array([True, False, True])  # broadcast: x's shape
    np.testing.assert_array_equal(x.masked_select(row).numpy(), x.numpy()[:, row].ravel())
    big = np.array([[[True]], [[False]]])  # broadcast: the mask's shape, (2, 2, 3)
    assert x.masked_select(big).shape == (6,)
    assert tg.gradcheck(lambda x: x.masked_select(tg.tensor(big)) ** 2, x)
    with pytest.raises(TypeError, match="where: condition must be boolean, got int64"):
        x.where(np.ones((2, 3), int), 0.0)
    with pytest.raises(TypeError, match="masked_select: mask must be boolean"):
        x.masked_select([1, 0, 1])
    with pytest.raises(ValueError, match=r"masked_select: mask shape \(2,\) does not"):
        x.masked_select(np.array([True, False]))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_add_values_and_gradients(dim):
    rng = np.random.default_rng(7)
    s, src = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    index = rng.integers(0, s.shape[dim], (2, 3))  # repeated positions add up
    expected = s.copy()
    for (i, j), k in np.ndenumerate(index):
        expected[(k, j) if dim == 0 else (i, k)] += src[i, j]
    out = tg.tensor(s).scatter_add(dim, tg.tensor(index), tg.tensor(src))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15)
    assert tg.gradcheck(lambda s, src: tg.scatter_add(s, dim, index, src) ** 2,
                        [_f64(3, 4), _f64(4, 5, seed=1)])


@pytest.mark.parametrize("call, error, match", [
    (lambda s: s.scatter_add(0, [[0.0]], s), TypeError, "index must be integers"),
    (lambda s: s.scatter_add(0, [[0]], s.float()), TypeError, "src must have the tensor's"),
    (lambda s: s.scatter_add(0, [[0]], [[1.0]]), TypeError, "src must be a Tensor"),
    (lambda s: s.scatter_add(0, [0], s), ValueError, r"index of shape \(1,\) does not fit"),
    (lambda s: s.scatter_add(0, [[0, 0, 0, 0]], s), ValueError, "does not fit"),
    (lambda s: s.scatter_add(1, [[3]], s), IndexError, "index 3 is out of range for axis 1"),
    (lambda s: s.scatter_add(2, [[0]], s), ValueError, "axis 2 is out of range"),
])
def test_scatter_add_errors(call, error, match):
    with pytest.raises(error, match=f"scatter_add: .*{match}"):
        call(tg.zeros(2, 3, dtype="float64"))


def test_multinomial_draws_repeat_and_follow_the_weights():
    w = tg.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 1.0, 1.0]])
    tg.manual_seed(3)
    first = tg.multinomial(w, 2000, replacement=True)
    tg.manual_seed(3)
    assert first.dtype == np.int64 and first.shape == (2, 2000)
    np.testing.assert_array_equal(first.numpy(), w.multinomial(2000, True).numpy())
    counts = np.stack([np.bincount(r, minlength=4) for r in first.numpy()]) / 2000
    np.testing.assert_allclose(counts, w.numpy() / w.numpy().sum(1, keepdims=True), atol=0.04)
    tg.manual_seed(4)
    once = tg.multinomial(w, 4).numpy()  # without replacement: each category once, the
    assert (np.sort(once, 1) == np.arange(4)).all()  # zero weights after the others
    assert set(once[0, :3]) == {0, 2, 3} and set(once[1, :2]) == {2, 3}
    firsts = np.array([tg.multinomial(tg.tensor([1.0, 3.0]), 1).item() for _ in range(2000)])
    assert abs(firsts.mean() - 0.75) < 0.04  # the first draw follows the weights
    assert tg.multinomial(tg.tensor([0.0, 2.0]), 3, replacement=True).tolist() == [1, 1, 1]
    assert tg.multinomial(tg.ones(0, 3), 2).shape == (0, 2)


@pytest.mark.parametrize("weights, n, kwargs, error, match", [
    ([1.0, -1.0], 1, {}, ValueError, "finite and >= 0"),
    ([1.0, np.nan], 1, {}, ValueError, "finite and >= 0"),
    ([[1.0, 1.0], [0.0, 0.0]], 1, {}, ValueError, "row 1 of the weights sums to 0"),
    ([1.0, 1.0], 3, {}, ValueError, "cannot draw 3 samples from 2 categories"),
    ([1.0, 1.0], 0, {}, ValueError, "num_samples must be positive"),
    ([1.0, 1.0], 1.0, {}, TypeError, "num_samples must be an int"),
    ([1, 1], 1, {}, TypeError, "must be floating, got int64"),
    ([[[1.0]]], 1, {}, ValueError, "1-D or 2-D"),
])
def test_multinomial_errors_change_no_state(weights, n, kwargs, error, match):
    state = tg.get_rng_state()
    with pytest.raises(error, match=f"multinomial: .*{match}"):
        tg.multinomial(tg.tensor(np.array(weights)), n, **kwargs)
    assert tg.get_rng_state() == state


def test_bernoulli():
    p = tg.tensor(np.linspace(0.0, 1.0, 5), requires_grad=True)
    tg.manual_seed(5)
    draws = np.stack([tg.bernoulli(p).numpy() for _ in range(2000)])
    assert draws.dtype == np.float64 and set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), p.numpy(), atol=0.04)
    assert draws[:, 0].max() == 0.0 and draws[:, -1].min() == 1.0
    tg.manual_seed(5)
    np.testing.assert_array_equal(p.bernoulli().numpy(), draws[0])
    assert tg.bernoulli(tg.full((2,), 0.5, dtype="float32")).dtype == np.float32
    state = tg.get_rng_state()
    with pytest.raises(ValueError, match=r"bernoulli: p must be in \[0, 1\]"):
        tg.bernoulli(tg.tensor([1.5]))
    with pytest.raises(TypeError, match="bernoulli: p must be floating"):
        tg.bernoulli(tg.tensor([1]))
    assert tg.get_rng_state() == state


def test_generator_draws_its_own_stream_and_leaves_tapegrad_s_alone():
    # torch.Generator's pattern: g = tg.Generator().manual_seed(s); tg.randn(..., generator=g)
    g = tg.Generator().manual_seed(2147483647)
    assert g.initial_seed() == 2147483647 and tg.Generator().initial_seed() == 67280421310721
    state = tg.get_rng_state()
    truth = np.random.default_rng(2147483647)  # numpy's PCG64 with the seed: the truth
    np.testing.assert_array_equal(tg.randn(2, 3, generator=g).numpy(),
                                  truth.standard_normal((2, 3)).astype(np.float32))
    np.testing.assert_array_equal(tg.rand((4,), generator=g, dtype=tg.float64).numpy(),
                                  truth.random(4))
    assert tg.randint(0, 10, (5,), generator=g).tolist() == truth.integers(0, 10, 5).tolist()
    assert tg.randperm(6, generator=g).tolist() == truth.permutation(6).tolist()
    np.testing.assert_array_equal(tg.normal(1.0, 2.0, (3,), generator=g).numpy(),
                                  truth.normal(1.0, 2.0, (3,)).astype(np.float32))
    p = tg.tensor([0.1, 0.5, 0.9], dtype=tg.float64)
    np.testing.assert_array_equal(tg.bernoulli(p, generator=g).numpy(),
                                  (truth.random(3) < p.numpy()).astype(np.float64))
    w = tg.tensor([1.0, 2.0, 7.0], dtype=tg.float64)  # inverse CDF of u·sum(w)
    u = truth.random((1, 4)) * 10.0
    assert tg.multinomial(w, 4, replacement=True, generator=g).tolist() == \
        np.searchsorted([1.0, 3.0, 10.0], u[0], side="right").tolist()
    assert tg.get_rng_state() == state  # tapegrad's generator untouched
    saved = g.get_state()
    a = tg.randn(3, generator=g).numpy()
    assert g.set_state(saved) is g
    np.testing.assert_array_equal(tg.randn(3, generator=g).numpy(), a)
    assert g.manual_seed(2147483647) is g  # reseeded in place: the same stream again
    np.testing.assert_array_equal(tg.randn(2, 3, generator=g).numpy(),
                                  np.random.default_rng(2147483647).standard_normal((2, 3))
                                  .astype(np.float32))


def test_generator_in_data_and_bad_generators():
    order = np.random.default_rng(42).permutation(10)
    a, b = tg.data.random_split(range(10), [0.5, 0.5], generator=tg.Generator().manual_seed(42))
    assert list(a) + list(b) == order.tolist()
    g = tg.Generator().manual_seed(1)
    loader = tg.data.DataLoader(range(6), batch_size=6, shuffle=True, generator=g)
    first = next(iter(loader)).tolist()
    assert first == np.random.default_rng(1).permutation(6).tolist()
    g.manual_seed(1)  # the loader draws from g itself, as PyTorch's
    assert next(iter(loader)).tolist() == first
    state, gstate = tg.get_rng_state(), g.get_state()
    for call in (lambda: tg.randn(2, generator=7), lambda: tg.rand(2, generator="g"),
                 lambda: tg.randint(0, 3, (2,), generator=1),
                 lambda: tg.multinomial(tg.ones(3), 1, generator=3),
                 lambda: tg.bernoulli(tg.ones(3), generator=3)):
        with pytest.raises(TypeError, match=r"^\w+: generator must be a tg.Generator"):
            call()
    with pytest.raises(ValueError, match="Generator.manual_seed: seed must be a non-negative"):
        g.manual_seed(-1)
    with pytest.raises(ValueError, match="Generator.set_state: not a generator state"):
        g.set_state({"bit_generator": "nope"})
    assert tg.get_rng_state() == state and g.get_state() == gstate and g.initial_seed() == 1
    with pytest.raises(TypeError, match="DataLoader: generator must be a non-negative int, "
                                        "a tg.Generator"):
        tg.data.DataLoader(range(3), generator=1.5)
