# %% [markdown]
# # 06 · Regularization: fighting overfitting on a small training set
#
# This notebook follows the regularization part of the UCLA lecture (L2 and L1 penalties,
# early stopping, data augmentation, ensembles and bagging, dropout and inverted dropout)
# and the HKUST notes on dropout and augmentation.
#
# The setting is deliberately hostile: a two-hidden-layer MLP with 128 units per layer
# (about 26,000 weights) learns the 8x8 digits from only **100 images**, ten per class, and
# is judged on 899 held-out images. Without help it memorizes the training set and its
# validation loss climbs after a few dozen epochs. Each remedy below is trained from the same
# initialization with the same optimizer, and the notebook asserts that it ends with a lower
# validation loss than the unregularized baseline.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim
from tapegrad.data import load_digits, random_shift, train_val_split

plt.rcParams["figure.figsize"] = (5, 3.5)
plt.rcParams["figure.dpi"] = 80

# %% [markdown]
# ## The data and the baseline
#
# Pixels are scaled from 0..16 to 0..1. Half of the digits (stratified by class) form the
# validation set; the first ten images of each class in the other half are the training set.

# %%
X, y = load_digits()
X = X / 16.0
(X_pool, y_pool), (X_val, y_val) = train_val_split(X, y, val_fraction=0.5, seed=0,
                                                  stratify=True)
pick = np.concatenate([np.flatnonzero(y_pool == c)[:10] for c in range(10)])
X_train, y_train = X_pool[pick], y_pool[pick]
print("train", X_train.shape, np.bincount(y_train), " validation", X_val.shape)
X_val_t = tg.tensor(X_val)


def mlp(p_drop=0.0, hidden=128):
    """64 -> hidden -> hidden -> 10 with ReLU, and dropout after each hidden layer if p > 0."""
    layers = []
    for fan_in in (64, hidden):
        layers += [nn.Linear(fan_in, hidden), nn.ReLU()]
        if p_drop:
            layers.append(nn.Dropout(p_drop))
    return nn.Sequential(*layers, nn.Linear(hidden, 10))


def val_loss(model):
    model.eval()
    with tg.no_grad():
        return F.cross_entropy(model(X_val_t), y_val).item()


