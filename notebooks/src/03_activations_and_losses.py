# %% [markdown]
# # 03 · Activations and losses
#
# **What this notebook teaches.** The shapes of the common activation functions and of their
# derivatives — with the derivatives taken by tapegrad's reverse sweep, not typed in — and
# why the *pairing* of output activation and cost matters: a sigmoid neuron trained with the
# quadratic cost can barely move when it starts saturated, while the cross-entropy cost
# cancels the sigmoid's flat derivative and learns fast from anywhere. Softmax with the
# log-likelihood cost has the same property for many classes.
#
# **Lecture topics.** Activation functions (sigmoid, tanh, ReLU, leaky ReLU, ELU, softplus:
# HKUST and KTH notes) and "the problem of slow learning", cross-entropy, and softmax with
# log-likelihood ("Improving the way neural networks learn").

# %%
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.nn.functional as F

plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)

# %% [markdown]
# ## 1. Activations and their derivatives, from the tape
#
# An activation acts elementwise, so for a vector input `x` the gradient of `sum(f(x))` is
# the vector of derivatives `f'(x_i)`: one `backward` gives the whole derivative curve. Each
# curve is asserted against its closed form:
#
# | f | f(x) | f'(x) |
# |---|---|---|
# | sigmoid | 1 / (1 + e⁻ˣ) | σ(x)(1 − σ(x)) |
# | tanh | tanh x | 1 − tanh² x |
# | ReLU | max(0, x) | 1(x > 0) |
# | leaky ReLU (slope a) | x if x > 0 else a·x | 1 if x > 0 else a |
# | ELU (α) | x if x > 0 else α(eˣ − 1) | 1 if x > 0 else α·eˣ |
# | softplus | log(1 + eˣ) | σ(x) |

# %%
xs = np.linspace(-4, 4, 401)           # contains 0 exactly (index 200)
sig = 1 / (1 + np.exp(-xs))
closed = {  # name: (tapegrad function, f(x), f'(x)) -- the closed forms, in numpy
    "sigmoid": (F.sigmoid, sig, sig * (1 - sig)),
    "tanh": (F.tanh, np.tanh(xs), 1 - np.tanh(xs) ** 2),
    "ReLU": (F.relu, np.maximum(xs, 0), (xs > 0).astype(float)),
    "leaky ReLU (0.1)": (lambda t: F.leaky_relu(t, negative_slope=0.1),
                         np.where(xs > 0, xs, 0.1 * xs), np.where(xs > 0, 1.0, 0.1)),
    "ELU (1.0)": (lambda t: F.elu(t, alpha=1.0),
                  np.where(xs > 0, xs, np.exp(xs) - 1), np.where(xs > 0, 1.0, np.exp(xs))),
    "softplus": (F.softplus, np.log1p(np.exp(xs)), sig),
}
curves = {}
for name, (fn, f_true, df_true) in closed.items():
    x = tg.tensor(xs, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), f_true, rtol=1e-12, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(x.grad.numpy(), df_true, rtol=1e-12, atol=1e-12, err_msg=name)
    curves[name] = (y.numpy(), x.grad.numpy())
assert curves["ReLU"][1][200] == 0.0    # ReLU's gradient at exactly 0 is 0
print("all six activations and derivatives match their closed forms on", xs.size, "points")

# %%
fig, axes = plt.subplots(2, 6, figsize=(12, 3.6), sharex=True)
for k, (name, (fx, dfx)) in enumerate(curves.items()):
    axes[0, k].plot(xs, fx, color="C0")
    axes[1, k].plot(xs, dfx, color="C3")
    axes[0, k].set_title(name, fontsize=9)
    for ax in axes[:, k]:
        ax.axhline(0, color="gray", lw=0.5)
        ax.axvline(0, color="gray", lw=0.5)
        ax.tick_params(labelsize=7)
axes[0, 0].set_ylabel("f(x)")
axes[1, 0].set_ylabel("f′(x) from backward")
plt.tight_layout()
plt.show()

# %% [markdown]
# Sigmoid's derivative never exceeds ¼, and both sigmoid and tanh flatten out for large
# `|x|` (saturation). ReLU passes gradient 1 for positive inputs and 0 otherwise; leaky ReLU
# and ELU keep a little gradient on the negative side; softplus is a smooth ReLU whose
# derivative is the sigmoid. The numbers behind the plot:

# %%
assert abs(curves["sigmoid"][1].max() - 0.25) < 1e-12          # σ' peaks at 1/4, at x = 0
assert curves["sigmoid"][1][0] < 0.018 and curves["tanh"][1][0] < 0.0014    # saturated at -4
np.testing.assert_allclose(curves["softplus"][1], curves["sigmoid"][0], rtol=1e-12)
print("sigmoid'(0) =", curves["sigmoid"][1][200], " sigmoid'(-4) =", curves["sigmoid"][1][0].round(5),
      " tanh'(-4) =", curves["tanh"][1][0].round(6))

# %% [markdown]
# The composites are written to be numerically stable: far outside the plotted range
# they neither overflow nor return NaN, and their gradients stay exact.

