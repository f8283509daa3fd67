"""Built-in models for the command line, the demo and the graph examples."""

from __future__ import annotations

import numpy as np

from . import nn
from .nn import functional as F
from .tensor import Tensor


class MLP(nn.Module):
    """fc1 → [bn1] → relu → [dropout] → fc2: logits (N, n_out) for x (N, n_in).

    batch_norm=True puts bn1 = BatchNorm1d(hidden) between fc1 and the ReLU (the lecture's
    placement, before the nonlinearity); dropout in (0, 1] adds inverted dropout after the
    ReLU (0: none)."""

    def __init__(self, n_in: int, hidden: int, n_out: int, batch_norm: bool = False,
                 dropout: float = 0.0) -> None:
        super().__init__()
        for name, n in (("n_in", n_in), ("hidden", hidden), ("n_out", n_out)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"MLP: {name} must be an int >= 1, got {n!r}")
        self.fc1 = nn.Linear(n_in, hidden)
        self.bn1 = nn.BatchNorm1d(hidden) if batch_norm else None
        self.dropout = nn.Dropout(dropout) if dropout != 0 else None  # Dropout checks p
        self.fc2 = nn.Linear(hidden, n_out)

    def forward(self, x: Tensor) -> Tensor:
        h = self.fc1(x)
        if self.bn1 is not None:
            h = self.bn1(h)
        h = F.relu(h)
        if self.dropout is not None:
            h = self.dropout(h)
        return self.fc2(h)