def train(seed=0, p_drop=0.0, l2=0.0, l1=0.0, augment=None, X_t=X_train, y_t=y_train,
          epochs=200, every=5, lr=3e-3):
    """Full-batch Adam on (X_t, y_t); returns the model and its train/validation curves
    (one point every `every` epochs). l2, l1: penalty weights on the weight matrices;
    augment(X, rng): a fresh transformed copy of the inputs each epoch."""
    tg.manual_seed(seed)
    model = mlp(p_drop)
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    opt = optim.Adam(model.parameters(), lr=lr)
    aug_rng = np.random.default_rng(seed)
    curves = {"epoch": [], "train": [], "val": []}
    for epoch in range(1, epochs + 1):
        model.train()
        inputs = augment(X_t, aug_rng) if augment else X_t
        data_loss = F.cross_entropy(model(tg.tensor(inputs)), y_t)
        loss = data_loss
        if l2:
            loss = loss + l2 * F.l2_penalty(weights)
        if l1:
            loss = loss + l1 * F.l1_penalty(weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % every == 0:
            curves["epoch"].append(epoch)
            curves["train"].append(data_loss.item())
            curves["val"].append(val_loss(model))
    return model, {k: np.array(v) for k, v in curves.items()}


baseline, base = train()
print(f"baseline: train loss {base['train'][-1]:.4f}, validation loss {base['val'][-1]:.3f} "
      f"(lowest {base['val'].min():.3f} at epoch {base['epoch'][base['val'].argmin()]})")


def plot_curves(runs, title):
    fig, ax = plt.subplots()
    for (name, c), color in zip(runs.items(), plt.cm.tab10.colors):
        ax.plot(c["epoch"], c["val"], color=color, label=f"{name} (val)")
        ax.plot(c["epoch"], c["train"], color=color, linestyle="dotted")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (dotted: train)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    plt.show()


plot_curves({"baseline": base}, "overfitting 100 digits")

# %% [markdown]
# The training loss goes to almost zero while the validation loss turns around and rises:
# the network becomes ever more confident about the 100 images it has seen, including where
# it is wrong on new ones. That is the overfitting we want to cure.

# %%
assert base["train"][-1] < 0.01
assert base["val"][-1] > base["val"].min() + 0.05

# %% [markdown]
# ## L2 and L1 penalties
#
# Add $\lambda\,\Omega(w)$ to the cost, with $\Omega = \tfrac12\sum w^2$ (L2, "weight decay":
# its gradient is $\lambda w$, pulling every weight towards 0 in proportion to its size) or
# $\Omega = \sum |w|$ (L1: gradient $\lambda\,\mathrm{sign}(w)$, the same pull on small and
# large weights, which favours many weights near zero). First a check of the penalties
# and their gradients against the formulas:

# %%
w = tg.tensor(np.array([[0.5, -2.0], [0.0, 3.0]]), requires_grad=True)
F.l2_penalty([w]).backward()
assert np.isclose(F.l2_penalty([w]).item(), 0.5 * (0.25 + 4 + 9))
assert np.allclose(w.grad.numpy(), w.numpy())
w.grad = None
F.l1_penalty([w]).backward()
assert np.isclose(F.l1_penalty([w]).item(), 5.5)
assert np.allclose(w.grad.numpy(), np.sign(w.numpy()))

# %%
m_l2, l2_run = train(l2=3e-3)
m_l1, l1_run = train(l1=3e-4)
plot_curves({"baseline": base, "L2 (3e-3)": l2_run, "L1 (3e-4)": l1_run}, "penalties")
print(f"final validation loss: baseline {base['val'][-1]:.3f}, L2 {l2_run['val'][-1]:.3f}, "
      f"L1 {l1_run['val'][-1]:.3f}")
assert l2_run["val"][-1] < base["val"][-1] - 0.05
assert l1_run["val"][-1] < base["val"][-1] - 0.05

# %% [markdown]
# The two penalties shape the weights differently: L2 shrinks all of them, L1 pushes a large
# share of them to (nearly) zero.

# %%
def first_layer(model):
    return model[0].weight.numpy().ravel()


fig, ax = plt.subplots()
bins = np.linspace(-0.4, 0.4, 81)
for name, model in [("baseline", baseline), ("L2", m_l2), ("L1", m_l1)]:
    ax.hist(first_layer(model), bins=bins, histtype="step", label=name)
ax.set_yscale("log")
ax.set_xlabel("first-layer weight")
ax.legend()
plt.show()
small = {name: np.mean(np.abs(first_layer(m)) < 1e-2)
         for name, m in [("baseline", baseline), ("L2", m_l2), ("L1", m_l1)]}
print("share of first-layer weights below 0.01:", {k: round(float(v), 3) for k, v in small.items()})
assert small["L1"] > 2 * small["baseline"]
assert np.abs(first_layer(m_l2)).mean() < np.abs(first_layer(baseline)).mean()

# %% [markdown]
# ## Dropout: inverted and original, equal in expectation
#
# Dropout multiplies each unit by a Bernoulli mask $m$ that keeps it with probability
# $1-p$. The original formulation uses $x \odot m$ in training, and at test time scales the
# activations by $1-p$, the expected value of the mask. *Inverted* dropout (the usual one
# today) instead divides by $1-p$ during training, $x \odot m/(1-p)$, so that test time
# needs no change. Both make the test-time output equal to the expected training output.
# We check this on a fixed vector by averaging 20,000 masks; the standard error of each mean
# is known in closed form, $|x|\sqrt{p(1-p)/N}$ for the original and that divided by $(1-p)$
# for the inverted one.

# %%
p, N = 0.3, 20_000
x_vec = tg.tensor(np.array([1.0, -2.0, 0.5, 3.0]))
tg.manual_seed(1)
inv = np.stack([F.dropout(x_vec, p, training=True).numpy() for _ in range(N)])
orig = np.stack([F.dropout(x_vec, p, training=True, inverted=False).numpy() for _ in range(N)])
inv_test = F.dropout(x_vec, p, training=False).numpy()
orig_test = F.dropout(x_vec, p, training=False, inverted=False).numpy()
print("inverted: mean over masks", inv.mean(0).round(3), " test output", inv_test)
print("original: mean over masks", orig.mean(0).round(3), " test output", orig_test)
x_np = x_vec.numpy()
se = np.abs(x_np) * np.sqrt(p * (1 - p) / N)
assert np.array_equal(inv_test, x_np) and np.allclose(orig_test, (1 - p) * x_np)
assert np.all(np.abs(inv.mean(0) - inv_test) < 5 * se / (1 - p))
assert np.all(np.abs(orig.mean(0) - orig_test) < 5 * se)
assert np.isclose((inv == 0).mean(), p, atol=0.01)

# %% [markdown]
# Given the same mask the two versions differ only by the factor $1/(1-p)$, so a network
# trained with one is the network trained with the other, with the next layer's weights
# rescaled. Replaying the generator state makes the masks identical:

# %%
state = tg.get_rng_state()
a = F.dropout(x_vec, p, training=True).numpy()
tg.set_rng_state(state)
b = F.dropout(x_vec, p, training=True, inverted=False).numpy()
assert np.allclose(a, b / (1 - p))

# %% [markdown]
# Dropout ($p = 0.5$ after both hidden layers) on the overfitting problem:

# %%
m_drop, drop_run = train(p_drop=0.5)
plot_curves({"baseline": base, "dropout 0.5": drop_run}, "dropout")
print(f"final validation loss: baseline {base['val'][-1]:.3f}, dropout {drop_run['val'][-1]:.3f}")
assert drop_run["val"][-1] < base["val"][-1] - 0.05

# %% [markdown]
# ## Early stopping
#
# Treat the number of epochs as a hyperparameter chosen on the validation set: keep a copy
# of the weights whenever the validation loss reaches a new low, stop when it has not
# improved for `patience` evaluations, and return the best copy.


# %%
def train_early_stopping(patience=5, every=5, max_epochs=200, lr=3e-3, seed=0):
    tg.manual_seed(seed)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=lr)
    best, best_state, waited, curve = np.inf, None, 0, []
    for epoch in range(1, max_epochs + 1):
        model.train()
        loss = F.cross_entropy(model(tg.tensor(X_train)), y_train)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % every:
            continue
        v = val_loss(model)
        curve.append((epoch, v))
        if v < best:
            best, waited = v, 0
            best_state = {k: t.numpy().copy() for k, t in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    return model, np.array(curve), best


m_es, es_curve, es_best = train_early_stopping()
stopped_at, best_epoch = es_curve[-1, 0], es_curve[es_curve[:, 1].argmin(), 0]
print(f"stopped at epoch {stopped_at:.0f}, kept the weights of epoch {best_epoch:.0f}: "
      f"validation loss {val_loss(m_es):.3f} (baseline after 200 epochs: {base['val'][-1]:.3f})")

fig, ax = plt.subplots()
ax.plot(base["epoch"], base["val"], label="baseline (val)")
ax.plot(*es_curve.T, "o", markersize=3, label="early-stopping run")
ax.axvline(best_epoch, color="grey", linestyle="dotted", label="weights kept")
ax.set_xlabel("epoch")
ax.set_ylabel("validation cross-entropy")
ax.legend()
plt.show()

# %% [markdown]
# The restored model's loss is the minimum of its validation curve, and since the run uses
# the same seed and data as the baseline, its curve is the baseline's curve up to the stop.

# %%
assert np.isclose(val_loss(m_es), es_best, rtol=1e-5)
assert np.allclose(es_curve[:, 1], base["val"][:len(es_curve)], rtol=1e-5)
assert stopped_at < 200
assert val_loss(m_es) < base["val"][-1] - 0.05

# %% [markdown]
# ## Data augmentation
#
# More data is the best regularizer, and for images some of it can be made up: a digit
# shifted by one pixel is still the same digit. Every epoch the network sees each training
# image moved by its own random offset in $\{-1, 0, 1\}^2$ (`tapegrad.data.random_shift`).

# %%
examples = X_train[::10][:6]                 # one image each of the digits 0 to 5
shifted = random_shift(examples, max_shift=1, image_shape=(8, 8), seed=3)
fig, axes = plt.subplots(2, 6, figsize=(6, 2.2))
for k in range(6):
    axes[0, k].imshow(examples[k].reshape(8, 8), cmap="gray_r")
    axes[1, k].imshow(shifted[k].reshape(8, 8), cmap="gray_r")
for a in axes.ravel():
    a.axis("off")
axes[0, 0].set_title("original", fontsize=8, loc="left")
axes[1, 0].set_title("shifted", fontsize=8, loc="left")
plt.show()
# a shift keeps the ink unless it pushes a non-empty border row/column out of the image
assert shifted.shape == (6, 64)
assert np.all(shifted.sum(1) <= examples.sum(1) + 1e-6)
# each shifted image is its original moved by one offset in {-1, 0, 1}^2 (zeros shifted in)
for orig, new in zip(examples.reshape(-1, 8, 8), shifted.reshape(-1, 8, 8)):
    padded = np.pad(orig, 1)
    assert any(np.allclose(new, padded[1 + dy:9 + dy, 1 + dx:9 + dx])
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))


