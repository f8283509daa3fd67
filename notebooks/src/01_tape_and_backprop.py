# %% [markdown]
# # 01 · The tape and backpropagation
#
# **What this notebook teaches.** How reverse-mode automatic differentiation works, on
# expressions small enough to check with pencil and paper. Every operation on a tensor that
# requires a gradient appends a *record* to the tape; `backward` visits those records in
# reverse order, and each one multiplies the gradient arriving at its output by its *local
# derivative* and passes the product to its inputs — the chain rule, one record at a time.
# We print the tape, draw it as a graph, run `backward`, and then walk the sweep with
# `tg.backward_steps`, asserting every local derivative against a hand calculation.
#
# **Lecture topic.** Backpropagation with scalars and the two tiny worked examples of the
# DTU lecture "Optimising feed-forward neural networks": the ReLU chain
# `h1 = relu(w1·x)`, `h2 = w2·h1`, `C = (y − h2)²`, and the two-weight cost
# `C = (w1·w2 − 1.5)² + 0.04(w1² + w2²)`.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.viz as viz

plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)

# %% [markdown]
# ## 1. A scalar expression on the tape
#
# `f = (a·b + c)·a` with `a = 2`, `b = −3`, `c = 10`. Inside a `tg.Tape()` block every
# record is kept for display, and every intermediate value keeps its gradient after
# `backward`. `a` is used twice, so two paths of the graph lead back to it.

# %%
a = tg.tensor(2.0, requires_grad=True, name="a")
b = tg.tensor(-3.0, requires_grad=True, name="b")
c = tg.tensor(10.0, requires_grad=True, name="c")
with tg.Tape() as tape:
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    f = d * a
    f.name = "f"
print(tape)
print("f =", f.item())
assert [r.op for r in tape.records] == ["mul", "add", "mul"]
assert f.item() == (2.0 * -3.0 + 10.0) * 2.0

# %% [markdown]
# By hand: `e = ab = −6`, `d = e + c = 4`, `f = da = 8`. Going backwards,
# `∂f/∂d = a = 2`, `∂f/∂e = ∂f/∂d · 1 = 2`, `∂f/∂c = 2`, `∂f/∂b = ∂f/∂e · a = 4`, and `a`
# collects from both paths: `∂f/∂a = d + ∂f/∂e · b = 4 − 6 = −2`.

# %%
f.backward()
grads = {t.name: t.grad.item() for t in (a, b, c, d, e)}
print(grads)
assert grads == {"a": -2.0, "b": 4.0, "c": 2.0, "d": 2.0, "e": 2.0}

# %% [markdown]
# `viz.draw` renders the same records as a graph: a box per tensor with its value and, after
# `backward`, its gradient (orange = leaves that require a gradient, green = the output), and
# an op node per record. The two edges leaving `a` are the two paths whose contributions were
# summed.

# %%
graph = viz.draw(f, title="f = (a*b + c)*a after backward")
for name, g in grads.items():
    assert f"<b>{name}</b>" in graph.source and f"<i>grad</i> {g:g}<" in graph.source
graph  # noqa: B018  (a cell's last value is displayed)

# %% [markdown]
# ## 2. Walking the sweep record by record
#
# `tg.backward_steps(f)` runs the same sweep as `backward` but stops after every record and
# shows what it did: the upstream gradient `g` at the record's output and the gradient sent
# to each input, `g · ∂out/∂in`. The local derivatives of the three ops used here are the
# first rules of calculus: for `out = u·v`, `∂out/∂u = v` and `∂out/∂v = u`; for
# `out = u + v` both are 1. Below they are written out by hand and each step is checked.

# %%
a = tg.tensor(2.0, requires_grad=True, name="a")
b = tg.tensor(-3.0, requires_grad=True, name="b")
c = tg.tensor(10.0, requires_grad=True, name="c")
f = (a * b + c) * a

hand = [  # (op, upstream g, local derivative for each input), in the order of the sweep
    ("mul", 1.0, (a.item(), 4.0)),       # f = d·a: ∂f/∂d = a = 2, ∂f/∂a = d = 4
    ("add", 2.0, (1.0, 1.0)),            # d = e + c
    ("mul", 2.0, (-3.0, 2.0)),           # e = a·b: ∂e/∂a = b = −3, ∂e/∂b = a = 2
]
for step, (op, g, local) in zip(tg.backward_steps(f), hand):
    print(step)
    assert step.record.op == op and step.grad_output.item() == g
    for sent, dl in zip(step.grad_inputs, local):
        assert sent.item() == g * dl
f.backward()
assert (a.grad.item(), b.grad.item(), c.grad.item()) == (-2.0, 4.0, 2.0)

# %% [markdown]
# `a` shows up in two steps (it received `4` from the last multiply and `2 · (−3) = −6` from
# the first); the sweep adds them, `−2`, before anything reads `a.grad`.
#
# ## 3. A tiny ReLU network
#
# The DTU lecture's first example: one input `x`, two weights and a squared error,
#
# `h1 = relu(w1·x)`, `h2 = w2·h1`, `C = (y − h2)²`.
#
# Chain rule by hand (the lecture's slide drops the factor 2 of the square; we keep it):
#
# * `∂C/∂w2 = −2(y − h2) · h1`
# * `∂C/∂w1 = −2(y − h2) · w2 · 1(w1·x > 0) · x`

