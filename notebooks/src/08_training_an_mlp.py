# %% [markdown]
# # 08 · Training an MLP on the digits, end to end
#
# This notebook puts the pieces of the previous ones together into the workflow the DTU
# notes on optimising feed-forward networks describe for MNIST (a negative log-likelihood
# criterion on one-hot classes, minibatch training, monitoring on held-out data), with the
# tools of the other lectures: input standardization, BatchNorm, dropout, Adam and a
# learning-rate schedule. We use the 8x8 UCI digits shipped with tapegrad (1,797 images), so
# the whole run takes seconds.
#
# Steps: load and split the data; standardize; build the model; train with
# `tapegrad.training.fit` (progress bar, history, checkpoints); plot loss and accuracy;
# inspect the errors with a confusion matrix and a grid of misclassified digits; save and
# reload the model; draw its graph collapsed by layer. Every number that can be checked
# independently (with numpy or a formula) is asserted.

# %%
import os
import shutil
import tempfile

import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim
import tapegrad.viz as viz
from tapegrad.data import load_digits, standardize, train_val_split
from tapegrad.training import ModelCheckpoint, evaluate, fit, load_checkpoint

plt.rcParams["figure.figsize"] = (5, 3.5)
plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)

# %% [markdown]
# ## 1. Loading the data
#
# `load_digits()` returns the images as rows of 64 pixel intensities (0 to 16) and the
# labels 0 to 9.

# %%
X, y = load_digits()
print(X.shape, X.dtype, y.shape, y.dtype, "pixel range", X.min(), X.max())
print("images per class:", np.bincount(y))
assert X.shape == (1797, 64) and y.shape == (1797,)
assert X.min() == 0 and X.max() == 16 and set(np.unique(y)) == set(range(10))

fig, axes = plt.subplots(2, 10, figsize=(8, 1.8))
for digit in range(10):
    for row in range(2):
        ax = axes[row, digit]
        ax.imshow(X[np.flatnonzero(y == digit)[row]].reshape(8, 8), cmap="gray_r")
        ax.axis("off")
plt.show()

# %% [markdown]
# Three disjoint parts, each with the classes in the same proportions (`stratify=True`):
# 20 % test (touched once, at the end), then 20 % of the rest for validation (to watch
# training and pick the best epoch), the remainder for training.

# %%
(X_rest, y_rest), (X_test, y_test) = train_val_split(X, y, val_fraction=0.2, seed=0,
                                                    stratify=True)
(X_train, y_train), (X_val, y_val) = train_val_split(X_rest, y_rest, val_fraction=0.2,
                                                    seed=1, stratify=True)
print("train", len(y_train), " val", len(y_val), " test", len(y_test))
assert len(y_test) == int(np.ceil(0.2 * 1797))
assert len(y_train) + len(y_val) + len(y_test) == 1797
# stratified: every class's share in each part is within one image of its overall share
for part in (y_train, y_val, y_test):
    assert np.all(np.abs(np.bincount(part, minlength=10) - np.bincount(y) * len(part) / 1797)
                  <= 1)
# disjoint: no image appears in two parts (the digits set has no exact duplicates across
# these parts, so comparing rows is enough)
rows = {r.tobytes() for r in X_train}
assert not any(r.tobytes() in rows for r in np.vstack([X_val, X_test]))

# %% [markdown]
# ## 2. Standardization
#
# Each pixel is shifted and scaled with the mean and standard deviation measured **on the
# training set only**, and the same transform is applied to validation and test data.
# Pixels that are always 0 in the training set (the corners) have standard deviation 0;
# they are mapped to 0.

# %%
scale = standardize(X_train)
Z_train, Z_val, Z_test = (scale(a).astype(np.float32) for a in (X_train, X_val, X_test))
mean, std = X_train.mean(0), X_train.std(0)
varying = std > 0
print(f"{(~varying).sum()} constant pixels in the training set")
assert np.allclose(Z_train.mean(0), 0, atol=1e-5)
assert np.allclose(Z_train.std(0)[varying], 1, atol=1e-4)
assert np.allclose(Z_test[:, varying], (X_test[:, varying] - mean[varying]) / std[varying],
                   atol=1e-4)