# %%
def shift_augment(X_batch, rng):
    return random_shift(X_batch, max_shift=1, image_shape=(8, 8), seed=rng)


m_aug, aug_run = train(augment=shift_augment)
plot_curves({"baseline": base, "random shifts": aug_run}, "augmentation")
print(f"final validation loss: baseline {base['val'][-1]:.3f}, augmented "
      f"{aug_run['val'][-1]:.3f}")
assert aug_run["val"][-1] < base["val"][-1] - 0.05

# %% [markdown]
# ## Bagging: an ensemble of small nets
#
# Train five networks, each on its own bootstrap sample (100 draws with replacement from the
# 100 training images) and from its own initialization, and average their predicted class
# probabilities. Their errors are partly independent, so they partly cancel. For the
# log-loss the ensemble is never worse than its average member: $-\log$ is convex, so
# $-\log \frac1K\sum_k p_k \le \frac1K \sum_k -\log p_k$ for every example (Jensen).

# %%
members, member_losses = [], []
for k in range(5):
    boot = np.random.default_rng(100 + k).integers(0, len(y_train), len(y_train))
    model, _ = train(seed=10 + k, X_t=X_train[boot], y_t=y_train[boot])
    model.eval()
    with tg.no_grad():
        members.append(model(X_val_t).softmax(-1).numpy().astype(np.float64))
    member_losses.append(val_loss(model))
