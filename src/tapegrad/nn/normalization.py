"""BatchNorm1d and LayerNorm: parameters and running statistics around F.batch_norm and
F.layer_norm (whose forward is the lecture's graph of primitives)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import functional as F
from ..tape import ShapeError
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, _float_dtype


class BatchNorm1d(Module):
    """Batch normalization of x (N, C) (or (N, C, L)) over the batch (Ioffe and Szegedy, 2015).

    Training: y = γ·(x − μ_B)/√(σ²_B + ε) + β with the batch's mean and (population) variance;
    running_mean and running_var (buffers, saved in state_dict) follow
    r ← (1 − m)·r + m·stat, using the unbiased batch variance for running_var, with
    m = momentum, or with momentum=None m = 1/n for the n-th training batch: the cumulative
    average r = (stat₁ + … + statₙ)/n of the batch statistics (the initial 0 and 1 drop out).
    num_batches_tracked (an int64 buffer, saved in state_dict) counts the training batches
    n; a state dict without it loads and leaves the count as it is, as in PyTorch.
    Eval: the running statistics normalize, and are left unchanged. affine=False: no γ, β
    (weight and bias are None). track_running_stats=False: no buffers (they are None), batch
    statistics in both modes. bias=False (keyword, as in PyTorch): γ without β (bias is None).
    Training on one value per channel raises a ValueError."""

    _optional_buffers = frozenset({"num_batches_tracked"})

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: object = None, *, bias: bool = True) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or isinstance(num_features, bool) \
                or num_features <= 0:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got "
                             f"{num_features!r}")
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(
                momentum, (int, float, np.integer, np.floating))):
            raise TypeError(f"BatchNorm1d: momentum must be a number, or None for the "
                            f"cumulative average, got {momentum!r}")
        F._number(eps, "BatchNorm1d", "eps")
        if (momentum is not None and not 0.0 <= momentum <= 1.0) or not eps > 0:
            raise ValueError(f"BatchNorm1d: need 0 <= momentum <= 1 (or momentum=None) and "
                             f"eps > 0, got momentum={momentum}, eps={eps}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        c, dt = self.num_features, _float_dtype(dtype, "BatchNorm1d")
        self.register_parameter("weight", Parameter(np.ones(c, dt)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(c, dt)) if affine and bias
                                else None)
        track = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(c, dt)) if track else None)
        self.register_buffer("running_var", Tensor(np.ones(c, dt)) if track else None)
        self.register_buffer("num_batches_tracked",
                             Tensor(np.array(0, np.int64)) if track else None)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(f"{self.scope_label()}: expected input (N, {self.num_features}) or "
                             f"(N, {self.num_features}, L), got shape {x.shape}")
        batch_stats = self.training or self.running_mean is None
        if batch_stats and x.shape[0] * (x.shape[2] if x.ndim == 3 else 1) <= 1:
            when = "when training" if self.training else "without running statistics"
            raise ValueError(f"{self.scope_label()}: expected more than 1 value per channel "
                             f"{when}, got input of shape {x.shape}")
        counted = self.training and self.num_batches_tracked is not None
        n = int(self.num_batches_tracked.item()) + 1 if counted else 0
        momentum = self.momentum
        if momentum is None:  # the cumulative average; nothing is updated when not counted
            momentum = 1.0 / n if counted else 0.0
        out = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                           batch_stats, momentum, self.eps)
        if counted:  # after F.batch_norm, which raises for a bad batch before any update
            self.num_batches_tracked.copy_(n)
        return out

    def reset_running_stats(self) -> None:
        if self.running_mean is not None:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
        if self.num_batches_tracked is not None:
            self.num_batches_tracked.copy_(0)

    def reset_parameters(self) -> None:
        """The running statistics reset, γ = 1 and β = 0 (the initial state), as in PyTorch."""
        self.reset_running_stats()
        _reset_affine(self)

    def scope_label(self) -> str:
        return f"BatchNorm1d({self.num_features})"

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class LayerNorm(Module):
    """y = γ·(x − μ)/√(σ² + ε) + β with μ, σ² over the last len(normalized_shape) axes of
    each sample (Ba et al., 2016); γ, β have shape normalized_shape. elementwise_affine=False:
    neither (weight and bias are None); bias=False: γ only (bias is None), as in PyTorch."""

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: object = None
                 ) -> None:
        super().__init__()
        shape = F._normalized_shape(normalized_shape, "LayerNorm")
        if not shape or min(shape) <= 0:
            raise ValueError(f"LayerNorm: normalized_shape must be positive ints, got "
                             f"{normalized_shape!r}")
        F._number(eps, "LayerNorm", "eps")
        self.normalized_shape = shape
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = _float_dtype(dtype, "LayerNorm")
        self.register_parameter("weight", Parameter(np.ones(shape, dt))
                                if elementwise_affine else None)
        self.register_parameter("bias", Parameter(np.zeros(shape, dt))
                                if elementwise_affine and bias else None)

    def forward(self, x: Tensor) -> Tensor:
        shape = self.normalized_shape
        if isinstance(x, Tensor) and x.shape[max(x.ndim - len(shape), 0):] != shape:
            raise ShapeError(f"{self.scope_label()}: expected input (*, "
                             f"{', '.join(map(str, shape))}) (its last axes normalized_shape "
                             f"{shape}), got shape {x.shape}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def reset_parameters(self) -> None:
        """γ = 1 and β = 0 (the initial state), as in PyTorch."""
        _reset_affine(self)

    def scope_label(self) -> str:
        shape = self.normalized_shape
        return f"LayerNorm({shape[0] if len(shape) == 1 else shape})"

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


def _reset_affine(m: Module) -> None:
    if m.weight is not None:
        init.ones_(m.weight)
    if m.bias is not None:
        init.zeros_(m.bias)
