"""nn.Embedding: a lookup table of vectors, one row per index."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..tape import ShapeError, no_grad
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, _float_dtype, _size


class Embedding(Module):
    """out = weight[input]: the rows of weight (num_embeddings, embedding_dim) at the integer
    indices input (any shape), shape input.shape + (embedding_dim,); see F.embedding.

    weight starts as PyTorch's, N(0, 1), with the padding_idx row (if given; negative counts
    from the end) zeros; that row never receives a gradient, so training leaves it as it is.
    max_norm renormalizes the rows used to norm_type-norm at most max_norm, in place, at
    each forward (PyTorch's semantics, see F.embedding). PyTorch's scale_grad_by_freq and
    sparse are not supported. dtype (keyword): float32 by default. _weight (keyword, as in
    PyTorch; what from_pretrained uses): start from a copy of this array instead of drawing,
    its dtype kept."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, *,
                 dtype: object = None, _weight: Any = None) -> None:
        super().__init__()
        who = "Embedding"
        self.num_embeddings = _size(num_embeddings, who, "num_embeddings")
        self.embedding_dim = _size(embedding_dim, who, "embedding_dim")
        self.padding_idx = F._padding_idx(padding_idx, self.num_embeddings, who)
        F._check_max_norm(max_norm, norm_type, who)
        self.max_norm, self.norm_type = max_norm, norm_type
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(np.empty(shape, _float_dtype(dtype, who)))
            self.reset_parameters()
            return
        w = _weight.numpy() if isinstance(_weight, Tensor) else np.asarray(_weight)
        _float_dtype(w.dtype, who)
        if w.shape != shape:
            raise ShapeError(f"{who}: _weight has shape {w.shape}, expected {shape}")
        self.weight = Parameter(w)

    def reset_parameters(self) -> None:
        """weight ~ N(0, 1), the padding_idx row zeros."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0) -> Embedding:
        """An Embedding whose weight is a copy of embeddings (num_embeddings, embedding_dim),
        of its (floating) dtype. freeze=True: the weight does not require grad. As in
        PyTorch the padding_idx row is kept as given (not zeroed); it receives no gradient."""
        who = "Embedding.from_pretrained"
        if not isinstance(embeddings, Tensor):
            raise TypeError(f"{who}: embeddings must be a Tensor, got "
                            f"{type(embeddings).__name__}")
        if embeddings.ndim != 2:
            raise ShapeError(f"{who}: embeddings must be 2-D (num_embeddings, embedding_dim), "
                             f"got shape {embeddings.shape}")
        module = cls(*embeddings.shape, padding_idx, max_norm, norm_type, _weight=embeddings)
        module.weight.requires_grad = not freeze
        return module

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def scope_label(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s