# %%
def relu_net(w1_val, w2_val, x_val=1.0, y_val=1.5):
    w1 = tg.tensor(w1_val, requires_grad=True, name="w1")
    w2 = tg.tensor(w2_val, requires_grad=True, name="w2")
    x = tg.tensor(x_val, name="x")
    y = tg.tensor(y_val, name="y")
    s = w1 * x
    s.name = "s"
    h1 = s.relu()
    h1.name = "h1"
    h2 = w2 * h1
    h2.name = "h2"
    r = y - h2
    r.name = "r"
    C = r ** 2
    C.name = "C"
    return w1, w2, C


def relu_net_grad_by_hand(w1, w2, x=1.0, y=1.5):
    h1 = max(0.0, w1 * x)
    h2 = w2 * h1
    return (-2 * (y - h2) * w2 * (1.0 if w1 * x > 0 else 0.0) * x,   # dC/dw1
            -2 * (y - h2) * h1)                                      # dC/dw2


with tg.Tape() as tape:
    w1, w2, C = relu_net(0.5, 2.0, x_val=1.25)
print(tape)
C.backward()
print("C =", C.item(), " dC/dw1 =", w1.grad.item(), " dC/dw2 =", w2.grad.item())
np.testing.assert_allclose([w1.grad.item(), w2.grad.item()],
                           relu_net_grad_by_hand(0.5, 2.0, x=1.25), rtol=1e-6)

# %% [markdown]
# Step through the same sweep. Each record's local derivative is again a one-line rule:
# `pow 2`: `2r`; `sub` (`y − h2`): `−1` for `h2`; `mul`: the other factor; `relu`:
# `1(s > 0)`. The values `r`, `h1`, `s` come from the forward pass.

# %%
w1, w2, C = relu_net(0.5, 2.0, x_val=1.25)
x_, y_ = 1.25, 1.5
s_, h1_ = 0.5 * x_, max(0.0, 0.5 * x_)
h2_ = 2.0 * h1_
r_ = y_ - h2_
hand = [  # (op, local derivative for each input that needs a gradient, None for constants)
    ("pow", (2 * r_,)),
    ("sub", (None, -1.0)),
    ("mul", (h1_, 2.0)),          # h2 = w2·h1
    ("relu", (1.0 if s_ > 0 else 0.0,)),
    ("mul", (x_, None)),          # s = w1·x
]
upstream = 1.0
for step, (op, local) in zip(tg.backward_steps(C), hand):
    print(step)
    assert step.record.op == op
    np.testing.assert_allclose(step.grad_output.item(), upstream, rtol=1e-6)
    for sent, dl in zip(step.grad_inputs, local):
        assert (sent is None) == (dl is None)
        if dl is not None:
            np.testing.assert_allclose(sent.item(), upstream * dl, rtol=1e-6)
    # on this chain, the next record's upstream is what this one sent to its non-leaf input
    chain_input = [g for t, g in zip(step.record.inputs, step.grad_inputs)
                   if g is not None and t.record is not None]
    if chain_input:
        upstream = chain_input[0].item()

# %% [markdown]
# ### The sweep as a sequence of pictures
#
# `viz.backward_frames(C)` draws one graph per step of the same sweep, top to bottom here:
# the record being processed is highlighted, its output edge carries the upstream gradient
# `g` and its input edges the gradients it sends; tensors show the gradients known so far.
# Five records, five frames; each frame's caption names its record, in the order of the walk
# above, and the numbers on the edges are the ones just checked by hand.

# %%
w1, w2, C = relu_net(0.5, 2.0, x_val=1.25)
frames = viz.backward_frames(C, rankdir="TB")
sweep = list(tg.backward_steps(C))
assert len(frames) == len(sweep) == 5
for n, (frame, step) in enumerate(zip(frames, sweep)):
    assert f"backward step {n + 1} of 5: {step.record.label()}" in frame.source
    assert f"<b>upstream g</b> {step.grad_output.item():g}<" in frame.source
    for sent in step.grad_inputs:
        if sent is not None:
            assert f"<b>sends</b> {sent.item():g}<" in frame.source
print([step.record.label() for step in sweep])

# %% [markdown]
# Frame 1: the sweep starts at the output with `g = 1`, and the square sends `2r = 0.5` back
# to `r`.

# %%
frames[0]

# %% [markdown]
# Frame 2: the subtraction `r = y − h2` passes `g = 0.5` on with the sign flipped, `−0.5`,
# to `h2`; the target `y` needs no gradient and gets none.

# %%
frames[1]

# %% [markdown]
# Frame 3: the multiply `h2 = w2·h1` receives `g = −0.5` and sends `g·h1 = −0.3125` to `w2`
# (its final gradient) and `g·w2 = −1` towards the ReLU.

# %%
frames[2]

# %% [markdown]
# Frame 4: the ReLU is open (`s = 0.625 > 0`), so its local derivative is 1 and the `−1`
# passes through unchanged to `s`.

