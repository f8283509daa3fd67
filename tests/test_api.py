"""The public names DESIGN.md promises exist, with the signatures it states."""

import inspect

import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.nn.functional as F
import tapegrad.optim as optim
import tapegrad.viz as viz

TOP = """Tensor tensor zeros ones full zeros_like ones_like arange eye rand randn manual_seed
matmul where maximum minimum concatenate stack logsumexp grad no_grad enable_grad
is_grad_enabled Tape backward_steps detect_anomaly gradcheck save load hessian hvp
TapeError""".split()
TENSOR = """data grad requires_grad shape ndim dtype size name T numpy item detach backward sum
mean var max min reshape transpose permute flatten exp log sqrt tanh sigmoid relu abs clip
softmax log_softmax""".split()
FUNCTIONAL = """relu leaky_relu elu softplus sigmoid tanh softmax log_softmax mse_loss
binary_cross_entropy binary_cross_entropy_with_logits cross_entropy nll_loss linear dropout
batch_norm layer_norm l1_penalty l2_penalty""".split()
NN = """Module Parameter Linear Sequential Identity Flatten ReLU LeakyReLU ELU Sigmoid Tanh
Softplus Dropout BatchNorm1d LayerNorm""".split()
INIT = """zeros_ ones_ constant_ normal_ uniform_ xavier_uniform_ xavier_normal_ kaiming_uniform_
kaiming_normal_ lecun_normal_ orthogonal_ calculate_gain lsuv_""".split()
OPTIM = "SGD Adagrad RMSprop Adam AdamW LBFGS BFGS ConjugateGradient Newton".split()
SCHED = """StepLR ExponentialLR LinearLR CosineAnnealingLR PowerLR ReduceLROnPlateau""".split()
MODULE_METHODS = """parameters named_parameters modules children train eval zero_grad
state_dict load_state_dict forward""".split()


@pytest.mark.parametrize("where, names", [
    (tg, TOP), (F, FUNCTIONAL), (nn, NN), (nn.init, INIT), (optim, OPTIM),
    (optim.lr_scheduler, SCHED), (nn.utils, ["clip_grad_norm_", "clip_grad_value_"]),
    (viz, ["draw", "backward_frames", "save"]),
])
def test_names_exist(where, names):
    missing = [n for n in names if not hasattr(where, n)]
    assert not missing, f"{where.__name__} lacks {missing}"


def test_tensor_and_module_members():
    t = tg.tensor([1.0, 2.0], requires_grad=True)
    assert [n for n in TENSOR if not hasattr(t, n)] == []
    assert [n for n in MODULE_METHODS if not hasattr(nn.Module, n)] == []
    assert issubclass(tg.TapeError, RuntimeError) and issubclass(tg.TapeError, ValueError)


@pytest.mark.parametrize("fn, params", [
    (tg.Tensor, ["data", "requires_grad", "dtype", "name"]),
    (tg.grad, ["outputs", "inputs", "grad_outputs", "retain_graph", "create_graph"]),
    (tg.gradcheck, ["fn", "inputs", "eps", "atol", "rtol"]),
    (F.leaky_relu, ["x", "negative_slope"]),
    (F.dropout, ["x", "p", "training", "inverted"]),
    (F.batch_norm, ["x", "running_mean", "running_var", "weight", "bias", "training",
                    "momentum", "eps"]),
    (F.layer_norm, ["x", "normalized_shape", "weight", "bias", "eps"]),
    (F.cross_entropy, ["logits", "target", "label_smoothing"]),
    (nn.Linear, ["in_features", "out_features", "bias"]),
    (nn.BatchNorm1d, ["num_features", "eps", "momentum", "affine"]),
    (optim.SGD, ["params", "lr", "momentum", "nesterov", "weight_decay"]),
    (optim.RMSprop, ["params", "lr", "alpha", "eps", "momentum"]),
    (optim.Adam, ["params", "lr", "betas", "eps", "weight_decay", "bias_correction"]),
    (optim.lr_scheduler.StepLR, ["optimizer", "step_size", "gamma"]),
    (optim.lr_scheduler.LinearLR, ["optimizer", "start_factor", "end_factor", "total_iters"]),
    (optim.lr_scheduler.CosineAnnealingLR, ["optimizer", "T_max", "eta_min"]),
    (optim.lr_scheduler.PowerLR, ["optimizer", "s", "c"]),
    (viz.draw, ["values", "grads", "expand", "collapse", "rankdir"]),
])
def test_signatures(fn, params):
    names = list(inspect.signature(fn).parameters)
    missing = [p for p in params if p not in names]
    assert not missing, f"{fn.__qualname__}{inspect.signature(fn)} lacks {missing}"


def test_linear_contract():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.weight.shape == (2, 3) and layer.bias is None
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]


@pytest.mark.parametrize("where, names", [
    (optim.lr_scheduler, ["LambdaLR", "MultiStepLR", "ConstantLR", "SequentialLR",
                          "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR",
                          "OneCycleLR"]),
    (nn, ["ModuleDict", "GELU", "SiLU", "Mish"]), (F, ["gelu", "silu", "mish"]),
])
def test_training_loop_extras_exist(where, names):
    """Beyond DESIGN.md's list: what a PyTorch training loop reaches for, same names."""
    assert [n for n in names if not hasattr(where, n)] == []


@pytest.mark.parametrize("sched, params", [
    (optim.lr_scheduler.OneCycleLR, ["optimizer", "max_lr", "total_steps", "epochs",
                                     "steps_per_epoch", "pct_start", "anneal_strategy",
                                     "cycle_momentum", "base_momentum", "max_momentum",
                                     "div_factor", "final_div_factor", "three_phase",
                                     "last_epoch"]),
    (optim.lr_scheduler.CyclicLR, ["optimizer", "base_lr", "max_lr", "step_size_up",
                                   "step_size_down", "mode", "gamma", "cycle_momentum",
                                   "base_momentum", "max_momentum", "last_epoch"]),
    (optim.lr_scheduler.CosineAnnealingWarmRestarts, ["optimizer", "T_0", "T_mult", "eta_min",
                                                      "last_epoch"]),
    (optim.lr_scheduler.PolynomialLR, ["optimizer", "total_iters", "power", "last_epoch"]),
])
def test_more_schedulers_take_pytorchs_parameters_in_its_order(sched, params):
    """Beyond DESIGN.md: positional calls written for PyTorch mean the same here. CyclicLR
    leaves out PyTorch's scale_fn and scale_mode, which come after gamma: what follows them
    is keyword-only, so a positional call past gamma fails rather than binds wrongly."""
    assert list(inspect.signature(sched).parameters) == params
    if sched is optim.lr_scheduler.CyclicLR:
        kinds = {n: p.kind for n, p in inspect.signature(sched).parameters.items()}
        assert kinds["gamma"] == inspect.Parameter.POSITIONAL_OR_KEYWORD
        assert kinds["cycle_momentum"] == inspect.Parameter.KEYWORD_ONLY
