"""fit: a small training loop with a progress bar, history, early stopping and checkpoints.

It is sugar over the loop users can always write themselves:

    for epoch in range(epochs):
        model.train()
        for X, y in loader:
            optimizer.zero_grad(); loss = loss_fn(model(X), y); loss.backward()
            optimizer.step()
        model.eval()
        with tg.no_grad(): ...evaluate...
        scheduler.step()

Losses are averaged over samples (each batch's mean loss weighted by its size), so
loss_fn should use reduction='mean'. Accuracy is reported when the targets are integer
class labels (n,) and the model gives logits (n, C) (argmax) or (n,)/(n, 1) (logit > 0).

>>> import tapegrad as tg
>>> from tapegrad import data, nn, optim
>>> tg.manual_seed(0)
>>> X, y = data.make_blobs(300, centers=3, seed=0)
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
>>> history = fit(model, nn.functional.cross_entropy, optim.Adam(model.parameters(), 0.05),
...               (X, y), epochs=5, batch_size=32, progress=False)
>>> history["train_loss"][-1] < history["train_loss"][0], history["train_accuracy"][-1] > 0.9
(True, True)
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from . import random as _random
from .data import DataLoader
from .optim.lr_scheduler import ReduceLROnPlateau
from .optim.newton import Newton
from .serialization import load, save
from .tape import no_grad
from .tensor import Tensor

Batches = DataLoader | Iterable[Any] | tuple[Any, Any]


# ---------------------------------------------------------------- metrics
def _correct(output: np.ndarray, target: np.ndarray) -> int | None:
    """How many predictions are right, or None when output/target are not logits/labels."""
    if target.dtype.kind not in "iu" or target.ndim != 1 or len(output) != len(target):
        return None
    if output.ndim == 2 and output.shape[1] >= 2:
        predicted = output.argmax(axis=1)
    elif output.ndim == 1 or (output.ndim == 2 and output.shape[1] == 1):
        predicted = (output.reshape(-1) > 0).astype(np.int64)
    else:
        return None
    return int((predicted == target).sum())


def accuracy(output: Any, target: Any) -> float:
    """Fraction of samples whose predicted class equals the label.

    output: logits (n, C), predicted class argmax; or binary logits (n,)/(n, 1), class 1
    where the logit is > 0. target: integer labels (n,).

    >>> accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1]))
    0.6666666666666666
    """
    try:
        out, tgt = np.asarray(output), np.asarray(target)
    except ValueError:
        raise ValueError("accuracy: output and target must be rectangular arrays; one of "
                         "them has rows of different lengths") from None
    correct = _correct(out, tgt)
    if correct is None:
        raise ValueError(f"accuracy: expected logits (n, C) or (n,) and integer labels (n,), "
                         f"got output {out.dtype} {out.shape} and target {tgt.dtype} "
                         f"{tgt.shape}")
    if len(tgt) == 0:
        raise ValueError("accuracy: no samples")
    return correct / len(tgt)


def _loader(data: Batches, batch_size: int, who: str) -> Iterable[Any]:
    """A DataLoader for an (X, y) pair; a DataLoader or iterable of batches as is."""
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        return DataLoader(data, batch_size=batch_size, shuffle=who == "fit")
    if isinstance(data, (np.ndarray, Tensor)) or not isinstance(data, Iterable):
        raise TypeError(f"{who}: data must be a DataLoader, an iterable of (X, y) batches or "
                        f"an (X, y) tuple, got {type(data).__name__}")
    return data


def _describe(value: Any) -> str:
    """A value's type and shape (or length) for an error message, never its contents."""
    if isinstance(value, (np.ndarray, Tensor)):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def _check_model(model: Any, who: str) -> None:
    for name in ("train", "eval", "state_dict"):
        if not callable(getattr(model, name, None)):
            raise TypeError(f"{who}: model must be an nn.Module (it has no {name}()), got "
                            f"{type(model).__name__}")


def _split(batch: Any, who: str) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        hint = ("; to pass whole arrays give the tuple (X, y), not a list"
                if isinstance(batch, (np.ndarray, Tensor)) else "")
        raise ValueError(f"{who}: each batch must be a pair (X, y), got "
                         f"{_describe(batch)}{hint}")
    x, y = batch
    return (x if isinstance(x, Tensor) else Tensor(x),
            y if isinstance(y, Tensor) else Tensor(y))


