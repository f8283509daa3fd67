"""tapegrad.nn: modules, parameters and initializers, PyTorch-style.

    import tapegrad.nn as nn
    import tapegrad.nn.functional as F
"""

from . import functional, init, utils
from .activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .container import Flatten, Identity, ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .linear import Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "ELU", "GELU", "BatchNorm1d",
           "Dropout", "Flatten", "Identity", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax",
           "MSELoss", "Mish", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter",
           "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh", "functional",
           "init", "utils"]
