"""nn.init: sample statistics against the formulas, orthogonality, gains, seeding, LSUV.

Sample sizes are 200k+ draws, so a sample variance is within ~0.5% (normal) of its
expectation; the tolerances below are 3%."""

import math

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
from tapegrad.nn import init


def big(*shape):
    return tg.zeros(*shape, requires_grad=True)


# ================================================================ gains
@pytest.mark.parametrize("name, param, expected", [
    # PyTorch's table (torch.nn.init.calculate_gain)
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 3 / 4),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
])
def test_calculate_gain_matches_pytorch_table(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="calculate_gain: unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


# ================================================================ distributions
def test_constants():
    t = big(3, 4)
    assert init.constant_(t, 0.25) is t
    np.testing.assert_array_equal(t.numpy(), 0.25)
    np.testing.assert_array_equal(init.ones_(t).numpy(), 1.0)
    np.testing.assert_array_equal(init.zeros_(t).numpy(), 0.0)
    assert t.requires_grad and t.is_leaf and t.dtype == np.float32


def test_uniform_and_normal():
    u = init.uniform_(big(500, 400), -2.0, 3.0).numpy()
    assert u.min() >= -2.0 and u.max() <= 3.0
    assert u.mean() == pytest.approx(0.5, abs=0.01)
    assert u.var() == pytest.approx(25 / 12, rel=0.03)  # (b − a)² / 12
    n = init.normal_(big(500, 400), 1.0, 0.5).numpy()
    assert n.mean() == pytest.approx(1.0, abs=0.005)
    assert n.std() == pytest.approx(0.5, rel=0.03)


@pytest.mark.parametrize("shape", [(300, 700), (700, 300), (100, 30, 3, 3)])
def test_xavier(shape):
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    var = 2 / (fan_in + fan_out)
    u = init.xavier_uniform_(big(*shape), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    assert u.var() == pytest.approx(4 * var, rel=0.03)
    assert init.xavier_normal_(big(*shape)).numpy().var() == pytest.approx(var, rel=0.03)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(mode):
    w = big(400, 600)
    fan = 600 if mode == "fan_in" else 400
    he = init.kaiming_normal_(w, mode=mode, nonlinearity="relu").numpy()
    assert he.var() == pytest.approx(2 / fan, rel=0.03)  # He: 2 / fan_in
    assert abs(he.mean()) < 0.01 * he.std()  # standard error is std / 490
    u = init.kaiming_uniform_(w, mode=mode, nonlinearity="relu").numpy()
    bound = math.sqrt(6 / fan)  # √3 · √(2 / fan)
    assert np.abs(u).max() <= bound and u.var() == pytest.approx(2 / fan, rel=0.03)
    # a = √5 with the leaky_relu gain (nn.Linear's default): U(−1/√fan, 1/√fan)
    lin = init.kaiming_uniform_(w, a=math.sqrt(5), mode=mode).numpy()
    assert np.abs(lin).max() <= 1 / math.sqrt(fan)
    assert lin.var() == pytest.approx(1 / (3 * fan), rel=0.03)


def test_kaiming_fan_avg_is_the_he_init_of_lecture_002():
    # lecture 002: He initialization N(0, 4/(n_in + n_out)), U(±√(12/(n_in + n_out))): the
    # ReLU gain² = 2 over the mean fan (n_in + n_out)/2; here n_in = 900, n_out = 300
    w = big(300, 900)
    var = 4 / (900 + 300)
    he = init.kaiming_normal_(w, mode="fan_avg", nonlinearity="relu").numpy()
    assert he.std() == pytest.approx(math.sqrt(var), rel=0.015)  # not √(2/900), √(2/300)
    u = init.kaiming_uniform_(w, mode="fan_avg", nonlinearity="relu").numpy()
    bound = math.sqrt(12 / (900 + 300))
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.99 * bound
    assert u.std() == pytest.approx(math.sqrt(var), rel=0.015)


def test_lecun_normal():
    w = init.lecun_normal_(big(400, 500)).numpy()
    assert w.var() == pytest.approx(1 / 500, rel=0.03)


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (30, 30), (8, 4, 3)])
def test_orthogonal(shape):
    w = init.orthogonal_(big(*shape), gain=1.5).numpy().astype(np.float64)
    m = w.reshape(shape[0], -1)
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(rows, cols)), atol=1e-5)


