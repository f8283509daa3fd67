# %% [markdown]
# # 05 · Batch normalization: its graph, its backward pass, and why deep nets need it
#
# This notebook follows the batch-normalization part of the lectures (the UCLA lecture on
# initialization and batchnorm, and the KTH DD2424 slides that derive the backward pass of a
# BN layer on its computational graph). It shows:
#
# 1. the graph tapegrad records for a BN layer: the lecture's chain of mean, subtract,
#    square, mean, add ε, square root, divide, scale and shift, drawn expanded and collapsed;
# 2. the reverse sweep stepped through those records, each local derivative checked by hand;
# 3. tapegrad's gradient against the closed-form BN backward formula of the slides;
# 4. the running averages used at test time (train mode vs eval mode);
# 5. LayerNorm, which normalizes each sample instead of each feature;
# 6. a 10-layer network with a bad initialization that stalls without BN and trains with it.
#
# tapegrad has no hand-written BatchNorm backward: the layer is a composition of primitives,
# so its gradient is whatever the chain rule over those records gives. Every claim is
# asserted against an independent computation.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim
import tapegrad.viz as viz
from tapegrad.data import load_digits, standardize

plt.rcParams["figure.figsize"] = (5, 3.5)
plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)

# %% [markdown]
# ## 1. The graph of a BN layer
#
# A tiny network: a linear layer with 3 inputs and 2 outputs followed by `BatchNorm1d(2)`,
# on a batch of 4 samples. The modules push their attribute names as scopes, so the drawing
# groups the records of each layer in a cluster.


# %%
class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))


net = TinyNet()
x = tg.randn(4, 3)
x.name = "x"
weights = tg.tensor([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0], [-1.0, 3.0]], name="c")
with tg.Tape() as tape:
    s_hat = net(x)
    loss = (s_hat * weights).sum()
print(tape)

# %% [markdown]
# The records inside the `bn` scope are exactly the lecture's graph, in order:

# %%
bn_ops = [r.op for r in tape if r.scope == ("bn",)]
print(bn_ops)
assert bn_ops == ["mean", "sub", "square", "mean", "add", "sqrt", "div", "mul", "add"]

# %% [markdown]
# Drawn with every record open, top to bottom (values are shown where a tensor has at most
# 8 entries; the dashed note holds the layer's buffers, the running statistics and
# `num_batches_tracked`, state that the layer updates outside the graph and that gets no
# gradient):

# %%
viz.draw(loss, module=net, grads=False, rankdir="TB")

# %% [markdown]
# and with the BN layer collapsed to one box, which is how you want to look at a real
# network:

# %%
viz.draw(loss, module=net, collapse=["bn"], grads=False, rankdir="TB")

# %% [markdown]
# ## 2. Stepping the reverse sweep through the BN records
#
# `tg.backward_steps(loss)` yields the records in the order backward visits them, with the
# gradient arriving at each record's output (`g`) and the gradients it sends to its inputs.
# For each BN record we recompute what it sends from the local derivative by hand
# (in numpy, from the record's own inputs), e.g. $\partial(a/b)/\partial a = 1/b$ and
# $\partial(a/b)/\partial b = -a/b^2$, summed over the batch where $b$ was broadcast.

# %%
LOCAL = {  # op -> (g, inputs) -> expected gradients to the inputs, derived by hand
    "mean": lambda g, a: [np.broadcast_to(g / a.shape[0], a.shape)],
    "sub": lambda g, a, b: [g, -g.sum(0)],
    "square": lambda g, a: [2 * a * g],
    "add": lambda g, a, b: [g, g.sum(0) if b.ndim else None],
    "sqrt": lambda g, a: [g / (2 * np.sqrt(a))],
    "div": lambda g, a, b: [g / b, -(g * a / b ** 2).sum(0)],
    "mul": lambda g, a, b: [g * b, (g * a).sum(0)],
}
for step in tg.backward_steps(loss):
    rec = step.record
    if rec.scope != ("bn",):
        continue
    print(step)
    inputs = [t.numpy().astype(np.float64) for t in rec.inputs]
    expected = LOCAL[rec.op](step.grad_output.numpy().astype(np.float64), *inputs)
    for got, want in zip(step.grad_inputs, expected):
        assert (got is None) == (want is None)
        if want is not None:
            assert np.allclose(got.numpy(), want, rtol=1e-4, atol=1e-6), rec

# %% [markdown]
# `viz.backward_frames` draws the same sweep as pictures, one per record; here are the frames
# for the division $\hat s = (s-\mu)/\sqrt{v+\epsilon}$, and for the `mean` that computes
# $\mu$, the last BN record of the sweep. $s$ feeds two records, `sub` and that `mean`, so
# its gradient is the sum of their two contributions; the paths through $v$ and through
# $\mu$ have both been folded into them by then.