class _Meter:
    """Sample-weighted running loss and accuracy over one pass."""

    def __init__(self) -> None:
        self.n, self.loss_sum, self.correct = 0, 0.0, 0
        self.counts_accuracy = True

    def add(self, loss: float | None, output: np.ndarray, target: np.ndarray) -> None:
        n = len(target)
        self.n += n
        if loss is not None:
            self.loss_sum += loss * n
        correct = _correct(output, target)
        if correct is None:
            self.counts_accuracy = False
        else:
            self.correct += correct

    def results(self, prefix: str = "") -> dict[str, float]:
        out: dict[str, float] = {}
        if self.n == 0:
            return out
        out[prefix + "loss"] = self.loss_sum / self.n
        if self.counts_accuracy:
            out[prefix + "accuracy"] = self.correct / self.n
        return out


def evaluate(model: Any, data: Batches, loss_fn: Callable[[Tensor, Tensor], Tensor] | None = None,
             batch_size: int = 256) -> dict[str, float]:
    """Loss (if loss_fn is given) and accuracy (for class labels) of `model` over `data`, in
    eval mode and under no_grad; the model's train/eval mode is restored afterwards.

    data: a DataLoader, an iterable of (X, y) batches, or an (X, y) pair of arrays.
    Returns e.g. {"loss": 0.08, "accuracy": 0.975} (loss averaged over samples)."""
    _check_model(model, "evaluate")
    batches = _loader(data, batch_size, "evaluate")
    was_training = getattr(model, "training", False)
    meter = _Meter()
    model.eval()
    try:
        with no_grad():
            for batch in batches:
                x, y = _split(batch, "evaluate")
                out = model(x)
                loss = None if loss_fn is None else loss_fn(out, y).item()
                meter.add(loss, np.asarray(out), np.asarray(y))
    finally:
        model.train(was_training)
    if meter.n == 0:
        raise ValueError("evaluate: the data has no batches")
    results = meter.results()
    if loss_fn is None:
        del results["loss"]
    if not results:
        raise ValueError("evaluate: the targets are not class labels, so there is no "
                         "accuracy; pass loss_fn= to measure the loss")
    return results


# ---------------------------------------------------------------- history, callbacks
@dataclass
class History:
    """What fit measured, one entry per epoch: history["train_loss"], ["train_accuracy"],
    ["val_loss"], ["val_accuracy"] (the accuracies only for classification) and ["lr"]
    (the first param group's rate during the epoch; with a scheduler stepped per batch, the
    rate of the epoch's last batch). `epoch` holds the epoch numbers."""

    epoch: list[int] = field(default_factory=list)
    history: dict[str, list[float]] = field(default_factory=dict)

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.history:
            raise KeyError(f"History has no {key!r}; it has {sorted(self.history)}")
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)


@dataclass
class FitState:
    """What callbacks see and may change: set stop_training = True to end after this epoch."""

    model: Any
    optimizer: Any
    scheduler: Any
    train: Iterable[Any]
    has_val: bool
    history: History
    epoch: int = 0
    stop_training: bool = False


class Callback:
    """Base class: override any of the hooks (they do nothing here)."""

    def on_train_begin(self, state: FitState) -> None:
        """Before the first epoch; raise here to refuse a setup before anything trains."""

    def on_epoch_end(self, state: FitState, logs: dict[str, float]) -> None:
        """After each epoch's training, validation and scheduler step."""

    def on_train_end(self, state: FitState) -> None:
        """After the last epoch (also when stopped early); not when fit raises."""


_MONITORABLE = ("val_loss", "val_accuracy", "train_loss", "train_accuracy")