def test_initializers_are_seeded_and_in_place():
    w = big(20, 10)
    tg.manual_seed(5)
    a = init.kaiming_normal_(w).numpy().copy()
    tg.manual_seed(5)
    b = init.kaiming_normal_(big(20, 10)).numpy()
    np.testing.assert_array_equal(a, b)
    init.kaiming_normal_(w)
    assert not np.array_equal(w.numpy(), a)
    # runs under no_grad and bumps the version: a backward that saved w now refuses
    x = tg.ones(3, 20, requires_grad=True)
    loss = (x @ w).sum()
    init.orthogonal_(w)
    with pytest.raises(tg.TapeError, match="matmul"):
        loss.backward()


def test_float64_tensors_stay_float64():
    w = tg.zeros(30, 20, dtype="float64", requires_grad=True)
    assert init.xavier_normal_(w).dtype == np.float64


def test_bad_input():
    with pytest.raises(ValueError, match=r"xavier_uniform_: .*at least 2 dimensions.*\(5,\)"):
        init.xavier_uniform_(big(5))
    with pytest.raises(ValueError, match=r"kaiming_normal_: mode must be one of \('fan_in', "
                                         r"'fan_out', 'fan_avg'\), got 'fan_sum'"):
        init.kaiming_normal_(big(3, 3), mode="fan_sum")
    with pytest.raises(TypeError, match="normal_: expected a Tensor, got ndarray"):
        init.normal_(np.zeros(3))
    with pytest.raises(TypeError, match="uniform_: the tensor must be floating point"):
        init.uniform_(tg.zeros(3, dtype="int64"))
    with pytest.raises(ValueError, match="orthogonal_"):
        init.orthogonal_(big(4))
    with pytest.raises(ValueError, match=r"uniform_: need a <= b"):
        init.uniform_(big(3), 1.0, 0.0)


def test_bad_numbers_name_the_initializer_and_value():
    t = big(4, 3)
    before = t.numpy().copy()
    for call, exc, match in [
        (lambda: init.constant_(t, None), TypeError, "constant_: val must be a number, got None"),
        (lambda: init.constant_(t, "a"), TypeError, "constant_: val must be a number, got 'a'"),
        (lambda: init.normal_(t, 0, "a"), TypeError, "normal_: std must be a number, got 'a'"),
        (lambda: init.normal_(t, float("nan")), ValueError, "normal_: mean must be finite"),
        (lambda: init.uniform_(t, "a", 1), TypeError, "uniform_: a must be a number, got 'a'"),
        (lambda: init.xavier_uniform_(t, gain="a"), TypeError,
         "xavier_uniform_: gain must be a number, got 'a'"),
        (lambda: init.xavier_normal_(t, gain=None), TypeError, "xavier_normal_: gain must be"),
        (lambda: init.orthogonal_(t, gain="a"), TypeError, "orthogonal_: gain must be"),
        (lambda: init.lsuv_(nn.Linear(3, 3), tg.zeros(2, 3), tol="a"), TypeError,
         "lsuv_: tol must be a number"),
    ]:
        with pytest.raises(exc, match=match):
            call()
    np.testing.assert_array_equal(t.numpy(), before)


def test_zero_element_tensors_are_left_alone_as_in_pytorch():
    # PyTorch: xavier_*_ and orthogonal_ draw nothing (no division by a zero fan), kaiming_*_
    # warn "Initializing zero-element tensors is a no-op"
    for shape in [(0, 0), (0, 3), (3, 0), (2, 0, 3)]:
        for fn in (init.xavier_uniform_, init.xavier_normal_, init.orthogonal_):
            t = tg.zeros(*shape)
            assert fn(t) is t and t.shape == shape
        for fn in (init.kaiming_uniform_, init.kaiming_normal_, init.lecun_normal_):
            t = tg.zeros(*shape)
            with pytest.warns(UserWarning, match="Initializing zero-element tensors is a "
                                                 "no-op") as rec:
                assert fn(t) is t
            assert rec[0].filename == __file__


