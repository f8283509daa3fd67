"""tapegrad.training: fit against a hand-written loop and closed forms, callbacks, exact
resume from a checkpoint, and the digits target of issue 4."""

import doctest

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim
from tapegrad import data, training
from tapegrad.optim import lr_scheduler


# ---------------------------------------------------------------- metrics
def test_docstring_examples():
    result = doctest.testmod(training)
    assert result.attempted > 0 and result.failed == 0


def test_accuracy_matches_numpy(rng):
    logits = rng.normal(size=(50, 4))
    labels = rng.integers(0, 4, 50)
    assert training.accuracy(tg.tensor(logits), labels) == np.mean(logits.argmax(1) == labels)
    binary = rng.normal(size=(30, 1))
    y = rng.integers(0, 2, 30)
    assert training.accuracy(binary, y) == np.mean((binary[:, 0] > 0) == y)
    with pytest.raises(ValueError, match=r"integer labels.*float64 \(50,\)"):
        training.accuracy(logits, labels.astype(float))


def blobs(n=120, seed=0):
    X, y = data.make_blobs(n, centers=3, n_features=4, cluster_std=2.0, seed=seed)
    return data.standardize(X)(X), y


def mlp(n_in=4, hidden=8, n_out=3, extra=()):
    return nn.Sequential(nn.Linear(n_in, hidden), *extra, nn.ReLU(), nn.Linear(hidden, n_out))


def params(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_evaluate_in_eval_mode_without_records(rng):
    X, y = blobs()
    model = mlp(extra=(nn.BatchNorm1d(8), nn.Dropout(0.5)))
    model.train()
    out = training.evaluate(model, (X, y), F.cross_entropy, batch_size=50)
    assert model.training  # mode restored
    assert all(p.grad is None for p in model.parameters())
    model.eval()
    logits = model(tg.tensor(X)).numpy().astype(np.float64)
    logp = logits - logits.max(1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(1, keepdims=True))
    assert out["loss"] == pytest.approx(-logp[np.arange(len(y)), y].mean(), rel=1e-5)
    assert out["accuracy"] == np.mean(logits.argmax(1) == y)
    assert "loss" not in training.evaluate(model, data.DataLoader((X, y), batch_size=7))
    with pytest.raises(ValueError, match="pass loss_fn"):
        training.evaluate(model, (X, X))
    with pytest.raises(TypeError, match="nn.Module"):
        training.evaluate(lambda x: x, (X, y))


# ---------------------------------------------------------------- fit = the plain loop
def test_fit_equals_a_hand_written_loop():
    X, y = blobs()
    Xv, yv = blobs(30, seed=1)
    tg.manual_seed(1)
    model = mlp(extra=(nn.Dropout(0.3),))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    loader = data.DataLoader((X, y), batch_size=16, shuffle=True)
    history = training.fit(model, F.cross_entropy, opt, loader, val=(Xv, yv), epochs=3,
                           scheduler=sched, progress=False)

    tg.manual_seed(1)
    ref = mlp(extra=(nn.Dropout(0.3),))
    ref_opt = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    losses, accs, val_losses, lrs = [], [], [], []
    for _ in range(3):
        ref.train()
        total, correct = 0.0, 0
        lrs.append(ref_opt.param_groups[0]["lr"])
        for idx in np.array_split(tg.random.generator().permutation(120), range(16, 120, 16)):
            ref_opt.zero_grad()
            out = ref(tg.tensor(X[idx]))
            loss = F.cross_entropy(out, tg.tensor(y[idx]))
            loss.backward()
            ref_opt.step()
            total += loss.item() * len(idx)
            correct += int((out.numpy().argmax(1) == y[idx]).sum())
        for g in ref_opt.param_groups:
            g["lr"] *= 0.5
        losses.append(total / 120)
        accs.append(correct / 120)
        ref.eval()
        with tg.no_grad():
            val_losses.append(F.cross_entropy(ref(tg.tensor(Xv)), tg.tensor(yv)).item())
    for a, b in zip(params(model), params(ref)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(history["train_loss"], losses, rtol=1e-6)
    assert history["train_accuracy"] == accs
    np.testing.assert_allclose(history["val_loss"], val_losses, rtol=1e-5)
    assert history["lr"] == lrs == [0.1, 0.05, 0.025]
    assert history.epoch == [0, 1, 2] and len(history) == 3


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.LBFGS(p, lr=1.0, max_iter=50, line_search_fn="strong_wolfe"),
])
def test_fit_reaches_the_least_squares_solution(make_opt):
    X, y = data.make_regression_1d(200, noise=0.3, fn=lambda x: 2 * x - 1, seed=0)
    A = np.hstack([X, np.ones_like(X)]).astype(np.float64)
    (w, b), *_ = np.linalg.lstsq(A, y[:, 0].astype(np.float64), rcond=None)
    model = nn.Sequential(nn.Linear(1, 1))
    history = training.fit(model, F.mse_loss, make_opt(model.parameters()),
                           data.DataLoader((X, y), batch_size=200), epochs=60, progress=False)
    assert "train_accuracy" not in history  # float targets: no accuracy
    assert model[0].weight.item() == pytest.approx(w, abs=1e-3)
    assert model[0].bias.item() == pytest.approx(b, abs=1e-3)
    residual = A @ [w, b] - y[:, 0]
    assert history["train_loss"][-1] == pytest.approx(np.mean(residual ** 2), rel=1e-4)