# %%
frames = viz.backward_frames(loss, module=net, rankdir="TB")
steps = list(tg.backward_steps(loss))
assert len(frames) == len(steps)
picked = [n for n, st in enumerate(steps) if st.record.scope == ("bn",)
          and st.record.op in ("div", "mean")]
frames[picked[0]]

# %%
frames[picked[-1]]

# %% [markdown]
# ## 3. The closed-form BN backward of the slides
#
# With $\mu_b = \frac1n\sum_i s_i$, $v_b = \frac1n\sum_i (s_i-\mu_b)^2$ (per feature) and
# $\hat s_i = (v_b+\epsilon)^{-1/2} \odot (s_i - \mu_b)$, the KTH slides collect the three
# paths from $s_i$ to the cost:
# $$\frac{\partial J}{\partial v_b} = -\frac12 \sum_i \frac{\partial J}{\partial \hat s_i}
# \odot (v_b+\epsilon)^{-3/2} \odot (s_i - \mu_b),\qquad
# \frac{\partial J}{\partial \mu_b} = -\sum_i \frac{\partial J}{\partial \hat s_i} \odot
# (v_b+\epsilon)^{-1/2},$$
# $$\frac{\partial J}{\partial s_i} = \frac{\partial J}{\partial \hat s_i}\odot
# (v_b+\epsilon)^{-1/2} + \frac2n \frac{\partial J}{\partial v_b}\odot(s_i-\mu_b) +
# \frac1n\frac{\partial J}{\partial \mu_b}.$$
# We take a batch of 16 scores with 5 features, an arbitrary upstream gradient $G$ (so
# $J = \sum G \odot \hat s$), and compare in float64.

# %%
rng = np.random.default_rng(1)
n, m, eps = 16, 5, 1e-5
s_np = rng.normal(2.0, 3.0, size=(n, m))
G = rng.normal(size=(n, m))

s = tg.tensor(s_np, requires_grad=True)
gamma = tg.tensor(rng.normal(size=m), requires_grad=True)
beta = tg.tensor(rng.normal(size=m), requires_grad=True)
s_hat = F.batch_norm(s, None, None, training=True, eps=eps)
(s_hat * tg.tensor(G)).sum().backward()

mu = s_np.mean(0)
v = ((s_np - mu) ** 2).mean(0)
dJ_dv = -0.5 * (G * (v + eps) ** -1.5 * (s_np - mu)).sum(0)
dJ_dmu = -(G * (v + eps) ** -0.5).sum(0)
dJ_ds = G * (v + eps) ** -0.5 + 2 / n * dJ_dv * (s_np - mu) + dJ_dmu / n
err = np.abs(s.grad.numpy() - dJ_ds).max()
print(f"max |tapegrad - closed form| is of order 1e{np.floor(np.log10(err)):.0f}")
assert np.allclose(s.grad.numpy(), dJ_ds, rtol=1e-10, atol=1e-12)

# %% [markdown]
# With the learnable scale and shift $y = \gamma\odot\hat s + \beta$ the two new gradients are
# $\partial J/\partial\gamma = \sum_i G_i \odot \hat s_i$ and
# $\partial J/\partial\beta = \sum_i G_i$, and the gradient to $s$ is the one above with $G$
# replaced by $G\odot\gamma$.

# %%
s.grad = None
y = F.batch_norm(s, None, None, gamma, beta, training=True, eps=eps)
(y * tg.tensor(G)).sum().backward()
s_hat_np = (s_np - mu) / np.sqrt(v + eps)
assert np.allclose(gamma.grad.numpy(), (G * s_hat_np).sum(0))
assert np.allclose(beta.grad.numpy(), G.sum(0))
Gg = G * gamma.numpy()
dJ_dv = -0.5 * (Gg * (v + eps) ** -1.5 * (s_np - mu)).sum(0)
dJ_dmu = -(Gg * (v + eps) ** -0.5).sum(0)
assert np.allclose(s.grad.numpy(),
                   Gg * (v + eps) ** -0.5 + 2 / n * dJ_dv * (s_np - mu) + dJ_dmu / n)
print("gamma, beta and s gradients match the formulas")

# %% [markdown]
# A consequence worth seeing: the BN output does not change if every input of a feature is
# shifted by a constant, so the gradient to $s$ sums to zero over the batch, per feature.

# %%
print("largest |sum over the batch| < 1e-10:", np.abs(s.grad.numpy().sum(0)).max() < 1e-10)
assert np.allclose(s.grad.numpy().sum(0), 0, atol=1e-10)

