"""tapegrad.optim: optimizers and learning-rate schedules, PyTorch's names and semantics.

Every update is a composition of Tensor ops on the parameters' data under no_grad, written
in place (the version bump makes a stale backward raise)."""

from . import lr_scheduler
from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