def test_plateau_scheduler_gets_the_validation_loss():
    X, y = blobs()

    class Recording(lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    for val in [(X[:40], y[:40]), None]:
        seen = []
        model = mlp()
        opt = optim.Adam(model.parameters(), lr=1e-2)
        history = training.fit(model, F.cross_entropy, opt, (X, y), val=val, epochs=3,
                               scheduler=Recording(opt, patience=0), progress=False)
        assert seen == history["val_loss" if val else "train_loss"]


def test_a_per_batch_scheduler_steps_after_every_batch():
    """scheduler_interval='batch': batch k trains at LinearLR's rate for step k,
    lr0·(½ + ½·min(k, 6)/6), over two epochs of 4 batches; each epoch logs its last batch's."""
    X, y = blobs(40)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.2)
    sched = lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=6)
    seen = []

    def loss_fn(out, target):
        seen.append(opt.param_groups[0]["lr"])
        return F.cross_entropy(out, target)

    history = training.fit(model, loss_fn, opt, (X, y), epochs=2, batch_size=10,
                           scheduler=sched, scheduler_interval="batch", progress=False)
    expected = [0.2 * (0.5 + 0.5 * min(k, 6) / 6) for k in range(8)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12)
    assert sched.last_epoch == 8 and history["lr"] == pytest.approx([expected[3], expected[7]])
    for kwargs, match in (({"scheduler_interval": "step"}, "'epoch' or 'batch', got 'step'"),
                          ({"scheduler": lr_scheduler.ReduceLROnPlateau(opt),
                            "scheduler_interval": "batch"}, "ReduceLROnPlateau steps on")):
        with pytest.raises(ValueError, match=f"fit: .*{match}"):
            training.fit(model, F.cross_entropy, opt, (X, y), progress=False, **kwargs)


def test_progress_bar_is_shown(capsys):
    X, y = blobs(40)
    model = mlp()
    training.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y),
                 epochs=2, batch_size=10)
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "8/8" in err and "train_loss" in err