# %%
big = tg.tensor(np.array([-1000.0, -50.0, 50.0, 1000.0]), requires_grad=True)
with np.errstate(over="raise", divide="raise", invalid="raise"):   # no overflow, no NaN
    out = F.softplus(big) + F.sigmoid(big) + F.elu(big)
    out.sum().backward()
np.testing.assert_allclose(F.softplus(big).numpy(), [0.0, np.exp(-50.0), 50.0, 1000.0],
                           rtol=1e-12, atol=1e-300)
np.testing.assert_allclose(F.sigmoid(big).numpy(), [0.0, np.exp(-50.0), 1.0, 1.0],
                           rtol=1e-12, atol=1e-300)
assert np.isfinite(big.grad.numpy()).all()
print("softplus, sigmoid, ELU at ±1000: finite values and gradients", big.grad.numpy())

# %% [markdown]
# ## 2. Slow learning: one sigmoid neuron, quadratic cost vs cross-entropy
#
# The lecture's experiment: a single neuron `z = σ(w·x + b)` must map the input `x = 1` to
# the target `y = 0`. Two costs:
#
# * quadratic `C = (z − y)² / 2`, whose gradient is `∂C/∂w = (z − y)·σ'(a)·x`: it carries
#   the factor `σ'(a)`, tiny when the neuron is saturated;
# * cross-entropy `C = −[y ln z + (1 − y) ln(1 − z)]`, whose gradient is
#   `∂C/∂w = (σ(a) − y)·x`: the `σ'` cancels and only the error remains.
#
# Gradient descent with `η = 0.15` for 300 epochs, from `w = 0.6, b = 0.9` (output 0.82)
# and from `w = 2, b = 2` (output 0.98, deep in the flat part of the sigmoid). Each update
# uses tapegrad's gradient; the quadratic cost is `½·F.mse_loss`, the cross-entropy is
# `F.binary_cross_entropy`.

# %%
def train_neuron(w0, b0, cost, epochs=300, eta=0.15):
    """Gradient descent on one sigmoid neuron, x = 1 -> y = 0; returns outputs, costs and the
    first gradient (dC/dw, dC/db)."""
    w = tg.tensor(w0, dtype=tg.float64, requires_grad=True)
    b = tg.tensor(b0, dtype=tg.float64, requires_grad=True)
    x, y = tg.tensor(1.0, dtype=tg.float64), tg.tensor(0.0, dtype=tg.float64)
    outputs, costs, first = [], [], None
    for _ in range(epochs + 1):
        z = F.sigmoid(w * x + b)
        C = 0.5 * F.mse_loss(z, y) if cost == "quadratic" else F.binary_cross_entropy(z, y)
        outputs.append(z.item())
        costs.append(C.item())
        w.grad = b.grad = None
        C.backward()
        if first is None:
            first = (w.grad.item(), b.grad.item())
        with tg.no_grad():
            w.data -= eta * w.grad.numpy()
            b.data -= eta * b.grad.numpy()
    return np.array(outputs), np.array(costs), first


starts = {"w=0.6, b=0.9": (0.6, 0.9), "w=2, b=2": (2.0, 2.0)}
runs = {(s, c): train_neuron(*wb, c) for s, wb in starts.items()
        for c in ("quadratic", "cross-entropy")}

# %% [markdown]
# First, the gradients tapegrad computed at the start agree with the lecture's formulas
# (with `x = 1`, `y = 0`: quadratic `z·σ'(a) = z²(1 − z)`, cross-entropy `z`), and the whole
# 300-epoch trajectory agrees with the same descent done with those formulas in numpy.

# %%
def numpy_descent(w, b, cost, epochs=300, eta=0.15):
    zs = []
    for _ in range(epochs + 1):
        z = 1 / (1 + np.exp(-(w + b)))
        zs.append(z)
        dC = z * z * (1 - z) if cost == "quadratic" else z   # dC/dw = dC/db, as x = 1
        w, b = w - eta * dC, b - eta * dC
    return np.array(zs)


