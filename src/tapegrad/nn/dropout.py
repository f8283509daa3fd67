"""nn.Dropout: F.dropout in training mode, identity (or ×(1 − p)) in eval mode."""

from __future__ import annotations

from .. import functional as F
from ..tensor import Tensor
from .module import Module


class Dropout(Module):
    """Zero each element with probability p while training (mask from tg's generator).
    p is the drop probability, as in PyTorch (lecture 001's p is the keep probability 1 − p).

    inverted=True (PyTorch): survivors are scaled by 1/(1 − p) in training, eval is identity.
    inverted=False (the original formulation): no scaling in training, ×(1 − p) in eval."""

    def __init__(self, p: float = 0.5, inplace: bool = False, inverted: bool = True) -> None:
        """inplace is accepted for PyTorch code; the input is never overwritten."""
        super().__init__()
        F._number(p, "Dropout", "p")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p, self.inplace, self.inverted = p, inplace, inverted

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.inverted)

    def scope_label(self) -> str:
        return f"Dropout(p={self.p:g})"

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}" + ("" if self.inverted else
                                                          ", inverted=False")
