"""Activation modules: thin wrappers of tapegrad.functional.

`inplace=True` (ReLU, LeakyReLU, ELU, SiLU, Mish, Hardtanh, ReLU6) is accepted so that
PyTorch code runs unchanged; the result is the same, but these modules never overwrite the
input (a recorded graph needs it; F.relu(x, inplace=True) does, where nothing records)."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .init import constant_
from .module import Module, Parameter, _float_dtype, _size


def _inplace(m: Module) -> str:
    return ", inplace=True" if m.inplace else ""


class ReLU(Module):
    """max(x, 0)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)

    def extra_repr(self) -> str:
        return _inplace(self).removeprefix(", ")


class LeakyReLU(Module):
    """x for x > 0, negative_slope·x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + _inplace(self)


class PReLU(Module):
    """x for x > 0, a·x otherwise, the slopes a learned: weight (num_parameters,), one slope
    shared by every element (num_parameters=1) or one per channel of input (N, C, ...)
    (num_parameters=C, channels on axis 1); see F.prelu. weight starts at init (0.25, as
    in PyTorch). dtype: float32 by default."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: object = None
                 ) -> None:
        super().__init__()
        self.num_parameters = _size(num_parameters, "PReLU", "num_parameters")
        F._number(init, "PReLU", "init")
        self.init = init
        self.weight = Parameter(np.empty(self.num_parameters, _float_dtype(dtype, "PReLU")))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        constant_(self.weight, self.init)

    def forward(self, x: Tensor) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, α(eˣ − 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace(self)


class Softplus(Module):
    """(1/β)·log(1 + e^{βx})."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class GELU(Module):
    """x·Φ(x) = ½·x·(1 + erf(x/√2)); approximate='tanh' uses
    ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got "
                             f"{approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)

    def extra_repr(self) -> str:
        return _inplace(self).removeprefix(", ")


class Mish(Module):
    """x·tanh(softplus(x))."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.mish(x)

    def extra_repr(self) -> str:
        return _inplace(self).removeprefix(", ")

class Sigmoid(Module):
    """1 / (1 + e^{−x})."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """softmax over `dim` (default: the last axis). dim=None (PyTorch's signature default)
    is its deprecated implicit choice: 0 for 0-, 1- and 3-d input, else 1, with a warning."""

    def __init__(self, dim: int | None = -1) -> None:
        super().__init__()
        self.dim = dim

    def _dim(self, x: Tensor) -> int:
        if self.dim is not None or not isinstance(x, Tensor):
            return self.dim
        return F._implicit_axis(x.ndim, type(self).__name__, "dim")

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self._dim(x))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log_softmax over `dim` (default: the last axis; None as for Softmax)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self._dim(x))


class Softmin(Softmax):
    """softmin = softmax(−x) over `dim` (default: the last axis; None as for Softmax)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softmin(x, self._dim(x))


class LogSigmoid(Module):
    """log σ(x) = −softplus(−x), stable."""

    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(x)


class Hardtanh(Module):
    """x limited to [min_val, max_val] (gradient 0 at the bounds, as in PyTorch)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
                 ) -> None:
        super().__init__()
        F._check_hardtanh_bounds(min_val, max_val, type(self).__name__)
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace(self)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace(self).removeprefix(", ")
