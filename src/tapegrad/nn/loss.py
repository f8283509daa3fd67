"""Loss modules, PyTorch's names for the losses of tapegrad.functional: criterion =
nn.CrossEntropyLoss(); loss = criterion(logits, target). Each holds its options and calls
the functional form, so the loss graph is the same composition of primitives. A weight or
pos_weight is a buffer, as in PyTorch: it appears in state_dict under its name."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


def _register_weight(m: Module, name: str, value: Any) -> None:
    """weight / pos_weight as a buffer, as PyTorch registers them: in state_dict (and
    converted by .to/.double); None leaves it out. A Tensor is kept as given (shared, as in
    PyTorch); an array or list becomes a Tensor of its own dtype (a list of floats: float64,
    so a float64 input sees the exact values)."""
    if value is not None and not isinstance(value, Tensor):
        try:
            value = Tensor(np.array(value))
        except (TypeError, ValueError):
            raise TypeError(f"{type(m).__name__}: {name} must be a Tensor or an array of "
                            f"numbers, got {value!r}") from None
    m.register_buffer(name, value)


def _weight_arg(w: Tensor | None) -> Any:
    """A weight buffer as the functional loss takes it: its array, which F casts to the
    input's dtype, or the Tensor itself if it requires grad (so it stays in the graph)."""
    return w if w is None or w.requires_grad else w._data


class MSELoss(_Loss):
    """mean (or sum) of (input − target)²; F.mse_loss."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """−[t·log p + (1 − t)·log(1 − p)] on probabilities p; F.binary_cross_entropy."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        _register_weight(self, "weight", weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, _weight_arg(self.weight),
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """softplus(x) − t·x on logits x (stable); F.binary_cross_entropy_with_logits."""

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        _register_weight(self, "weight", weight)
        _register_weight(self, "pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, _weight_arg(self.weight),
                                                  _weight_arg(self.pos_weight),
                                                  reduction=self.reduction)


class NLLLoss(_Loss):
    """−w_y·log p[y] on log-probabilities (N, C) and class indices (N,) (or (N, C, d1, ...)
    and (N, d1, ...)); F.nll_loss."""

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        _register_weight(self, "weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, _weight_arg(self.weight),
                          ignore_index=self.ignore_index, reduction=self.reduction)


class CrossEntropyLoss(NLLLoss):
    """nll_loss(log_softmax(logits)) for class indices or probabilities, with optional
    label smoothing; F.cross_entropy."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, ignore_index, reduction)
        F._number(label_smoothing, "CrossEntropyLoss", "label_smoothing")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, _weight_arg(self.weight),
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self) -> str:
        extra = super().extra_repr()
        if self.label_smoothing:
            extra = ", ".join(filter(None, [extra, f"label_smoothing={self.label_smoothing}"]))
        return extra


class L1Loss(_Loss):
    """mean (or sum) of |input − target|; F.l1_loss."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """½d²/β where |d| < β, |d| − ½β elsewhere; F.smooth_l1_loss."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        F._check_beta(beta, "SmoothL1Loss")
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [super().extra_repr(),
                                       "" if self.beta == 1.0 else f"beta={self.beta}"]))


class HuberLoss(_Loss):
    """½d² where |d| < δ, δ·(|d| − ½δ) elsewhere; F.huber_loss."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        F._check_delta(delta, "HuberLoss")
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [super().extra_repr(),
                                       "" if self.delta == 1.0 else f"delta={self.delta}"]))


class KLDivLoss(_Loss):
    """p·(log p − input) on log-probabilities input; reduction may also be 'batchmean'
    (the KL divergence averaged over the batch); F.kl_div."""

    def __init__(self, reduction: str = "mean", log_target: bool = False) -> None:
        # _Loss checks the reductions every loss takes; 'batchmean' is kl_div's own
        super().__init__("mean" if reduction == "batchmean" else reduction)
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self) -> str:
        return ", ".join(filter(None, [super().extra_repr(),
                                       "log_target=True" if self.log_target else ""]))