# ---------------------------------------------------------------- callbacks
def overfitting_run(callbacks, epochs=40):
    """Train labels are the blobs' classes; validation labels are shuffled, so the val
    loss rises once the model fits the training set."""
    X, y = blobs(90)
    y_val = np.random.default_rng(3).permutation(y)
    tg.manual_seed(0)
    model = mlp(hidden=32)
    snapshots = []

    class Snapshot(training.Callback):
        def on_epoch_end(self, state, logs):
            snapshots.append(params(state.model))

    history = training.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05),
                           (X, y), val=(X, y_val), epochs=epochs, batch_size=30,
                           callbacks=[Snapshot(), *callbacks], progress=False)
    return model, history, snapshots


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    stop = training.EarlyStopping(patience=3)
    model, history, snapshots = overfitting_run([stop])
    val = history["val_loss"]
    best = int(np.argmin(val))
    assert stop.best_epoch == best and stop.best == val[best]
    assert len(val) == best + 4 < 40 and stop.stopped_epoch == best + 3
    assert all(v >= val[best] for v in val[best + 1:])
    for a, b in zip(params(model), snapshots[best]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_on_accuracy_and_without_restoring():
    stop = training.EarlyStopping("train_accuracy", patience=2, restore_best_weights=False)
    model, history, snapshots = overfitting_run([stop])
    acc = history["train_accuracy"]
    assert stop.mode == "max" and stop.best == max(acc[:-2])
    assert acc[-1] <= stop.best and acc[-2] <= stop.best
    for a, b in zip(params(model), snapshots[-1]):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_saves_only_improvements(tmp_path):
    ckpt = training.ModelCheckpoint(tmp_path / "e{epoch}-{val_loss:.3f}.npz",
                                    save_best_only=True)
    model, history, snapshots = overfitting_run([ckpt], epochs=12)
    val = history["val_loss"]
    improved = [e for e in range(12) if val[e] < min(val[:e], default=np.inf)]
    assert ckpt.saved == [str(tmp_path / f"e{e + 1}-{val[e]:.3f}.npz") for e in improved]
    state = tg.load(ckpt.saved[-1])
    assert state["epoch"] == improved[-1] + 1
    fresh = mlp(hidden=32)
    fresh.load_state_dict(state["model"])
    for a, b in zip(params(fresh), snapshots[improved[-1]]):
        np.testing.assert_array_equal(a, b)
    assert set(state["optimizer"]) == {"state", "param_groups"}


@pytest.mark.parametrize("generator", [None, 5])
def test_resume_from_a_checkpoint_is_bit_identical(tmp_path, generator):
    """Issue 8: train 2 epochs and checkpoint, load into fresh objects, train 2 more ==
    4 uninterrupted epochs (dropout and shuffling RNG, Adam moments, schedule, BatchNorm)."""
    X, y = blobs(100)

    def setup():
        model = mlp(extra=(nn.BatchNorm1d(8), nn.Dropout(0.3)))
        opt = optim.Adam(model.parameters(), lr=0.02)
        sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
        loader = data.DataLoader((X, y), batch_size=32, shuffle=True, generator=generator)
        return model, opt, sched, loader

    tg.manual_seed(0)
    model, opt, sched, loader = setup()
    full = training.fit(model, F.cross_entropy, opt, loader, epochs=4, scheduler=sched,
                        progress=False)

    tg.manual_seed(0)
    m1, o1, s1, l1 = setup()
    path = tmp_path / "ckpt.npz"
    training.fit(m1, F.cross_entropy, o1, l1, epochs=2, scheduler=s1, progress=False,
                 callbacks=[training.ModelCheckpoint(path)])
    tg.manual_seed(123)  # a different process state: other init, other generator
    m2, o2, s2, l2 = setup()
    ckpt = training.load_checkpoint(path, m2, o2, s2, l2)
    assert ckpt["epoch"] == 2
    rest = training.fit(m2, F.cross_entropy, o2, l2, epochs=4, scheduler=s2, progress=False,
                        initial_epoch=ckpt["epoch"])
    for a, b in zip(params(model), params(m2)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.buffers(), m2.buffers()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert rest.epoch == [2, 3] and rest["train_loss"] == full["train_loss"][2:]


# ---------------------------------------------------------------- errors
def test_bad_arguments_fail_before_training():
    X, y = blobs(40)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = params(model)
    cases = [
        (dict(epochs=0), ValueError, "epochs"),
        (dict(epochs=2, initial_epoch=2), ValueError, "initial_epoch"),
        (dict(callbacks=[object()]), TypeError, "Callback"),
        (dict(callbacks=[training.EarlyStopping()]), ValueError, "needs validation data"),
        (dict(scheduler=optim.lr_scheduler.StepLR(optim.SGD(mlp().parameters(), lr=1.0), 1)),
         ValueError, "scheduler .* was made for another optimizer"),
    ]
    for kwargs, exc, match in cases:
        with pytest.raises(exc, match=match):
            training.fit(model, F.cross_entropy, opt, (X, y), **{"epochs": 2, **kwargs},
                         progress=False)
    with pytest.raises(TypeError, match="nn.Module"):
        training.fit(lambda x: x, F.cross_entropy, opt, (X, y), progress=False)
    with pytest.raises(TypeError, match="optimizer"):
        training.fit(model, F.cross_entropy, "adam", (X, y), progress=False)
    with pytest.raises(TypeError, match="DataLoader"):
        training.fit(model, F.cross_entropy, opt, X, progress=False)
    with pytest.raises(ValueError, match="mode"):
        training.EarlyStopping(mode="up")
    with pytest.raises(ValueError, match=r"EarlyStopping: monitor must be one of .*'val_acc'"):
        training.EarlyStopping(monitor="val_acc")  # a typo fails now, not after an epoch
    with pytest.raises(ValueError, match="ModelCheckpoint: monitor must be one of"):
        training.ModelCheckpoint("ckpt.npz", monitor="loss")
    for a, b in zip(params(model), before):
        np.testing.assert_array_equal(a, b)


def test_a_diverging_loss_stops_with_a_clear_error():
    X, y = blobs(40)
    model = mlp()
    with pytest.raises(ValueError, match="loss is nan at epoch 1, batch 1"):
        training.fit(model, lambda out, t: out.sum() + float("nan"), optim.SGD(
            model.parameters(), lr=0.1), (X, y), epochs=2, progress=False)


def deep_equal(a, b):
    """Whether two (nested) state dicts hold the same values."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(deep_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(deep_equal(x, z) for x, z in zip(a, b))
    if isinstance(a, (np.ndarray, tg.Tensor)):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.Adam(p, lr=0.01),
], ids=["sgd-momentum", "adam"])
def test_a_non_finite_batch_changes_no_parameter_and_no_optimizer_state(make_opt, bad):
    """The loss of epoch 3, batch 2 is NaN (or inf): fit raises before that batch's step,
    so parameters, gradients and the optimizer's state are those after epoch 3, batch 1;
    no callback's on_train_end runs (EarlyStopping does not swap in its best weights)."""
    X, y = blobs(90)
    model = mlp()
    opt = make_opt(model.parameters())
    seen = []

    def loss_fn(out, t):
        seen.append((params(model), opt.state_dict(),
                     [None if p.grad is None else p.grad.numpy().copy()
                      for p in model.parameters()]))
        loss = F.cross_entropy(out, t)
        return loss * bad if len(seen) == 2 * 3 + 2 else loss  # 3 batches per epoch

    ended = []

    class End(training.Callback):
        def on_train_end(self, state):
            ended.append(state.epoch)

    stop = training.EarlyStopping("train_loss", patience=10, restore_best_weights=True)
    with pytest.raises(ValueError, match=f"loss is {bad} at epoch 3, batch 2"):
        training.fit(model, loss_fn, opt, (X, y), epochs=5, batch_size=30,
                     callbacks=[stop, End()], progress=False)
    before, opt_before, grads_before = seen[-1]
    for a, b in zip(params(model), before):
        np.testing.assert_array_equal(a, b)
    for p, g in zip(model.parameters(), grads_before):
        np.testing.assert_array_equal(p.grad.numpy(), g)
    assert deep_equal(opt.state_dict(), opt_before)
    assert ended == [] and stop.stopped_epoch is None and stop.best_epoch == 1
    # the same callbacks start afresh in the next fit
    training.fit(model, F.cross_entropy, opt, (X, y), epochs=2, batch_size=30,
                 callbacks=[stop, End()], progress=False)
    assert ended == [1] and stop.best_epoch in (0, 1)


def test_load_checkpoint_checks_every_part_before_loading_any(tmp_path):
    X, y = blobs(60)

    def setup(seed, opt_class=optim.Adam, wrap=False, n=60, generator=None):
        tg.manual_seed(seed)
        model = mlp(extra=(nn.BatchNorm1d(8),))
        model = nn.Sequential(model) if wrap else model  # other names, same parameters
        opt = opt_class(model.parameters(), lr=0.01)
        sched = lr_scheduler.StepLR(opt, step_size=1)
        loader = data.DataLoader((X[:n], y[:n]), batch_size=16, shuffle=True,
                                 generator=generator)
        return model, opt, sched, loader

    model, opt, sched, loader = setup(0)
    path = tmp_path / "ck.npz"
    training.fit(model, F.cross_entropy, opt, loader, epochs=2, scheduler=sched,
                 callbacks=[training.ModelCheckpoint(path)], progress=False)

    def snapshot(objects):
        model, opt, sched, loader = objects
        return ({k: v.numpy().copy() for k, v in model.state_dict().items()},
                opt.state_dict(), sched.state_dict(), loader.state_dict(),
                tg.get_rng_state())

    cases = [  # (objects one part of which does not fit, the part named)
        (setup(1, wrap=True), "model"),  # the other parts fit: loaded only after it
        (setup(1, opt_class=lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9)), "optimizer"),
        (setup(1, n=50), "loader"),
        (setup(1, generator=3), "loader"),
    ]
    broken = tg.load(path)
    broken["scheduler"] = {"step_size": 1}
    tg.save(broken, tmp_path / "bad_scheduler.npz")
    broken = tg.load(path)
    broken["rng"] = {"bit_generator": "nothing"}
    tg.save(broken, tmp_path / "bad_rng.npz")
    for objects, part in cases + [(setup(1), "scheduler"), (setup(1), "rng")]:
        file = {"scheduler": "bad_scheduler.npz", "rng": "bad_rng.npz"}.get(part, "ck.npz")
        tg.manual_seed(5)
        before = snapshot(objects)
        with pytest.raises(ValueError, match=f"the {part} state in .*{file}"):
            training.load_checkpoint(tmp_path / file, *objects)
        assert deep_equal(snapshot(objects), before), part
    fresh = setup(1)
    assert training.load_checkpoint(path, *fresh)["epoch"] == 2
    assert deep_equal(snapshot(fresh)[:4], snapshot((model, opt, sched, loader))[:4])


def test_checkpoint_path_and_folder_are_checked_before_training(tmp_path):
    X, y = blobs(40)
    model = mlp()
    before = params(model)

    def fit(path, val=None):
        training.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y),
                     val=val, epochs=2, callbacks=[training.ModelCheckpoint(path)],
                     progress=False)

    with pytest.raises(ValueError, match=r"ck_\{val_los\}.npz' uses the field \{val_los\}, "
                                         r"which fit does not log; it can use \{epoch\}"):
        training.ModelCheckpoint(tmp_path / "ck_{val_los}.npz")
    for template in ("ck_{val_loss:d}.npz", "ck_{}.npz", "ck_{epoch.x}.npz", "ck_{epoch"):
        with pytest.raises(ValueError, match="is not a template fit can fill"):
            training.ModelCheckpoint(template)
    with pytest.raises(ValueError, match="field in its folder"):
        training.ModelCheckpoint(tmp_path / "run{epoch}" / "ck.npz")
    with pytest.raises(TypeError, match="ModelCheckpoint: path must be a str"):
        training.ModelCheckpoint(3)
    with pytest.raises(ValueError, match=r"\{val_loss\}, which fit does not log without "
                                         "validation data"):
        fit(tmp_path / "ck_{val_loss:.3f}.npz")
    missing = tmp_path / "no" / "such" / "ck_{epoch}.npz"
    with pytest.raises(ValueError, match=f"folder of '{missing}' .* does not exist"):
        fit(missing)
    for a, b in zip(params(model), before):  # nothing trained
        np.testing.assert_array_equal(a, b)
    ckpt = training.ModelCheckpoint(tmp_path / "{{literal}}_{epoch:02d}.npz")
    training.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=0.1), (X, y),
                 epochs=1, callbacks=[ckpt], progress=False)
    assert ckpt.saved == [str(tmp_path / "{literal}_01.npz")]