for (start, cost), (zs, _, (gw, gb)) in runs.items():
    z0 = zs[0]
    expected = z0 * z0 * (1 - z0) if cost == "quadratic" else z0
    np.testing.assert_allclose([gw, gb], [expected, expected], rtol=1e-12)
    np.testing.assert_allclose(zs, numpy_descent(*starts[start], cost), rtol=1e-10)
    print(f"{start:13s} {cost:13s} z0={z0:.3f}  first dC/dw={gw:.4f}  z after 300: {zs[-1]:.3f}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 2.8), sharey=True)
for ax, start in zip(axes, starts):
    for cost, style in (("quadratic", "C0-"), ("cross-entropy", "C3--")):
        ax.plot(runs[(start, cost)][0], style, label=cost)
    ax.set_title(f"start {start}", fontsize=10)
    ax.set_xlabel("epoch")
    ax.axhline(0.5, color="gray", lw=0.5)
axes[0].set_ylabel("output z (target 0)")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# From the saturated start the quadratic cost crawls: after 100 epochs its output has barely
# moved from 0.98, and it needs more than 150 epochs to push the output below ½. Cross-entropy
# from the *same* start gets there within a few dozen epochs — as fast as the quadratic cost
# does from the unsaturated start.

# %%
def epochs_to(zs, level=0.5):
    return int(np.argmax(zs < level))


half = {key: epochs_to(zs) for key, (zs, _, _) in runs.items()}
print("epochs until z < 0.5:", {f"{s} / {c}": n for (s, c), n in half.items()})
slow = runs[("w=2, b=2", "quadratic")]
assert slow[0][100] > 0.95                                  # stuck near the start after 100
assert slow[1][100] > 0.9 * slow[1][0]                      # cost down by less than 10%
assert half[("w=2, b=2", "quadratic")] > 150
assert half[("w=2, b=2", "cross-entropy")] < 30             # no slowdown with cross-entropy
assert half[("w=0.6, b=0.9", "quadratic")] < 60             # quadratic is fine unsaturated
assert runs[("w=2, b=2", "cross-entropy")][0][100] < 0.1
# the cause: at z = 0.98 the quadratic gradient is 50x smaller than the cross-entropy one
assert runs[("w=2, b=2", "cross-entropy")][2][0] > 50 * runs[("w=2, b=2", "quadratic")][2][0]

# %% [markdown]
# ## 3. Softmax and the log-likelihood cost
#
# For several classes the output layer is a softmax, `z_j = e^{a_j} / Σ_k e^{a_k}`, a
# probability distribution, and the cost is the negative log-likelihood of the correct class
# `y`: `C = −ln z_y`. Its gradient with respect to the pre-activations is simply
# `∂C/∂a_j = z_j − 1(j = y)`, and with `a = W h + b`:
# `∂C/∂W_jk = h_k (z_j − 1(j = y))`, `∂C/∂b_j = z_j − 1(j = y)`. Again no derivative of the
# activation multiplies the error, so there is no slowdown.
#
# `F.cross_entropy(logits, target)` is exactly log-softmax followed by `F.nll_loss`.

# %%
rng = np.random.default_rng(3)
n_in, n_cls, label = 5, 4, 1
W_np = rng.standard_normal((n_cls, n_in))
b_np = rng.standard_normal(n_cls)
h_np = rng.standard_normal(n_in)

W = tg.tensor(W_np, requires_grad=True)
b = tg.tensor(b_np, requires_grad=True)
a = W @ tg.tensor(h_np) + b
z = F.softmax(a)
C = F.cross_entropy(a.reshape(1, n_cls), np.array([label]))
C.backward()

a_np = W_np @ h_np + b_np
z_np = np.exp(a_np - a_np.max()) / np.exp(a_np - a_np.max()).sum()
delta = z_np - np.eye(n_cls)[label]
assert abs(z.numpy().sum() - 1) < 1e-12 and (z.numpy() > 0).all()
np.testing.assert_allclose(z.numpy(), z_np, rtol=1e-12)
np.testing.assert_allclose(C.item(), -np.log(z_np[label]), rtol=1e-12)
np.testing.assert_allclose(C.item(), F.nll_loss(F.log_softmax(a.reshape(1, n_cls)),
                                                np.array([label])).item(), rtol=1e-12)
np.testing.assert_allclose(b.grad.numpy(), delta, rtol=1e-12, atol=1e-15)
np.testing.assert_allclose(W.grad.numpy(), np.outer(delta, h_np), rtol=1e-12, atol=1e-15)
print("z =", z.numpy().round(4), " C = -ln z_y =", round(C.item(), 4))
print("dC/db = z - onehot(y) =", b.grad.numpy().round(4))

# %% [markdown]
# The contrast with the saturated sigmoid, asserted: give the network confidently wrong
# logits (the correct class at −10, the others at +10). The softmax output for the right
# class is about 10⁻⁹, and the gradient is still of size one — the larger the mistake, the
# larger the step. A sigmoid output trained with the quadratic cost in the same confidently
# wrong state (z ≈ 1 for target 0) gets a gradient of about 10⁻⁹.

# %%
wrong = tg.tensor(np.array([[10.0, -10.0, 10.0, 10.0]]), requires_grad=True)
F.cross_entropy(wrong, np.array([1])).backward()
g_softmax = wrong.grad.numpy()[0]
print("softmax + log-likelihood, wrong by a mile: dC/da =", g_softmax.round(4))
assert abs(g_softmax[1] + 1) < 1e-6                                  # ≈ z_y − 1 = −1

a_sat = tg.tensor(20.0, dtype=tg.float64, requires_grad=True)
(0.5 * F.mse_loss(F.sigmoid(a_sat), tg.tensor(0.0, dtype=tg.float64))).backward()
print(f"sigmoid + quadratic, wrong by a mile:      dC/da = {a_sat.grad.item():.4g}")
assert a_sat.grad.item() < 1e-8

# %% [markdown]
# **Summary.** Every activation's derivative above came out of `backward` and matched its
# closed form. Saturating activations have near-zero derivatives, and with a quadratic cost
# that factor multiplies the error, so a badly initialised neuron hardly learns. Cross-entropy
# for sigmoid outputs, and log-likelihood for softmax outputs, cancel the factor: the gradient
# is just output minus target.
