# %% [markdown]
# # 04 · Initialization
#
# **What this notebook teaches.** Why the starting weights of a network matter before any
# training happens. Identical weights make every hidden unit compute and learn the same
# thing, forever. Random weights of the wrong *scale* make the signal shrink to nothing or
# blow up as it passes through a deep network, forwards (activations) and backwards
# (gradients). Xavier (Glorot) initialization picks the scale that keeps a tanh network's
# signal alive; He (Kaiming) initialization does the same for ReLU, which zeroes half of its
# inputs. LSUV goes one step further and measures the scale on real data.
#
# **Lecture topics.** Initialization: symmetry breaking and keeping variances constant
# ("Improving the way neural networks learn"); small, large, Xavier and He initialization
# of a 10-layer network (UCLA lecture 8); the histograms of activations and gradients of a
# 10-layer, 500-unit network with tanh and ReLU (KTH DD2424); LSUV (Mishkin & Matas).

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: one BLAS thread is fastest

import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F

plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)

# %% [markdown]
# ## 1. Symmetric weights do not break symmetry
#
# A 3 → 4 → 1 tanh network with *every* weight set to 0.5 and every bias to 0. All four
# hidden units see the same input through the same weights, so they output the same value;
# the output weights are equal too, so each receives the same share of the error. By hand,
# with `s = 0.5·Σ_k x_k`, `h = tanh(s)`, `ŷ = 4·0.5·h`, and `L = mean((ŷ − y)²)`,
# row j of `∂L/∂W1` is `Σ_n (2/N)(ŷ_n − y_n)·0.5·(1 − h_n²)·x_n` — the same for every j.

# %%
def symmetric_net():
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    for lin in (net[0], net[2]):
        nn.init.constant_(lin.weight, 0.5)
        nn.init.zeros_(lin.bias)
    return net


rng = np.random.default_rng(0)
X_np = rng.standard_normal((32, 3)).astype(np.float32)
y_np = np.sin(X_np @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]
X, y = tg.tensor(X_np), tg.tensor(y_np)

net = symmetric_net()
loss = F.mse_loss(net(X), y)
loss.backward()
W1_grad = net[0].weight.grad.numpy()
print("dL/dW1 (one row per hidden unit):\n", W1_grad)

s = 0.5 * X_np.sum(axis=1)                                  # by hand, in numpy
h = np.tanh(s)
err = 2 * (2.0 * h - y_np[:, 0]) / len(X_np)
row = (err * 0.5 * (1 - h ** 2)) @ X_np
for j in range(4):
    np.testing.assert_allclose(W1_grad[j], row, rtol=1e-5, atol=1e-7)

# %% [markdown]
# Gradient descent keeps the rows equal at every step, so after 200 steps the four hidden
# units are still one unit copied four times. A random start (the layer's default init)
# breaks the tie immediately.

# %%
def train(net, steps=200, lr=0.1):
    for _ in range(steps):
        net.zero_grad()
        F.mse_loss(net(X), y).backward()
        with tg.no_grad():
            for p in net.parameters():
                p.data -= lr * p.grad.numpy()
    return F.mse_loss(net(X), y).item()


sym_loss = train(net)
W1 = net[0].weight.numpy()
print("after training, symmetric start: W1 =\n", W1.round(4))
assert np.ptp(W1, axis=0).max() == 0.0 and np.ptp(net[0].bias.numpy()) == 0.0
assert np.ptp(net[2].weight.numpy()) == 0.0

tg.manual_seed(1)
rand_net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
rand_loss = train(rand_net)
assert np.ptp(rand_net[0].weight.numpy(), axis=0).min() > 1e-3   # rows differ
print(f"final loss: symmetric start {sym_loss:.4f}, random start {rand_loss:.4f}")
assert rand_loss < sym_loss

# %% [markdown]
# ## 2. A deep network: 10 layers of 500 units
#
# Inputs are N(0, 1) vectors of dimension 500; each layer is `x⁽ⁱ⁾ = f(W_i x⁽ⁱ⁻¹⁾)` with
# `W_i` of shape 500 × 500 (no bias) and `f` = tanh or ReLU. The weights are drawn four ways:
#
# | init | std of W | tapegrad |
# |---|---|---|
# | small | 0.01 | `nn.init.normal_(w, 0, 0.01)` |
# | large | 1 | `nn.init.normal_(w, 0, 1)` |
# | Xavier | √(2 / (n_in + n_out)) = 1/√500 | `nn.init.xavier_normal_(w)` |
# | He | √(2 / n_in) | `nn.init.kaiming_normal_(w, nonlinearity="relu")` |
#
# To see the backward signal we need a loss; `L = Σ (x⁽¹⁰⁾ ⊙ R) / N` with a fixed random
# matrix `R` sends the same N(0, 1)-sized upstream gradient into the last layer whatever its
# output scale, so differences between the gradients below come only from the backward
# pass through the layers. A batch of 128 examples (64,000 values per layer) is plenty for
# the histograms.