def test_checkpoint_of_a_regression_names_the_missing_accuracy(tmp_path):
    X, y = data.make_regression_1d(40, seed=0)
    model = nn.Sequential(nn.Linear(1, 1))
    with pytest.raises(ValueError, match=r"\{train_accuracy\}, which fit does not log "
                                         r"\(accuracies only for class labels\)"):
        training.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=0.1), (X, y),
                     callbacks=[training.ModelCheckpoint(tmp_path / "{train_accuracy}.npz")],
                     progress=False)


def test_one_shot_iterators_and_misplaced_arrays_get_clear_errors():
    X, y = blobs(64)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = params(model)

    def batches():
        return ((X[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16))

    with pytest.raises(ValueError, match="the training data is a one-shot iterator "
                                         r"\(generator\).*pass a re-iterable: a list or a "
                                         "DataLoader"):
        training.fit(model, F.cross_entropy, opt, batches(), epochs=2, progress=False)
    with pytest.raises(ValueError, match="val is a one-shot iterator"):
        training.fit(model, F.cross_entropy, opt, list(batches()), val=batches(), epochs=3,
                     initial_epoch=1, progress=False)
    for a, b in zip(params(model), before):
        np.testing.assert_array_equal(a, b)
    assert len(training.fit(model, F.cross_entropy, opt, batches(), val=batches(),
                            epochs=1, progress=False)) == 1
    with pytest.raises(ValueError) as error:
        training.fit(model, F.cross_entropy, opt, [X, y], progress=False)
    message = str(error.value)
    assert message == ("fit: each batch must be a pair (X, y), got ndarray of shape (64, 4); "
                       "to pass whole arrays give the tuple (X, y), not a list")
    with pytest.raises(ValueError, match=r"evaluate: .* got tuple of length 3$"):
        training.evaluate(model, [(X, y, y)])


def test_bad_loss_fn_callbacks_and_ragged_accuracy_are_tapegrad_errors():
    X, y = blobs(40)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = params(model)
    with pytest.raises(TypeError, match="fit: loss_fn must be a function"):
        training.fit(model, "ce", opt, (X, y), progress=False)
    with pytest.raises(TypeError, match=r"fit: callbacks must be a list .* got EarlyStopping"):
        training.fit(model, F.cross_entropy, opt, (X, y), progress=False,
                     callbacks=training.EarlyStopping("train_loss"))
    with pytest.raises(TypeError, match="fit: loss_fn must return the loss as a one-element "
                                        r"Tensor, got Tensor of shape \(32, 3\)"):
        training.fit(model, lambda out, t: out, opt, (X, y), progress=False)
    for a, b in zip(params(model), before):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="accuracy: output and target must be rectangular"):
        training.accuracy([[1, 2], [3]], [0, 1])