# %% [markdown]
# ## 3. The model
#
# Two hidden layers, each a linear map, BatchNorm, ReLU and dropout (lectures 05 and 06),
# and a linear output layer giving 10 logits. Cross-entropy on the logits is the negative
# log-likelihood of the softmax probabilities.

# %%
def make_model():
    return nn.Sequential(
        nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(64, 10),
    )


model = make_model()
print(model)
n_params = sum(p.size for p in model.parameters())
by_hand = (64 * 128 + 128) + 2 * 128 + (128 * 64 + 64) + 2 * 64 + (64 * 10 + 10)
print("parameters:", n_params)
assert n_params == by_hand

# %% [markdown]
# ## 4. Training
#
# Adam ($\eta_0 = 3\cdot10^{-3}$) with cosine annealing of the rate to 0 over the 25
# epochs, minibatches of 64 shuffled from tapegrad's seeded generator. `fit` shows a
# progress bar, evaluates on the validation set after each epoch (eval mode, no graph), and
# the `ModelCheckpoint` callback saves the model whenever the validation loss reaches a new
# low.

# %%
EPOCHS = 25
opt = optim.Adam(model.parameters(), lr=3e-3)
sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
ckpt_dir = tempfile.mkdtemp()
best_path = os.path.join(ckpt_dir, "best.npz")
checkpoint = ModelCheckpoint(best_path, monitor="val_loss", save_best_only=True)
history = fit(model, F.cross_entropy, opt, (Z_train, y_train), val=(Z_val, y_val),
              epochs=EPOCHS, batch_size=64, scheduler=sched, callbacks=[checkpoint])

# %% [markdown]
# The learning rate recorded for each epoch follows the cosine schedule
# $\eta_t = \tfrac{\eta_0}{2}(1 + \cos(\pi t / T))$:

# %%
lr_formula = [3e-3 * (1 + np.cos(np.pi * t / EPOCHS)) / 2 for t in range(EPOCHS)]
assert np.allclose(history["lr"], lr_formula)

fig, axes = plt.subplots(1, 3, figsize=(10, 3))
epochs = np.arange(1, EPOCHS + 1)
axes[0].plot(epochs, history["train_loss"], label="train")
axes[0].plot(epochs, history["val_loss"], label="validation")
axes[0].set_ylabel("cross-entropy")
axes[0].set_yscale("log")
axes[1].plot(epochs, history["train_accuracy"], label="train")
axes[1].plot(epochs, history["val_accuracy"], label="validation")
axes[1].set_ylabel("accuracy")
axes[2].plot(epochs, history["lr"])
axes[2].set_ylabel("learning rate")
for ax in axes:
    ax.set_xlabel("epoch")
axes[0].legend()
plt.tight_layout()
plt.show()
print(f"final: train loss {history['train_loss'][-1]:.4f}, val loss "
      f"{history['val_loss'][-1]:.4f}, val accuracy {history['val_accuracy'][-1]:.4f}")
assert history["train_loss"][-1] < 0.2 * history["train_loss"][0]
assert history["val_accuracy"][-1] > 0.95

# %% [markdown]
# ## 5. Test accuracy and where the errors are
#
# The model in eval mode (BatchNorm uses its running statistics, dropout is off), once on
# the test set. `evaluate` reports loss and accuracy; we recompute both with numpy from the
# logits.

# %%
test = evaluate(model, (Z_test, y_test), F.cross_entropy)
model.eval()
with tg.no_grad():
    logits = model(tg.tensor(Z_test)).numpy().astype(np.float64)
pred = logits.argmax(1)
log_probs = logits - logits.max(1, keepdims=True)
log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
print(f"test loss {test['loss']:.4f}, test accuracy {test['accuracy']:.4f}")
assert np.isclose(test["accuracy"], (pred == y_test).mean())
assert np.isclose(test["loss"], -log_probs[np.arange(len(y_test)), y_test].mean(), rtol=1e-4)
assert test["accuracy"] > 0.95

# %% [markdown]
# The confusion matrix counts, for each true class (row), how often each class was
# predicted (column): the diagonal holds the correct answers.

