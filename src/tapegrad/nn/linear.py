"""nn.Linear: y = x Wᵀ + b."""

from __future__ import annotations

import math

import numpy as np

from .. import functional as F
from ..tape import ShapeError, current_scope
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, _float_dtype, _size


class Linear(Module):
    """y = x Wᵀ + b for x (N, in_features) (or (..., in_features)).

    weight (out_features, in_features) and bias (out_features,) start as PyTorch's do:
    U(−1/√in, 1/√in) (kaiming_uniform_ with a = √5 for the weight). bias=False: .bias is None.
    dtype: float32 by default (float64 for gradient checks)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: object = None) -> None:
        super().__init__()
        self.in_features = _size(in_features, "Linear", "in_features")
        self.out_features = _size(out_features, "Linear", "out_features")
        dt = _float_dtype(dtype, "Linear")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dt))
        self.register_parameter("bias", Parameter(np.empty(self.out_features, dt))
                                if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.weight.size:  # Linear(0, n) has nothing to draw, as in PyTorch
            init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{self.scope_label()}: input must be a Tensor, got "
                            f"{type(x).__name__}")
        arr = x._data
        if arr.dtype.kind != "f":  # numpy would silently compute int64 @ float32 in float64
            raise TypeError(f"{self.scope_label()}: input must be floating point, got "
                            f"{x.dtype} (shape {x.shape}); convert it, e.g. x.float()")
        if arr.ndim == 0 or arr.shape[-1] != self.in_features:
            scope = current_scope()
            where = f" ('{'.'.join(scope)}')" if scope else ""
            raise ShapeError(f"{self.scope_label()}{where}: expected input with "
                             f"{self.in_features} features (last axis), got shape {x.shape} "
                             f"with {x.shape[-1] if x.ndim else 0}")
        return F.linear(x, self.weight, self.bias)

    def scope_label(self) -> str:
        return f"Linear({self.in_features}, {self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
