"""tapegrad.optim: optimizers and learning-rate schedules, PyTorch's names and semantics.

First-order rules (SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW) update each parameter from its
`.grad`; the full-batch methods (LBFGS, BFGS, ConjugateGradient, Newton) see all parameters
as one vector and re-evaluate the loss through a closure. Every update is written on the
parameters' data under no_grad, in place (the version bump makes a stale backward raise).

>>> import numpy as np, tapegrad as tg, tapegrad.optim as optim
>>> w = tg.Tensor(np.array([3.0]), requires_grad=True)
>>> opt = optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     (w * w).sum().backward()   # dL/dw = 2w, so each step halves w
...     _ = opt.step()
>>> w.item()
0.375

Closure-based methods re-evaluate the loss themselves:

>>> w = tg.Tensor(np.array([-1.2, 1.0]), requires_grad=True)
>>> opt = optim.LBFGS([w], max_iter=100, line_search_fn="strong_wolfe")
>>> def closure():
...     opt.zero_grad()
...     loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2   # Rosenbrock
...     loss.backward()
...     return loss
>>> _ = opt.step(closure)
>>> np.round(w.numpy(), 4).tolist()
[1.0, 1.0]
"""

from . import lr_scheduler
from .adaptive import Adadelta, Adagrad, Adam, AdamW, RMSprop
from .conjugate_gradient import ConjugateGradient
from .newton import Newton
from .optimizer import Optimizer
from .quasi_newton import BFGS, LBFGS
from .sgd import SGD

__all__ = ["BFGS", "LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "ConjugateGradient",
           "Newton", "Optimizer", "RMSprop", "lr_scheduler"]