# %% [markdown]
# ## 4. Running averages: train mode vs eval mode
#
# At test time there may be a single sample, so there is no batch to take statistics from.
# During training the layer keeps exponential running averages
# $r_\mu \leftarrow (1-\alpha) r_\mu + \alpha\,\mu_B$ and
# $r_{v} \leftarrow (1-\alpha) r_v + \alpha\,\frac{n}{n-1} v_B$ (momentum $\alpha=0.1$,
# the unbiased batch variance, PyTorch's convention); in eval mode it normalizes with them.
# It also counts the batches it has seen, `num_batches_tracked`, as PyTorch does.
# We feed 60 batches from a distribution with known per-feature means and standard
# deviations and replay the recurrence in numpy.

# %%
true_mean = np.array([2.0, -1.0, 0.5])
true_std = np.array([3.0, 0.5, 1.0])
bn = nn.BatchNorm1d(3)
r_mu, r_var, history = np.zeros(3), np.ones(3), []
data_rng = np.random.default_rng(2)
for _ in range(60):
    batch = data_rng.normal(true_mean, true_std, size=(32, 3))
    bn(tg.tensor(batch, dtype=tg.float32))
    r_mu = 0.9 * r_mu + 0.1 * batch.mean(0)
    r_var = 0.9 * r_var + 0.1 * batch.var(0, ddof=1)
    history.append(bn.running_mean.numpy().copy())
assert np.allclose(bn.running_mean.numpy(), r_mu, rtol=1e-4, atol=1e-5)
assert np.allclose(bn.running_var.numpy(), r_var, rtol=1e-4)
assert bn.num_batches_tracked.item() == 60
print("running mean", bn.running_mean.numpy().round(4), " running var",
      bn.running_var.numpy().round(4))
assert np.allclose(bn.running_mean.numpy(), true_mean, atol=0.3)
assert np.allclose(np.sqrt(bn.running_var.numpy()), true_std, rtol=0.15)

fig, ax = plt.subplots()
ax.plot(np.array(history))
ax.hlines(true_mean, 0, 59, linestyles="dotted", colors="grey")
ax.set_xlabel("training batch")
ax.set_ylabel("running mean")
plt.show()

# %% [markdown]
# In train mode a sample's output depends on which batch it sits in; in eval mode it does
# not, it is $\gamma (x - r_\mu)/\sqrt{r_v+\epsilon} + \beta$ and the running statistics stay
# put.

# %%
sample = data_rng.normal(true_mean, true_std, size=(1, 3))
batch_a = np.vstack([sample, data_rng.normal(true_mean, true_std, size=(7, 3))])
batch_b = np.vstack([sample, data_rng.normal(true_mean, true_std, size=(7, 3))])
with tg.no_grad():
    train_a = bn(tg.tensor(batch_a, dtype=tg.float32)).numpy()[0]
    train_b = bn(tg.tensor(batch_b, dtype=tg.float32)).numpy()[0]
    bn.eval()
    before = bn.running_mean.numpy().copy()
    eval_a = bn(tg.tensor(batch_a, dtype=tg.float32)).numpy()[0]
    eval_b = bn(tg.tensor(batch_b, dtype=tg.float32)).numpy()[0]
print("train mode:", train_a.round(4), train_b.round(4))
print("eval mode: ", eval_a.round(4), eval_b.round(4))
assert not np.allclose(train_a, train_b, atol=1e-2)
assert np.allclose(eval_a, eval_b)
expected = (sample[0] - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + bn.eps)
assert np.allclose(eval_a, expected, atol=1e-5)
assert np.array_equal(before, bn.running_mean.numpy())

# %% [markdown]
# ## 5. LayerNorm beside BatchNorm
#
# LayerNorm (lectures: "Improving the way neural networks learn") uses the same formula but
# takes the mean and variance over the features of each sample instead of over the batch for
# each feature. So BN makes every *column* of the batch zero-mean and unit-variance, LN every
# *row*, and a sample's LN output does not depend on the rest of the batch, in training too.

# %%
X = tg.tensor(rng.normal(true_mean, true_std, size=(6, 3)))
bn_out = F.batch_norm(X, None, None, training=True).numpy()
ln_out = nn.LayerNorm(3)(X).numpy()
assert np.allclose(bn_out.mean(0), 0, atol=1e-6) and np.allclose(bn_out.var(0), 1, atol=1e-3)
assert np.allclose(ln_out.mean(1), 0, atol=1e-6) and np.allclose(ln_out.var(1), 1, atol=1e-3)
Xn = X.numpy()
ln_np = (Xn - Xn.mean(1, keepdims=True)) / np.sqrt(Xn.var(1, keepdims=True) + 1e-5)
assert np.allclose(ln_out, ln_np, atol=1e-5)
assert np.allclose(nn.LayerNorm(3)(X[:2]).numpy(), ln_out[:2], atol=1e-6)