rows = np.arange(len(y_val))
ensemble = np.mean(members, axis=0)
ens_loss = -np.log(ensemble[rows, y_val]).mean()
print("members:", np.round(member_losses, 3), f" ensemble: {ens_loss:.3f}, "
      f"baseline {base['val'][-1]:.3f}")
per_example_members = np.mean([-np.log(p_k[rows, y_val]) for p_k in members], axis=0)
assert np.all(-np.log(ensemble[rows, y_val]) <= per_example_members + 1e-6)
assert ens_loss < base["val"][-1] - 0.05

# %% [markdown]
# ## Summary
#
# Validation loss after training (lower is better), and accuracy for reference:

# %%
def accuracy_of(probs):
    return (probs.argmax(1) == y_val).mean()


def probs_of(model):
    model.eval()
    with tg.no_grad():
        return model(X_val_t).softmax(-1).numpy()


summary = {
    "baseline": (base["val"][-1], accuracy_of(probs_of(baseline))),
    "L2": (l2_run["val"][-1], accuracy_of(probs_of(m_l2))),
    "L1": (l1_run["val"][-1], accuracy_of(probs_of(m_l1))),
    "dropout": (drop_run["val"][-1], accuracy_of(probs_of(m_drop))),
    "early stopping": (val_loss(m_es), accuracy_of(probs_of(m_es))),
    "augmentation": (aug_run["val"][-1], accuracy_of(probs_of(m_aug))),
    "bagging (5 nets)": (ens_loss, accuracy_of(ensemble)),
}
for name, (loss, acc) in summary.items():
    print(f"{name:>18}: validation loss {loss:.3f}   accuracy {acc:.3f}")
assert all(loss < summary["baseline"][0] for name, (loss, _) in summary.items()
           if name != "baseline")