# %%
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, pred), 1)
assert np.array_equal(confusion.sum(1), np.bincount(y_test, minlength=10))
assert np.isclose(np.trace(confusion) / len(y_test), test["accuracy"])

fig, ax = plt.subplots(figsize=(4.5, 4))
ax.imshow(confusion, cmap="Blues")
for i in range(10):
    for j in range(10):
        if confusion[i, j]:
            ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=8,
                    color="white" if confusion[i, j] > confusion.max() / 2 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted")
ax.set_ylabel("true")
plt.show()

# %% [markdown]
# The misclassified test digits, with the true label, the prediction and the probability
# the model gave to its (wrong) answer:

# %%
wrong = np.flatnonzero(pred != y_test)
print(len(wrong), "misclassified out of", len(y_test))
assert len(wrong) == len(y_test) - np.trace(confusion)
shown = wrong[:12]
fig, axes = plt.subplots(1, max(len(shown), 1), figsize=(1.0 * max(len(shown), 1), 1.6),
                         squeeze=False)
for ax, k in zip(axes[0], shown):
    ax.imshow(X_test[k].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{y_test[k]} -> {pred[k]}\np={np.exp(log_probs[k, pred[k]]):.2f}",
                 fontsize=7)
for ax in axes[0]:
    ax.axis("off")
plt.show()
assert all(pred[k] != y_test[k] for k in shown)

# %% [markdown]
# ## 6. Saving and reloading
#
# `tg.save` writes a state dict (parameters and BatchNorm's buffers: running statistics and
# batch count) to an `.npz` file, no pickle involved. A freshly built model of the same
# shape that loads it gives the *identical* test predictions, bit for bit.

# %%
path = os.path.join(ckpt_dir, "final.npz")
tg.save(model.state_dict(), path)


reloaded = make_model()
reloaded.load_state_dict(tg.load(path))
reloaded.eval()
with tg.no_grad():
    logits_again = reloaded(tg.tensor(Z_test)).numpy()
assert np.array_equal(logits_again, model(tg.tensor(Z_test)).numpy())
print("reloaded model: identical logits on all", len(y_test), "test images")

# %% [markdown]
# The checkpoint written during training holds the model of the epoch with the lowest
# validation loss; reloading it reproduces that epoch's validation loss from the history.

# %%
best_epoch = int(np.argmin(history["val_loss"]))
best_model = make_model()
ckpt = load_checkpoint(best_path, best_model, restore_rng=False)
print(f"best epoch {best_epoch + 1}, checkpoint after epoch {ckpt['epoch']}")
assert ckpt["epoch"] == best_epoch + 1
again = evaluate(best_model, (Z_val, y_val), F.cross_entropy)
assert np.isclose(again["loss"], history["val_loss"][best_epoch], rtol=1e-5)

# %% [markdown]
# ## 7. The model's graph, one box per layer
#
# A forward pass on 8 training images in train mode records a few dozen primitive
# operations. Drawn with every module collapsed, each layer of the `Sequential` becomes one
# box (the BatchNorm boxes stand for their nine primitives each, which notebook 05 opens),
# and so does the loss, recorded under a `tg.name_scope` of its own. The dashed notes are
# BatchNorm's buffers (running statistics and `num_batches_tracked`), state updated outside
# the graph.

# %%
model.train()
with tg.Tape() as tape:
    logits = model(tg.tensor(Z_train[:8], name="x"))
    with tg.name_scope("loss", "cross_entropy"):
        loss = F.cross_entropy(logits, y_train[:8])
layer_scopes = sorted({r.scope[0] for r in tape if r.scope and r.scope[0] != "loss"}, key=int)
print(f"{len(tape)} records; layers that recorded ops: {layer_scopes}")
assert layer_scopes == [name for name, _ in model.named_children()]
assert [r.scope for r in tape if not r.scope] == []      # every record belongs to a box
viz.draw(loss, collapse=True, module=model, values=False, grads=False, rankdir="TB")

# %% [markdown]
# Finally, remove the temporary checkpoint files.

# %%
shutil.rmtree(ckpt_dir)
assert not os.path.exists(best_path)