class _Monitor(Callback):
    """Tracks the best value of one logged quantity ('val_loss', 'train_accuracy', ...)."""

    def __init__(self, monitor: str, mode: str, min_delta: float, who: str) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if monitor not in _MONITORABLE:
            raise ValueError(f"{who}: monitor must be one of the quantities fit logs, "
                             f"{list(_MONITORABLE)}, got {monitor!r}")
        self.monitor, self.who = monitor, who
        self.mode = mode if mode != "auto" else ("max" if "acc" in monitor else "min")
        self.min_delta = abs(float(min_delta))
        self.best: float | None = None
        self.best_epoch: int | None = None

    def on_train_begin(self, state: FitState) -> None:
        if self.monitor.startswith("val_") and not state.has_val:
            raise ValueError(f"{self.who}: monitor={self.monitor!r} needs validation data; "
                             "pass val=... to fit or monitor a train_ quantity")
        self.best, self.best_epoch = None, None

    def _improved(self, state: FitState, logs: dict[str, float]) -> bool:
        """Whether this epoch's value beats the best by min_delta (and record it if so)."""
        if self.monitor not in logs:
            raise ValueError(f"{self.who}: {self.monitor!r} is not logged; available: "
                             f"{sorted(logs)}")
        value = logs[self.monitor]
        if self.best is None:
            better = not math.isnan(value)
        elif self.mode == "min":
            better = value < self.best - self.min_delta
        else:
            better = value > self.best + self.min_delta
        if better:
            self.best, self.best_epoch = value, state.epoch
        return better


