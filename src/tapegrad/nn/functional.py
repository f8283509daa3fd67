"""`import tapegrad.nn.functional as F`: the composites of tapegrad.functional."""

from ..functional import (
    batch_norm,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    dropout,
    elu,
    gelu,
    l1_penalty,
    l2_penalty,
    layer_norm,
    leaky_relu,
    linear,
    log_softmax,
    mish,
    mse_loss,
    nll_loss,
    one_hot,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)

__all__ = ["batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "dropout", "elu", "gelu", "l1_penalty", "l2_penalty", "layer_norm",
           "leaky_relu", "linear", "log_softmax", "mish", "mse_loss", "nll_loss", "one_hot",
           "relu", "sigmoid", "silu", "softmax", "softplus", "tanh"]
