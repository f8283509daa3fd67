"""tapegrad.optim: optimizers and learning-rate schedules, PyTorch's names and semantics.

First-order rules (SGD, Adagrad, RMSprop, Adam, AdamW) update each parameter from its
`.grad`; the full-batch methods (LBFGS, BFGS, ConjugateGradient, Newton) see all parameters
as one vector and re-evaluate the loss through a closure. Every update is written on the
parameters' data under no_grad, in place (the version bump makes a stale backward raise)."""

from . import lr_scheduler
from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .conjugate_gradient import ConjugateGradient
from .newton import Newton
from .optimizer import Optimizer
from .quasi_newton import BFGS, LBFGS
from .sgd import SGD

__all__ = ["BFGS", "LBFGS", "SGD", "Adagrad", "Adam", "AdamW", "ConjugateGradient", "Newton",
           "Optimizer", "RMSprop", "lr_scheduler"]