# ---------------------------------------------------------------- the digits target
def digits_split():
    X, y = data.load_digits()
    (Xt, yt), (Xv, yv) = data.train_val_split(X, y, 0.2, seed=0, stratify=True)
    scale = data.standardize(Xt)
    return (scale(Xt), yt), (scale(Xv), yv)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["mlp", "bn-dropout"])
def test_digits_mlp_reaches_97_percent_held_out(batch_norm):
    """Issue 4's target: MLP 64-128-10 (ReLU, Adam) on standardized digits, 20% held out
    (stratified, seed 0); also with BatchNorm before the ReLU and dropout 0.2 after it.
    Measured: 0.9778 and 0.9778 (over split/init seeds 0-9: mean 0.978 and 0.982)."""
    train, held_out = digits_split()
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 10)) if batch_norm else mlp(64, 128, 10)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    training.fit(model, F.cross_entropy, opt, data.DataLoader(train, 32, shuffle=True),
                 epochs=20, scheduler=lr_scheduler.CosineAnnealingLR(opt, T_max=20),
                 progress=False)
    acc = training.evaluate(model, held_out)["accuracy"]
    print(f"digits held-out accuracy ({'bn-dropout' if batch_norm else 'mlp'}): {acc:.4f}")
    assert acc >= 0.97