class EarlyStopping(_Monitor):
    """Stop when `monitor` has not improved by more than min_delta for `patience` epochs.

    restore_best_weights=True loads the model's state (parameters and buffers) from the best
    epoch when training ends, also when stopped early, but not when fit raises (e.g. on a
    NaN loss: the model then keeps the weights of its last finite step). After fit: best,
    best_epoch, stopped_epoch (None if it ran to the end)."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True) -> None:
        super().__init__(monitor, mode, min_delta, "EarlyStopping")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self.patience, self.restore_best_weights = patience, restore_best_weights
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_state: dict[str, np.ndarray] | None = None

    def on_train_begin(self, state: FitState) -> None:
        super().on_train_begin(state)
        self.wait, self.stopped_epoch, self._best_state = 0, None, None

    def on_epoch_end(self, state: FitState, logs: dict[str, float]) -> None:
        if self._improved(state, logs):
            self.wait = 0
            if self.restore_best_weights:
                self._best_state = {k: v.numpy().copy()
                                    for k, v in state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True

    def on_train_end(self, state: FitState) -> None:
        if self.restore_best_weights and self._best_state is not None:
            state.model.load_state_dict(self._best_state)


def checkpoint_state(state: FitState) -> dict[str, Any]:
    """Everything an exact resume needs after epoch `state.epoch`: the model's and the
    optimizer's (and scheduler's) state dicts, the training DataLoader's state, tapegrad's
    RNG state (dropout, shuffling) and the history so far."""
    loader = state.train if isinstance(state.train, DataLoader) else None
    return {"epoch": state.epoch + 1,
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "scheduler": None if state.scheduler is None else state.scheduler.state_dict(),
            "loader": None if loader is None else loader.state_dict(),
            "rng": _random.get_rng_state(),
            "history": {"epoch": state.history.epoch, **state.history.history}}


def load_checkpoint(path: str | os.PathLike[str], model: Any, optimizer: Any = None,
                    scheduler: Any = None, loader: DataLoader | None = None,
                    restore_rng: bool = True) -> dict[str, Any]:
    """Load a ModelCheckpoint file into fresh objects (each one given; the model always),
    and tapegrad's RNG state unless restore_rng=False. Returns the checkpoint; continue with
    fit(..., epochs=total, initial_epoch=checkpoint["epoch"]) for the same result as an
    uninterrupted run.

    Every part is checked before any is loaded: if one does not fit its object, a
    ValueError names the file and the part, and nothing (model, optimizer, scheduler,
    loader, RNG) has changed."""
    name = os.fspath(path)
    ckpt = load(path)
    if not isinstance(ckpt, dict) or not {"epoch", "model", "optimizer"} <= set(ckpt):
        raise ValueError(f"load_checkpoint: {name} is not a ModelCheckpoint file")
    parts = [(part, target) for part, target in (("optimizer", optimizer),
                                                 ("scheduler", scheduler), ("loader", loader))
             if target is not None]
    for part in [part for part, _ in parts] + (["rng"] if restore_rng else []):
        if ckpt.get(part) is None:
            raise ValueError(f"load_checkpoint: {name} has no {part} state")
    # Dry runs: each part is loaded into a copy of its object, made by one deepcopy (so the
    # scheduler's copy drives the optimizer's copy) that shares the model's tensors and the
    # loader's data (its dataset and arrays) instead of copying them; the objects themselves
    # are not touched.
    data = [] if loader is None else [loader.dataset, *(loader.arrays or ())]
    shared = [*model.parameters(), *model.buffers(), *data]
    copies = copy.deepcopy([target for _, target in parts], {id(x): x for x in shared})
    for (part, _), dry_run in zip(parts, copies):
        try:
            dry_run.load_state_dict(ckpt[part])
        except (ValueError, TypeError) as e:
            raise type(e)(f"load_checkpoint: the {part} state in {name} does not fit: {e}"
                          ) from None
    if restore_rng:
        _random.check_rng_state(ckpt["rng"], f"load_checkpoint: the rng state in {name} is "
                                "not a generator state")
    try:  # checks every entry before writing any
        model.load_state_dict(ckpt["model"])
    except (ValueError, TypeError) as e:
        raise type(e)(f"load_checkpoint: the model state in {name} does not fit: {e}"
                      ) from None
    for part, target in parts:
        target.load_state_dict(ckpt[part])
    if restore_rng:
        _random.set_rng_state(ckpt["rng"])
    return ckpt


_LOGGED = ("lr", *_MONITORABLE)  # what fit logs each epoch (accuracies for class labels)


class ModelCheckpoint(_Monitor):
    """Save a checkpoint with tg.save after each epoch (save_best_only=True: only when
    `monitor` improved). The file name in `path` may contain the fields {epoch}, {lr},
    {train_loss}, {train_accuracy}, {val_loss} and {val_accuracy}, with format specs
    ("ckpt_{epoch:03d}_{val_loss:.3f}.npz"); the folder must exist when fit begins.

    The file holds the model's state_dict under "model", the optimizer's under "optimizer",
    plus the scheduler, loader and RNG states and the epoch count (see checkpoint_state);
    tg.load(path)["model"] goes straight into model.load_state_dict."""

    def __init__(self, path: str | os.PathLike[str], monitor: str = "val_loss",
                 save_best_only: bool = False, mode: str = "auto") -> None:
        super().__init__(monitor, mode, 0.0, "ModelCheckpoint")
        if not isinstance(path, (str, os.PathLike)) or not isinstance(os.fspath(path), str):
            raise TypeError(f"ModelCheckpoint: path must be a str or a pathlib.Path, got "
                            f"{type(path).__name__}")
        self.path, self.save_best_only = os.fspath(path), save_best_only
        self._fill(dict.fromkeys(_LOGGED, 0.0), "")
        try:  # the folder without fields ({{ and }} unescaped)
            self._folder = os.path.dirname(self.path).format() or os.curdir
        except (KeyError, IndexError):
            raise ValueError(f"ModelCheckpoint: path {self.path!r} has a field in its "
                             "folder; fields may only be in the file name") from None
        self.saved: list[str] = []

    def _fill(self, logs: dict[str, float], why_missing: str, epoch: int = 1) -> str:
        """The path for these logs; a ValueError naming the path if the template does not
        fit them (an unknown field, a bad format spec)."""
        try:
            return self.path.format(epoch=epoch, **logs)
        except KeyError as e:
            known = ", ".join("{" + k + "}" for k in ("epoch", *logs))
            raise ValueError(f"ModelCheckpoint: path {self.path!r} uses the field "
                             f"{{{e.args[0]}}}, which fit does not log{why_missing}; it can "
                             f"use {known}") from None
        except (IndexError, ValueError, AttributeError, TypeError) as e:
            raise ValueError(f"ModelCheckpoint: path {self.path!r} is not a template fit "
                             f"can fill ({e}); write fields like {{epoch}} or "
                             "{val_loss:.3f}, and {{ or }} for a literal brace") from None

    def on_train_begin(self, state: FitState) -> None:
        if self.save_best_only:
            super().on_train_begin(state)
        if not state.has_val:
            self._fill(dict.fromkeys(("lr", "train_loss", "train_accuracy"), 0.0),
                       " without validation data (pass val=... to fit)")
        if not os.path.isdir(self._folder):
            raise ValueError(f"ModelCheckpoint: the folder of {self.path!r} "
                             f"({os.path.abspath(self._folder)}) does not exist; create it "
                             "before training")

    def on_epoch_end(self, state: FitState, logs: dict[str, float]) -> None:
        if self.save_best_only and not self._improved(state, logs):
            return
        path = self._fill(logs, " (accuracies only for class labels)", epoch=state.epoch + 1)
        save(checkpoint_state(state), path)
        self.saved.append(path)


# ---------------------------------------------------------------- the loop
def _train_step(model: Any, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Any,
                x: Tensor, y: Tensor, epoch: int, batch: int) -> tuple[float, np.ndarray]:
    """One optimizer step through a closure (so LBFGS-style optimizers work as well);
    returns the loss and the output of the closure's first evaluation. Newton
    differentiates the gradient again, so its backward keeps the graph (create_graph).

    The first evaluation checks the batch's loss before zero_grad and backward: a NaN or
    infinite loss raises from inside the closure, before the optimizer has used any
    gradient, so the failing batch changes no parameter, gradient or optimizer state (the
    forward pass has updated buffers such as BatchNorm's running statistics)."""
    first: list[tuple[float, np.ndarray]] = []
    create_graph = isinstance(optimizer, Newton)

    def closure() -> Tensor:
        out = model(x)
        loss = loss_fn(out, y)
        if not first:
            if not isinstance(loss, Tensor) or loss.size != 1:
                raise TypeError(f"fit: loss_fn must return the loss as a one-element Tensor, "
                                f"got {_describe(loss)}")
            value = loss.item()
            if not math.isfinite(value):
                raise ValueError(f"fit: the training loss is {value} at epoch {epoch + 1}, "
                                 f"batch {batch + 1}; try a smaller learning rate or check "
                                 "the data (the step of this batch was not taken)")
            first.append((value, np.asarray(out)))
        optimizer.zero_grad()
        loss.backward(create_graph=create_graph)
        return loss

    optimizer.step(closure)
    return first[0]


def _check_fit_args(model: Any, loss_fn: Any, optimizer: Any, scheduler: Any, epochs: Any,
                    initial_epoch: Any, callbacks: Any, scheduler_interval: Any
                    ) -> list[Callback]:
    """Raise before training on a bad argument; returns the callbacks as a list."""
    _check_model(model, "fit")
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be a function (output, target) -> loss, e.g. "
                        f"nn.functional.cross_entropy, got {type(loss_fn).__name__}")
    for name in ("step", "zero_grad", "state_dict"):
        if not callable(getattr(optimizer, name, None)):
            raise TypeError(f"fit: optimizer must be a tapegrad optimizer (it has no "
                            f"{name}()), got {type(optimizer).__name__}")
    for name, value, low in (("epochs", epochs, 1), ("initial_epoch", initial_epoch, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"fit: {name} must be an int >= {low}, got {value!r}")
    if initial_epoch >= epochs:
        raise ValueError(f"fit: initial_epoch={initial_epoch} leaves nothing to do with "
                         f"epochs={epochs} (epochs is the total count, as in Keras)")
    if isinstance(callbacks, Callback) or not isinstance(callbacks, Iterable):
        raise TypeError(f"fit: callbacks must be a list of Callback instances, got "
                        f"{type(callbacks).__name__}; pass callbacks=[...]")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback instances, got "
                            f"{type(cb).__name__}")
    if scheduler is not None and getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError(f"fit: the scheduler ({type(scheduler).__name__}) was made for "
                         "another optimizer than the one passed to fit; its steps would "
                         "change that optimizer's learning rate")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got "
                         f"{scheduler_interval!r}")
    if scheduler_interval == "batch" and isinstance(scheduler, ReduceLROnPlateau):
        raise ValueError("fit: ReduceLROnPlateau steps on an epoch's loss; give it "
                         "scheduler_interval='epoch'")
    return callbacks