fig, axes = plt.subplots(1, 3, figsize=(7, 2.5))
for ax, (title, a) in zip(axes, [("input", Xn), ("BatchNorm: columns", bn_out),
                                 ("LayerNorm: rows", ln_out)]):
    ax.imshow(a, cmap="coolwarm", vmin=-3, vmax=3)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("feature")
axes[0].set_ylabel("sample")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 6. A deep network that needs BN
#
# Ten tanh layers of 64 units, all weights drawn from $N(0, 0.05^2)$, on the digits. Each
# layer shrinks the signal by about $0.05\sqrt{64} = 0.4$, so without normalization the
# activations (and the gradients flowing back) die away layer by layer, and plain SGD
# barely moves the loss off $\ln 10$, the loss of a uniform guess. With a BN layer before
# each tanh, every layer sees unit-variance inputs again, whatever the weights.

# %%
X_all, y_all = load_digits()
scale = standardize(X_all[:1000])
X_tr, y_tr = scale(X_all[:1000]).astype(np.float32), y_all[:1000]


def deep_net(batchnorm, depth=10, width=64):
    layers, fan_in = [], 64
    for _ in range(depth - 1):
        layers.append(nn.Linear(fan_in, width))
        if batchnorm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(nn.Tanh())
        fan_in = width
    layers.append(nn.Linear(fan_in, 10))
    model = nn.Sequential(*layers)
    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, std=0.05)
            nn.init.zeros_(layer.bias)
    return model


def train(model, epochs=8, batch=100, lr=0.1):
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order_rng = np.random.default_rng(3)
    losses = []
    for _ in range(epochs):
        order = order_rng.permutation(len(X_tr))
        for k in range(0, len(order), batch):
            idx = order[k:k + batch]
            loss = F.cross_entropy(model(tg.tensor(X_tr[idx])), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return np.array(losses)


def layer_stds(model, x):
    """Standard deviation of every Linear layer's output, in a forward pass at init."""
    stds = []
    with tg.no_grad():
        for layer in model.children():
            x = layer(x)
            if isinstance(layer, nn.Linear):
                stds.append(float(x.numpy().std()))
    return np.array(stds)


tg.manual_seed(0)
stds_plain = layer_stds(deep_net(batchnorm=False), tg.tensor(X_tr[:200]))
print("std of each Linear output without BN:", stds_plain.round(5))
# each layer multiplies the spread by about 0.05 * sqrt(64) = 0.4 (tanh is ~identity near 0)
assert np.allclose(stds_plain[2:] / stds_plain[1:-1], 0.4, rtol=0.2)

# %% [markdown]
# The first layer's output has a standard deviation of about $0.05\sqrt{64}\cdot 1 = 0.4$ (the
# standardized inputs have unit variance) and every further layer multiplies it by about
# 0.4, down to about $0.4^{10} \approx 10^{-4}$ at the logits. The gradients reaching the
# first layers are scaled down the same way. Now both networks are trained for 8 epochs with
# SGD and momentum, from the same seed:

# %%
tg.manual_seed(0)
loss_plain = train(deep_net(batchnorm=False))
tg.manual_seed(0)
loss_bn = train(deep_net(batchnorm=True))
print(f"last 10 steps: without BN {loss_plain[-10:].mean():.3f}, with BN "
      f"{loss_bn[-10:].mean():.3f}, ln 10 = {np.log(10):.3f}")

fig, ax = plt.subplots()
ax.plot(loss_plain, label="10 tanh layers")
ax.plot(loss_bn, label="with BatchNorm")
ax.axhline(np.log(10), color="grey", linestyle="dotted", label="ln 10")
ax.set_xlabel("SGD step")
ax.set_ylabel("cross-entropy")
ax.legend()
plt.show()

# %%
assert loss_plain[-10:].mean() > 0.95 * np.log(10)
assert loss_bn[-10:].mean() < 0.25 * np.log(10)

# %% [markdown]
# **Summary.** A BatchNorm layer is nine primitive records: batch mean, subtract, square,
# mean (the variance), add ε, square root, divide, scale by γ, shift by β. Its backward pass
# is nothing more than the reverse sweep over those records, and it agrees with the
# closed-form formula of the slides to rounding error. The running statistics live outside
# the graph and take over in eval mode; LayerNorm normalizes rows instead of columns. Because
# every layer's input is renormalized, a badly scaled deep network that cannot learn on its
# own trains well with BN.
