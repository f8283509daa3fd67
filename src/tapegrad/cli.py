"""The `tapegrad` command: train a built-in model, draw a computational graph, or run the demo.

    tapegrad train --data digits --model mlp --optimizer adam --epochs 20
    tapegrad graph --model bn-mlp -o bn.svg [--collapse bn1] [--no-values]
    tapegrad demo                       # train on digits, then write the BatchNorm graph
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

import tapegrad as tg

from . import data, examples, optim, training, viz
from .models import MLP
from .nn import functional as F

DATASETS = ("digits", "moons", "spirals", "blobs", "mnist")
MODELS = ("mlp", "bn-mlp")
OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.SGD, "adam": optim.Adam,
              "adamw": optim.AdamW, "rmsprop": optim.RMSprop, "adagrad": optim.Adagrad,
              "adadelta": optim.Adadelta}
DEFAULT_LR = {"adadelta": 1.0}  # its rule sets the step's scale; 1e-2 for the others


def load_dataset(name: str, mnist_root: str | None = None, download: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(X (n, features) float32, y (n,) int64) for one of DATASETS."""
    if name == "digits":
        return data.load_digits()
    if name == "mnist":
        if mnist_root is None:
            raise ValueError("train: --data mnist needs --mnist-root DIR with the IDX files")
        try:
            X, y = data.load_mnist(mnist_root, kind="train", download=download)
        except FileNotFoundError as e:  # load_mnist's hint names its argument, not the option
            raise FileNotFoundError(str(e).replace("pass download=True", "add --download")
                                    ) from None
        return X.reshape(len(X), -1).astype(np.float32), y.astype(np.int64)
    make = {"moons": data.make_moons, "spirals": data.make_spirals,
            "blobs": data.make_blobs}[name]
    X, y = make(n_samples=1000, noise=0.1, seed=0) if name != "blobs" else make(1000, seed=0)
    return np.asarray(X, np.float32), np.asarray(y, np.int64)


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Hold out a stratified split, standardize on the training part, fit, report accuracy.

    Returns {"model", "optimizer", "history", "test_accuracy"}."""
    batch_norm = args.model == "bn-mlp"
    if batch_norm and args.batch_size == 1:
        raise ValueError("train: --batch-size 1 gives batches of one sample, on which "
                         "BatchNorm (--model bn-mlp) cannot train; use 2 or more")
    tg.manual_seed(args.seed)
    X, y = load_dataset(args.data, args.mnist_root, args.download)
    (X_train, y_train), (X_test, y_test) = data.train_val_split(
        X, y, val_fraction=args.test_fraction, seed=args.seed, stratify=True)
    # BatchNorm cannot train on a batch of one sample: leave such a last batch out
    drop_last = batch_norm and len(X_train) % args.batch_size == 1
    scale = data.standardize(X_train)
    X_train, X_test = scale(X_train), scale(X_test)
    n_classes = int(y.max()) + 1
    model = MLP(X.shape[1], args.hidden, n_classes, batch_norm=batch_norm,
                dropout=args.dropout)
    options = {"momentum": 0.9} if args.optimizer == "momentum" else {}
    lr = DEFAULT_LR.get(args.optimizer, 1e-2) if args.lr is None else args.lr
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=lr, **options)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    train_loader = data.DataLoader((X_train, y_train), batch_size=args.batch_size,
                                   shuffle=True, drop_last=drop_last)
    test_loader = data.DataLoader((X_test, y_test), batch_size=512)
    callbacks = [training.ModelCheckpoint(args.checkpoint)] if args.checkpoint else []
    if args.checkpoint:  # its folder is made, as `graph -o` makes the drawing's
        Path(args.checkpoint).parent.mkdir(parents=True, exist_ok=True)
    print(f"{args.data}: {len(X_train)} training and {len(X_test)} held-out samples, "
          f"{X.shape[1]} features, {n_classes} classes\n{model}")
    if drop_last:
        print(f"note: {len(X_train)} samples in batches of {args.batch_size} leave a last "
              "batch of one sample, on which BatchNorm cannot train; it is left out of each "
              "epoch (drop_last; the order is reshuffled every epoch)")
    history = training.fit(model, F.cross_entropy, optimizer, train_loader, val=test_loader,
                           epochs=args.epochs, scheduler=scheduler, callbacks=callbacks,
                           progress=not args.no_progress)
    accuracy = training.evaluate(model, test_loader)["accuracy"]
    print(f"held-out accuracy: {accuracy:.4f} ({round(accuracy * len(X_test))}/{len(X_test)})")
    if args.checkpoint:
        print(f"checkpoint: {args.checkpoint}")
    return {"model": model, "optimizer": optimizer, "history": history,
            "test_accuracy": accuracy}


def graph(args: argparse.Namespace) -> Path:
    """Draw a built-in example computation to args.output (format from the suffix)."""
    rankdir = args.rankdir or ("LR" if args.model in ("scalar", "relu-chain") else "TB")
    drawing = examples.draw(args.model, values=not args.no_values, grads=not args.no_grads,
                            collapse=_scopes(args.collapse), expand=_scopes(args.expand),
                            rankdir=rankdir)
    path = viz.save(drawing, args.output)
    print(f"wrote {path}")
    return path


def _scopes(names: list[str] | None) -> bool | list[str] | None:
    """A --collapse/--expand list as viz.draw takes it: True for 'all', None when not given."""
    if not names:
        return None
    return True if "all" in names else names


def demo(args: argparse.Namespace) -> int:
    """The main job of `make demo`: train on digits, then write the BatchNorm graph."""
    train(args)
    graph(argparse.Namespace(model="bn-mlp", output=args.graph, collapse=None,
                             expand=["bn1"], no_values=False, no_grads=False, rankdir="TB"))
    return 0


def _count(text: str) -> int:
    """argparse type of a count (hidden units, epochs, batch size): an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def _probability(text: str) -> float:
    """argparse type of a probability: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1], got {text!r}")
    return value


def _add_training_options(p: argparse.ArgumentParser, model: str, dropout: float) -> None:
    p.add_argument("--data", choices=DATASETS, default="digits", help="data set (default digits)")
    p.add_argument("--mnist-root", help="directory with the MNIST IDX files (--data mnist)")
    p.add_argument("--download", action="store_true",
                   help="fetch the MNIST files into --mnist-root when missing")
    p.add_argument("--model", choices=MODELS, default=model,
                   help="mlp: fc1-relu-fc2; bn-mlp: fc1-bn1-relu-fc2")
    p.add_argument("--hidden", type=_count, default=128, help="hidden units (default 128)")
    p.add_argument("--dropout", type=_probability, default=dropout,
                   help="dropout probability after the ReLU")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default 1e-2; "
                   "1.0 for adadelta), annealed to 0 by a cosine schedule")
    p.add_argument("--epochs", type=_count, default=20)
    p.add_argument("--batch-size", type=_count, default=32,
                   help="default 32; with bn-mlp a last batch of one sample is left out")
    p.add_argument("--test-fraction", type=float, default=0.2,
                   help="held-out share, stratified (default 0.2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", help="save model, optimizer and RNG state here after "
                   "each epoch (tg.save, .npz)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _done(result: object) -> int:
    """Exit status of a command that returned normally."""
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="tapegrad", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a built-in model and print held-out accuracy")
    _add_training_options(p, model="mlp", dropout=0.0)
    p.set_defaults(run=lambda a: _done(train(a)))

    p = sub.add_parser("graph", help="draw a built-in example's computational graph")
    p.add_argument("--model", choices=sorted(examples.EXAMPLES), default="bn-mlp",
                   help="what to draw, after one backward pass: scalar, L = (x·w + b − y)²; "
                        "relu-chain, C = (y − relu(w1·x)·w2)²; mlp, 8-16-4 with "
                        "cross-entropy; bn-mlp (default), 20-256-10 with BatchNorm bn1")
    p.add_argument("-o", "--output", required=True, help="file: .svg, .png, .pdf or .dot")
    p.add_argument("--collapse", action="append", metavar="SCOPE",
                   help="draw this module as one box (repeatable; 'all' for every module)")
    p.add_argument("--expand", action="append", metavar="SCOPE",
                   help="open only these modules, the others are collapsed (repeatable; "
                        "'all' opens every module)")
    p.add_argument("--no-values", action="store_true", help="leave out the values")
    p.add_argument("--no-grads", action="store_true", help="leave out the gradients")
    p.add_argument("--rankdir", choices=("LR", "TB"),
                   help="layout direction (default: LR for the scalar examples, TB for the "
                        "networks, whose graphs are long)")
    p.set_defaults(run=lambda a: _done(graph(a)))

    p = sub.add_parser("demo", help="train on digits with a progress bar, then write the "
                                    "BatchNorm graph")
    _add_training_options(p, model="bn-mlp", dropout=0.2)
    p.add_argument("--graph", default="out/bn_graph.svg", help="where to write the BN graph")
    p.set_defaults(run=demo)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, TypeError, OSError) as e:
        print(f"tapegrad {args.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