# ================================================================ LSUV
def test_lsuv_gives_unit_output_variance_per_layer(rng):
    tg.manual_seed(1)
    net = nn.Sequential(nn.Linear(20, 64), nn.Tanh(), nn.Linear(64, 64), nn.ReLU(),
                        nn.Linear(64, 10))
    x = (rng.standard_normal((256, 20)) * 5).astype(np.float32)
    assert init.lsuv_(net, tg.tensor(x), tol=0.02) is net
    # the forward pass in numpy, layer by layer
    h = x.astype(np.float64)
    for k, act in ((0, np.tanh), (2, lambda z: np.maximum(z, 0)), (4, None)):
        w, b = net[k].weight.numpy().astype(np.float64), net[k].bias.numpy()
        z = h @ w.T + b
        assert z.var() == pytest.approx(1.0, abs=0.021), k
        # LSUV only rescales an orthogonal matrix: W Wᵀ (or Wᵀ W) is c·I
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(gram / gram[0, 0], np.eye(len(gram)), atol=1e-4)
        h = act(z) if act else z


def test_lsuv_restores_buffers_and_rejects_models_without_weights(rng):
    net = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    init.lsuv_(net, tg.tensor(rng.standard_normal((32, 5)).astype(np.float32)))
    np.testing.assert_array_equal(net[1].running_mean.numpy(), 0.0)
    np.testing.assert_array_equal(net[1].running_var.numpy(), 1.0)
    with pytest.raises(ValueError, match="lsuv_: Sequential has no layer with a weight"):
        init.lsuv_(nn.Sequential(nn.ReLU()), tg.zeros(2, 2))
    with pytest.raises(TypeError, match="lsuv_: model must be a Module"):
        init.lsuv_(lambda x: x, tg.zeros(2, 2))


def test_a_failed_lsuv_changes_no_weight(rng):
    class Partly(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.bn = nn.BatchNorm1d(3)
            self.unused = nn.Linear(3, 3)

        def forward(self, x):
            return self.bn(self.a(x))

    net = Partly()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    with pytest.raises(ValueError, match=r"lsuv_: Linear\(3, 3\) is not used"):
        init.lsuv_(net, tg.tensor(rng.standard_normal((10, 3)).astype(np.float32)))
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


@pytest.mark.parametrize("init, draw", [
    (lambda t, g: nn.init.uniform_(t, -2.0, 3.0, generator=g),
     lambda rng, shape: rng.uniform(-2.0, 3.0, shape)),
    (lambda t, g: nn.init.normal_(t, 1.0, 0.5, generator=g),
     lambda rng, shape: rng.normal(1.0, 0.5, shape)),
    (lambda t, g: nn.init.xavier_uniform_(t, generator=g),  # b = √(6/(4 + 3))
     lambda rng, shape: rng.uniform(-np.sqrt(6 / 7), np.sqrt(6 / 7), shape)),
    (lambda t, g: nn.init.kaiming_normal_(t, nonlinearity="relu", generator=g),
     lambda rng, shape: rng.normal(0.0, np.sqrt(2 / 3), shape)),
    (lambda t, g: nn.init.lecun_normal_(t, generator=g),
     lambda rng, shape: rng.normal(0.0, np.sqrt(1 / 3), shape)),
])
def test_an_init_draws_from_the_generator_it_is_given(init, draw):
    """generator=g draws from g's stream (numpy's default_rng(seed)) and leaves tapegrad's
    generator where it was, as PyTorch's init functions do with theirs."""
    tg.manual_seed(0)
    untouched = tg.randn(3).numpy()
    tg.manual_seed(0)
    w = tg.zeros(4, 3, dtype="float64")
    init(w, tg.Generator().manual_seed(5))
    np.testing.assert_allclose(w.numpy(), draw(np.random.default_rng(5), (4, 3)), rtol=1e-12)
    np.testing.assert_array_equal(tg.randn(3).numpy(), untouched)


def test_orthogonal_and_trunc_normal_take_a_generator_and_refuse_a_bad_one():
    g = tg.Generator().manual_seed(1)
    a = nn.init.orthogonal_(tg.zeros(4, 3, dtype="float64"), generator=g).numpy()
    q, r = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 3)))
    np.testing.assert_allclose(a, q * np.sign(np.diag(r)), rtol=1e-12)  # Q with diag(R) > 0
    np.testing.assert_allclose(a.T @ a, np.eye(3), atol=1e-12)
    t = nn.init.trunc_normal_(tg.zeros(500, dtype="float64"), a=-1.0, b=1.0,
                              generator=tg.Generator().manual_seed(2))
    assert np.abs(t.numpy()).max() <= 1.0
    w = tg.ones(2, 2)
    with pytest.raises(TypeError, match="normal_: generator must be a tg.Generator"):
        nn.init.normal_(w, generator=7)
    assert w.tolist() == [[1.0, 1.0], [1.0, 1.0]]