# %%
frames[3]

# %% [markdown]
# Frame 5: the last record, `s = w1·x`, turns that `−1` into `g·x = −1.25` for `w1`; the
# constant input `x` gets nothing.

# %%
frames[4]

# %% [markdown]
# When `w1·x < 0` the ReLU is off: `h1 = 0`, no signal passes and `w1` gets no gradient —
# a "dead" unit. Checked on a small grid of weights, both signs of `w1`:

# %%
for w1_val in (-0.7, -0.1, 0.3, 1.2):
    for w2_val in (-1.0, 0.5, 2.0):
        w1, w2, C = relu_net(w1_val, w2_val)
        C.backward()
        np.testing.assert_allclose([w1.grad.item(), w2.grad.item()],
                                   relu_net_grad_by_hand(w1_val, w2_val), rtol=1e-5, atol=1e-7)
w1, w2, C = relu_net(-0.7, 2.0)
C.backward()
assert w1.grad.item() == 0.0 and w2.grad.item() == 0.0
# (the products come out as -0.0, numpy's signed zero; it equals 0.0, as asserted)
print("dead ReLU at w1 = -0.7: dC/dw1 =", abs(w1.grad.item()), " dC/dw2 =", abs(w2.grad.item()))

# %% [markdown]
# ## 4. The two-weight cost
#
# The lecture's second example fits `y = w2·w1·x` to the single point `x = 1, y = 1.5`
# with a little weight decay: `C = (w1·w2 − 1.5)² + 0.04(w1² + w2²)`. Its gradient in closed
# form is
#
# * `∂C/∂w1 = 2(w1·w2 − 1.5)·w2 + 0.08·w1`
# * `∂C/∂w2 = 2(w1·w2 − 1.5)·w1 + 0.08·w2`
#
# tapegrad works elementwise, so one backward over a whole grid of `(w1, w2)` pairs (summing
# the costs, whose terms do not interact) gives the gradient at every grid point at once.

# %%
def two_weight_cost(w1, w2):
    return (w1 * w2 - 1.5) ** 2 + 0.04 * (w1 ** 2 + w2 ** 2)


g1, g2 = np.meshgrid(np.linspace(-2, 2, 21), np.linspace(-2, 2, 21))
W1 = tg.tensor(g1, requires_grad=True)
W2 = tg.tensor(g2, requires_grad=True)
cost = two_weight_cost(W1, W2)
cost.sum().backward()
closed_1 = 2 * (g1 * g2 - 1.5) * g2 + 0.08 * g1
closed_2 = 2 * (g1 * g2 - 1.5) * g1 + 0.08 * g2
np.testing.assert_allclose(W1.grad.numpy(), closed_1, rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(W2.grad.numpy(), closed_2, rtol=1e-12, atol=1e-12)
assert tg.gradcheck(two_weight_cost, [tg.tensor([0.3, -1.2, 1.0]), tg.tensor([1.1, 0.4, 1.0])])

# %% [markdown]
# The minima lie where the gradient vanishes. By symmetry they sit on the diagonal
# `w1 = w2 = w`, where `2(w² − 1.5)w + 0.08w = 0` gives `w² = 1.5 − 0.04 = 1.46`. The origin
# is a saddle point. Negative gradient arrows (computed by tapegrad) point downhill:

# %%
w_star = np.sqrt(1.46)
for pt in [(w_star, w_star), (-w_star, -w_star), (0.0, 0.0)]:
    v1 = tg.tensor(pt[0], dtype=tg.float64, requires_grad=True)
    v2 = tg.tensor(pt[1], dtype=tg.float64, requires_grad=True)
    two_weight_cost(v1, v2).backward()
    assert abs(v1.grad.item()) < 1e-12 and abs(v2.grad.item()) < 1e-12
print(f"stationary points: (±{w_star:.4f}, ±{w_star:.4f}) and (0, 0)")

fig, ax = plt.subplots(figsize=(4.2, 3.6))
fine = np.linspace(-2, 2, 201)
f1, f2 = np.meshgrid(fine, fine)
ax.contour(f1, f2, two_weight_cost(f1, f2), levels=np.geomspace(0.05, 20, 14), cmap="viridis",
           linewidths=0.8)
sl = slice(None, None, 2)
ax.quiver(g1[sl, sl], g2[sl, sl], -W1.grad.numpy()[sl, sl], -W2.grad.numpy()[sl, sl],
          color="gray", angles="xy", scale=60, width=0.004)
ax.plot([w_star, -w_star], [w_star, -w_star], "r*", ms=10, label="minima")
ax.plot([0], [0], "kx", ms=8, label="saddle")
ax.set_xlabel("w1")
ax.set_ylabel("w2")
ax.set_title("C(w1, w2) and −∇C from tapegrad", fontsize=10)
ax.legend(fontsize=8, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# **Summary.** The tape is a list of records, one per operation; backpropagation is a walk
# over that list in reverse, and each step is just "upstream gradient × local derivative",
# with contributions to a shared input added up. Every number the sweep produced above was
# also derived by hand and asserted equal.
