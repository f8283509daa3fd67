"""tapegrad.nn: modules, parameters and initializers, PyTorch-style.

    import tapegrad.nn as nn
    import tapegrad.nn.functional as F
"""

from . import functional, init, utils
from .activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softmin,
    Softplus,
    Tanh,
)
from .container import Flatten, Identity, ModuleDict, ModuleList, Sequential, Unflatten
from .dropout import Dropout
from .linear import Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm
from .sparse import Embedding

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "ELU", "GELU", "BatchNorm1d",
           "Dropout", "Embedding", "Flatten", "Hardtanh", "HuberLoss", "Identity", "KLDivLoss",
           "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "MSELoss",
           "Mish", "Module", "ModuleDict", "ModuleList", "NLLLoss", "PReLU", "Parameter", "ReLU",
           "ReLU6", "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softmin",
           "Softplus", "Tanh", "Unflatten", "functional", "init", "utils"]