# %%
N, D, DEPTH = 128, 500, 10
tg.manual_seed(0)
X_deep = tg.randn(N, D)
R = tg.randn(N, D)
INITS = {
    "σ = 0.01": lambda w: nn.init.normal_(w, 0.0, 0.01),
    "σ = 1": lambda w: nn.init.normal_(w, 0.0, 1.0),
    "Xavier": lambda w: nn.init.xavier_normal_(w),
    "He": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
ACTS = {"tanh": nn.Tanh, "ReLU": nn.ReLU}


def deep_net(act, init=None):
    layers = []
    for _ in range(DEPTH):
        lin = nn.Linear(D, D, bias=False)
        if init is not None:
            init(lin.weight)
        layers += [lin, ACTS[act]()]
    return nn.Sequential(*layers)


def run(net):
    """Forward X_deep, backward L; the activations x^(i) and the weight gradients dL/dW_i."""
    h, acts = X_deep, []
    for m in net:
        h = m(h)
        if not isinstance(m, nn.Linear):
            acts.append(h.numpy())
    ((h * R).sum() / N).backward()
    grads = [m.weight.grad.numpy() for m in net if isinstance(m, nn.Linear)]
    return acts, grads


results = {}
for act in ACTS:
    for init_name, init in INITS.items():
        tg.manual_seed(1)
        results[(act, init_name)] = run(deep_net(act, init))


def rms(a):
    return float(np.sqrt(np.mean(np.square(a, dtype=np.float64))))


print(f"{'':16s}" + "".join(f"layer {i + 1:<4d}" for i in range(0, DEPTH, 3)))
for (act, init_name), (acts, _) in results.items():
    print(f"{act:5s}{init_name:11s}" + "".join(f"{rms(acts[i]):<10.3g}"
                                               for i in range(0, DEPTH, 3)), " (rms of x⁽ⁱ⁾)")

# %% [markdown]
# ### Histograms, tanh
#
# Each panel overlays the ten layers (dark = layer 1, light = layer 10). Top: the
# activations `x⁽ⁱ⁾`. Middle: the same values by order of magnitude, `log₁₀|x⁽ⁱ⁾|`, where a
# layer-by-layer collapse shows up as curves marching to the left. Bottom: the weight
# gradients `∂L/∂W_i` by order of magnitude.

# %%
def histograms(act):
    fig, axes = plt.subplots(3, 4, figsize=(12, 6))
    colors = plt.cm.viridis(np.linspace(0, 0.9, DEPTH))
    rows = (("x⁽ⁱ⁾", 0, False), ("log₁₀|x⁽ⁱ⁾|", 0, True), ("log₁₀|∂L/∂W_i|", 1, True))
    for k, init_name in enumerate(INITS):
        for r, (what, which, log_scale) in enumerate(rows):
            ax = axes[r, k]
            for i in range(DEPTH):
                v = results[(act, init_name)][which][i].ravel()
                v = v[v != 0]                   # ReLU's zeros left out, as in the lecture
                ax.hist(np.log10(np.abs(v)) if log_scale else v, bins=60, histtype="step",
                        color=colors[i], lw=0.9)
            ax.set_title(f"{act}, {init_name}: {what}", fontsize=9)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(plt.MaxNLocator(5))
            ax.xaxis.get_offset_text().set_fontsize(7)
            ax.set_yticks([])
    fig.subplots_adjust(left=0.02, right=0.99, bottom=0.05, top=0.95, wspace=0.1, hspace=0.5)
    plt.show()


histograms("tanh")

# %% [markdown]
# * **σ = 0.01**: tanh is nearly linear near 0, so each layer multiplies the spread by about
#   `σ·√500 ≈ 0.22`; by layer 10 the activations are ~10⁻⁷ and every gradient is tiny.
# * **σ = 1**: the pre-activations have spread `√500 ≈ 22`, so almost every unit is
#   saturated at ±1, and the gradients grow wildly towards the first layers.
# * **Xavier**: `Var W = 1/500` keeps the variance of `W x` equal to that of `x`; the spread
#   shrinks only slowly (tanh is contracting) and the gradients have the same range in every
#   layer.
#
# Asserted against the closed forms:

# %%
small_tanh = [rms(a) for a in results[("tanh", "σ = 0.01")][0]]
ratios = np.array(small_tanh[1:]) / np.array(small_tanh[:-1])
print("σ = 0.01, tanh: rms ratio per layer", ratios.round(4), "(closed form σ√500 =",
      round(0.01 * np.sqrt(D), 4), ")")
np.testing.assert_allclose(ratios, 0.01 * np.sqrt(D), rtol=0.05)   # collapses layer by layer
assert small_tanh[-1] < 1e-6

acts_big, grads_big = results[("tanh", "σ = 1")]
saturated = [np.mean(np.abs(a) > 0.95) for a in acts_big]
assert min(saturated) > 0.85                                        # stuck at ±1
assert rms(grads_big[0]) > 100 * rms(grads_big[-1])                 # gradients explode backwards

acts_xav, grads_xav = results[("tanh", "Xavier")]
xav = np.array([rms(a) for a in acts_xav])
assert xav[-1] > 0.2 and (xav[1:] / xav[:-1]).min() > 0.75          # the spread survives
g_xav = np.array([rms(g) for g in grads_xav])
assert g_xav.max() / g_xav.min() < 1.5                              # same gradient range
print("Xavier, tanh: rms per layer", xav.round(3), "\n              grad rms per layer",
      g_xav.round(4))

# %% [markdown]
# ### Histograms, ReLU (non-zero activations)

# %%
histograms("ReLU")

# %% [markdown]
# For ReLU half the pre-activations are zeroed, so `E[x⁽ⁱ⁾²] = ½·Var(s⁽ⁱ⁾) =
# ½·n_in·Var(W)·E[x⁽ⁱ⁻¹⁾²]`. The mean square therefore changes by the factor
# `n_in·Var(W)/2` per layer:
#
# * σ = 0.01: `500·10⁻⁴/2 = 0.025` (rms ×0.158 per layer: collapse);
# * σ = 1: `250` (rms ×15.8 per layer: explosion);
# * Xavier, `Var W = 1/500`: `½` (a slow but steady collapse — Xavier assumed a linear unit);
# * He, `Var W = 2/500`: exactly `1`, so the mean square stays at the input's value, 1.

# %%
for init_name, factor in (("σ = 0.01", 0.025), ("σ = 1", 250.0), ("Xavier", 0.5),
                          ("He", 1.0)):
    ms = np.array([rms(a) ** 2 for a in results[("ReLU", init_name)][0]])
    per_layer = (ms[-1] / ms[0]) ** (1 / (DEPTH - 1))               # geometric mean factor
    print(f"ReLU, {init_name:8s}: mean square per layer x{per_layer:.4g} "
          f"(closed form x{factor:g});  layer 1: {ms[0]:.3g}, layer 10: {ms[-1]:.3g}")
    np.testing.assert_allclose(per_layer, factor, rtol=0.1)

he = np.array([rms(a) ** 2 for a in results[("ReLU", "He")][0]])
assert ((he > 0.5) & (he < 2.0)).all()                              # He keeps ReLU's spread
g_he = np.array([rms(g) for g in results[("ReLU", "He")][1]])
assert g_he.max() / g_he.min() < 1.3
assert rms(results[("ReLU", "σ = 0.01")][0][-1]) < 1e-7

# %% [markdown]
# The same story in one picture: the rms of the activations, layer by layer, on a log scale.

# %%
fig, axes = plt.subplots(1, 2, figsize=(8.5, 2.8), sharey=True)
for ax, act in zip(axes, ACTS):
    for init_name in INITS:
        ax.semilogy(range(1, DEPTH + 1), [rms(a) for a in results[(act, init_name)][0]],
                    "o-", ms=3, label=init_name)
    ax.set_title(act, fontsize=10)
    ax.set_xlabel("layer")
axes[0].set_ylabel("rms of x⁽ⁱ⁾")
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### Two conventions for He, and the uniform variants
#
# With square layers, as above, `n_in = n_out` and the conventions agree. On a layer that is
# not square they do not. The HKUST notes (lecture 002) define He initialization like
# Xavier's, from the average of both fans: variance `4 / (n_in + n_out)`, or uniform in
# `±√(12 / (n_in + n_out))` (Xavier: `2 / (n_in + n_out)` and `±√(6 / (n_in + n_out))`).
# PyTorch's `kaiming_normal_` (He et al., 2015) uses the fan-in alone, `2 / n_in`, which keeps
# the forward signal's scale; `mode="fan_out"` keeps the backward one's, and
# `mode="fan_avg"` is the lecture's compromise. A 784 → 256 layer (weight 256 × 784):

# %%
n_in, n_out = 784, 256
CONVENTIONS = [  # (name, initializer, the formula's std, and for uniform ones the bound r)
    ("Xavier normal", lambda w: nn.init.xavier_normal_(w), np.sqrt(2 / (n_in + n_out))),
    ("Xavier uniform", lambda w: nn.init.xavier_uniform_(w), np.sqrt(6 / (n_in + n_out))),
    ("He, lecture (fan_avg) normal",
     lambda w: nn.init.kaiming_normal_(w, mode="fan_avg", nonlinearity="relu"),
     np.sqrt(4 / (n_in + n_out))),
    ("He, lecture (fan_avg) uniform",
     lambda w: nn.init.kaiming_uniform_(w, mode="fan_avg", nonlinearity="relu"),
     np.sqrt(12 / (n_in + n_out))),
    ("He, PyTorch (fan_in) normal",
     lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), np.sqrt(2 / n_in)),
]
for name, init, scale in CONVENTIONS:
    w = init(tg.zeros(n_out, n_in)).numpy()
    uniform = "uniform" in name
    std = scale / np.sqrt(3) if uniform else scale  # U(±r) has std r/√3
    shown = f"bound {np.abs(w).max():.4f} (r = {scale:.4f}), " if uniform else ""
    print(f"{name:30s} {shown}std {w.std():.4f} (formula {std:.4f})")
    assert abs(w.std() / std - 1) < 0.02
    if uniform:
        assert np.abs(w).max() <= scale