def _check_reiterable(batches: Iterable[Any], name: str, epochs: int) -> None:
    """A one-shot iterator (a generator) is used up after one epoch: refuse it for more."""
    if isinstance(batches, Iterator) and epochs > 1:
        raise ValueError(f"fit: {name} is a one-shot iterator ({type(batches).__name__}), "
                         f"used up after one epoch, and fit is to run {epochs} epochs; pass "
                         "a re-iterable: a list or a DataLoader")


def fit(model: Any, loss_fn: Callable[[Tensor, Tensor], Tensor], optimizer: Any,
        train: Batches, val: Batches | None = None, epochs: int = 10, scheduler: Any = None,
        callbacks: Sequence[Callback] = (), progress: bool = True, batch_size: int = 32,
        initial_epoch: int = 0, scheduler_interval: str = "epoch") -> History:
    """Train `model` for epochs initial_epoch .. epochs-1 and return the History.

    train / val: a DataLoader, an iterable of (X, y) batches, or an (X, y) pair of arrays
        (then batched by batch_size; train shuffled from tapegrad's generator).
    Each epoch: model.train(); per batch zero_grad, forward, loss, backward,
    optimizer.step(closure); then model.eval() and the validation pass under no_grad; then
    scheduler.step() (ReduceLROnPlateau gets the val loss, or the train loss without val);
    then the callbacks. scheduler_interval='batch' steps the scheduler after each batch's
    optimizer step instead, for the schedules made per batch (OneCycleLR, CyclicLR, a
    warmup counted in steps). A tqdm bar shows the progress (progress=False hides it).
    A batch whose loss is NaN or infinite stops training with a ValueError naming the
    epoch and batch, raised before that batch's optimizer step: the parameters and the
    optimizer keep their state after the last finite batch (buffers the forward pass
    updates, such as BatchNorm's running statistics, have seen the batch, as in PyTorch),
    and no callback's on_train_end runs (so EarlyStopping does not restore weights under an
    error)."""
    callbacks = _check_fit_args(model, loss_fn, optimizer, scheduler, epochs, initial_epoch,
                                callbacks, scheduler_interval)
    per_batch = scheduler if scheduler_interval == "batch" else None
    train_batches = _loader(train, batch_size, "fit")
    val_batches = None if val is None else _loader(val, batch_size, "fit (val)")
    _check_reiterable(train_batches, "the training data", epochs - initial_epoch)
    if val_batches is not None:
        _check_reiterable(val_batches, "val", epochs - initial_epoch)
    history = History()
    state = FitState(model, optimizer, scheduler, train_batches, val_batches is not None,
                     history)
    for cb in callbacks:
        cb.on_train_begin(state)
    per_epoch = len(train_batches) if hasattr(train_batches, "__len__") else None
    bar = tqdm(total=None if per_epoch is None else per_epoch * (epochs - initial_epoch),
               disable=not progress, unit="batch", dynamic_ncols=True)
    try:
        for epoch in range(initial_epoch, epochs):
            state.epoch = epoch
            bar.set_description(f"epoch {epoch + 1}/{epochs}")
            logs, lr = _fit_epoch(state, loss_fn, bar, per_batch)
            if val_batches is not None:
                logs.update({"val_" + k: v for k, v in
                             evaluate(model, val_batches, loss_fn).items()})
            logs["lr"] = lr
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(logs.get("val_loss", logs["train_loss"]))
            elif scheduler is not None and per_batch is None:
                scheduler.step()
            history.append(epoch, logs)
            bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "lr"})
            for cb in callbacks:
                cb.on_epoch_end(state, logs)
            if state.stop_training:
                break
    finally:
        bar.close()
    for cb in callbacks:
        cb.on_train_end(state)
    return history


def _fit_epoch(state: FitState, loss_fn: Callable[[Tensor, Tensor], Tensor], bar: tqdm,
               per_batch: Any) -> tuple[dict[str, float], float]:
    """One pass over the training batches, stepping `per_batch` (a scheduler, or None)
    after each; returns ({"train_loss", ["train_accuracy"]}, the last batch's rate)."""
    state.model.train()
    meter = _Meter()
    groups = state.optimizer.param_groups
    for i, batch in enumerate(state.train):
        x, y = _split(batch, "fit")
        lr = float(groups[0]["lr"])
        loss, out = _train_step(state.model, loss_fn, state.optimizer, x, y, state.epoch, i)
        if per_batch is not None:
            per_batch.step()
        meter.add(loss, out, np.asarray(y))
        bar.update(1)
        bar.set_postfix(loss=f"{meter.loss_sum / meter.n:.4g}", refresh=False)
    if meter.n == 0:
        raise ValueError(f"fit: the training data gave no batches in epoch {state.epoch + 1}")
    return meter.results("train_"), lr