print(f"fan_avg / fan_in std for this layer: {np.sqrt(4 / (n_in + n_out)) / np.sqrt(2 / n_in):.3f}")

# %% [markdown]
# ## 3. LSUV: layer-sequential unit variance
#
# Xavier and He derive the scale from assumptions about the units (linear, or half-linear).
# LSUV (Mishkin & Matas, 2015) measures it instead: start from orthogonal weights, then,
# first layer to last, run a batch through the network and divide the layer's weights by
# the standard deviation of its output until that variance is 1. `nn.init.lsuv_(net, x)`
# does this in place; by default it first replaces the weights by orthogonal ones, as the
# paper does. With `orthogonal=False` it keeps the weights it is given and only rescales
# them: we run it that way on the collapsed σ = 0.01 networks, so the measured rescaling
# alone has to rescue them, and check, with a plain numpy forward pass over the resulting
# weights, that every linear layer's output now has variance ≈ 1.

# %%
for act, f_np in (("tanh", np.tanh), ("ReLU", lambda v: np.maximum(v, 0))):
    tg.manual_seed(2)
    net = deep_net(act, INITS["σ = 0.01"])
    nn.init.lsuv_(net, X_deep, tol=0.05, orthogonal=False)
    h = X_deep.numpy().astype(np.float64)
    variances = []
    for m in net:
        if isinstance(m, nn.Linear):
            h = h @ m.weight.numpy().T.astype(np.float64)
            variances.append(h.var())
            h = f_np(h)
    variances = np.array(variances)
    print(f"LSUV, {act:4s}: Var(W_i x) per layer", variances.round(3), f" rms x⁽¹⁰⁾ = {rms(h):.3f}")
    assert (np.abs(variances - 1) < 0.05).all()
    acts, grads = run(net)
    g = np.array([rms(gr) for gr in grads])
    print("            grad rms per layer", g.round(4))
    assert rms(acts[-1]) > 0.4 and g.min() > 1e-3       # neither activations nor grads vanish

# %% [markdown]
# **Summary.** Equal weights make equal units, and gradient descent cannot separate them.
# Random weights need the right scale: each layer multiplies the signal's mean square by
# `n_in·Var(W)` times a factor set by the activation (≈1 for tanh near 0, ½ for ReLU), so a
# deep network only keeps its signal when that product is 1 — Xavier for tanh, He for ReLU.
# LSUV reaches the same goal by measuring the variance on data instead of deriving it.
