# %% [markdown]
# # 02 · Matrices and Jacobians
#
# **What this notebook teaches.** Backpropagation with vectors and matrices: the two rules
# for a matrix-vector product, `dL/dW = (dL/dy) xᵀ` and `dL/dx = Wᵀ (dL/dy)`, the *local
# Jacobians* of each node in a k-layer ReLU network, and the *aggregated backward pass* that
# carries a single row vector `g` from the loss back to the input, layer by layer. Each
# result is computed twice — once by hand in numpy, once by tapegrad's reverse sweep — and
# the two are asserted equal. We finish with a finite-difference check (`tg.gradcheck`) and
# with mini-batches, where the per-example outer products add up to one matrix product.
#
# **Lecture topics.** "Back to backpropagation" for `y = W x` and `Y = W X` (UCLA,
# initialization/BatchNorm lecture) and the gradient computations for a k-layer network:
# local Jacobians, aggregated backward pass, mini-batch gradients (KTH DD2424).
#
# Everything runs in float64 so hand-written numpy and tapegrad agree to rounding error.

# %%
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg

plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)
rng = np.random.default_rng(0)
np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## 1. One linear map, y = W x
#
# Take `W` of shape (m, d) = (3, 4), `x` of shape (4,), and a scalar loss of the output,
# here `L = ½‖y − t‖²` for a fixed target `t`. Then `dL/dy = y − t`, and the chain rule
# through `y_i = Σ_j W_ij x_j` gives
#
# * `∂L/∂W_ij = (∂L/∂y_i) x_j`, i.e. the outer product `dL/dW = (dL/dy) xᵀ` (shape of W);
# * `∂L/∂x_j = Σ_i W_ij ∂L/∂y_i`, i.e. `dL/dx = Wᵀ (dL/dy)` (shape of x).

# %%
m, d = 3, 4
W_np = rng.standard_normal((m, d))
x_np = rng.standard_normal(d)
t_np = rng.standard_normal(m)

W = tg.tensor(W_np, requires_grad=True, name="W")
x = tg.tensor(x_np, requires_grad=True, name="x")
y = W @ x
L = 0.5 * ((y - tg.tensor(t_np)) ** 2).sum()
L.backward()

dL_dy = W_np @ x_np - t_np                 # by hand
dW_hand = np.outer(dL_dy, x_np)           # (dL/dy) x^T
dx_hand = W_np.T @ dL_dy                  # W^T (dL/dy)
print("dL/dW from tapegrad:\n", W.grad.numpy())
print("dL/dW = (dL/dy) x^T :\n", dW_hand)
print("dL/dx from tapegrad:", x.grad.numpy())
print("dL/dx = W^T dL/dy   :", dx_hand)
assert W.grad.shape == W.shape and x.grad.shape == x.shape
np.testing.assert_allclose(W.grad.numpy(), dW_hand, rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(x.grad.numpy(), dx_hand, rtol=1e-12, atol=1e-12)

# %% [markdown]
# The matmul record is where the two rules live. Stepping the sweep with
# `tg.backward_steps` shows the gradient that arrives at `y` (the upstream `dL/dy`) and the
# two gradients the matmul record sends on, to `W` and to `x`.

# %%
y = W @ x
L = 0.5 * ((y - tg.tensor(t_np)) ** 2).sum()
steps = list(tg.backward_steps(L))
for s in steps:
    print(s.record.label(), "  upstream shape", s.grad_output.shape)
mm = next(s for s in steps if s.record.op == "matmul")
np.testing.assert_allclose(mm.grad_output.numpy(), dL_dy, rtol=1e-12)
np.testing.assert_allclose(mm.grad_inputs[0].numpy(), np.outer(dL_dy, x_np), rtol=1e-12)
np.testing.assert_allclose(mm.grad_inputs[1].numpy(), W_np.T @ dL_dy, rtol=1e-12)
print("matmul step: upstream", mm.grad_output.numpy(), "-> x gets", mm.grad_inputs[1].numpy())

# %% [markdown]
# ## 2. Local Jacobians
#
# A reverse sweep never builds a Jacobian: each record only multiplies the upstream gradient
# by its local Jacobian (a vector-Jacobian product). We can still *recover* a Jacobian from
# vjps: feeding the one-hot vector `e_i` as the upstream gradient of `y` returns row `i` of
# `∂y/∂x` (and of `∂y/∂vec(W)`). The lecture's closed forms are
#
# * `∂y/∂x = W` (m × d);
# * `∂y/∂vec(W) = I_m ⊗ xᵀ` (m × md, with `vec` stacking the rows of W).

# %%
def jacobian_rows(out, inp):
    """Row i = the vjp of the one-hot e_i through the graph of `out` (tg.grad, upstream e_i)."""
    rows = []
    for i in range(out.size):
        e = np.zeros(out.shape)
        e.flat[i] = 1.0
        (g,) = tg.grad(out, inp, grad_outputs=tg.tensor(e), retain_graph=True)
        rows.append(g.numpy().ravel())
    return np.stack(rows)


y = W @ x
J_x = jacobian_rows(y, x)
J_W = jacobian_rows(y, W)
np.testing.assert_allclose(J_x, W_np, rtol=1e-12)
np.testing.assert_allclose(J_W, np.kron(np.eye(m), x_np[None, :]), rtol=1e-12)

fig, axes = plt.subplots(1, 2, figsize=(7, 2.2), gridspec_kw={"width_ratios": [1, 3]})
for ax, J, title in [(axes[0], J_x, "∂y/∂x  (= W)"), (axes[1], J_W, "∂y/∂vec(W)  (= I ⊗ xᵀ)")]:
    ax.imshow(J, cmap="RdBu", vmin=-2.5, vmax=2.5)
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()

# %% [markdown]
# The block structure on the right is why nobody stores `∂y/∂vec(W)`: it is mostly zeros,
# and its product with a row vector `g` is just the outer product `gᵀ xᵀ` reshaped.
#
# ## 3. A k-layer network and the aggregated backward pass
#
# The forward pass of a k-layer ReLU network with a softmax output and an L2 penalty:
#
# `s⁽ⁱ⁾ = W_i x⁽ⁱ⁻¹⁾ + b_i`, `x⁽ⁱ⁾ = max(0, s⁽ⁱ⁾)` for i < k, `p = softmax(s⁽ᵏ⁾)`,
# `J = −log(yᵀp) + λ Σ_i ‖W_i‖²`.
#
# The aggregated backward pass keeps one row vector `g = ∂J/∂s⁽ⁱ⁾`. It starts at
# `g = (p − y)ᵀ` (the lecture writes `y − p`, which is the gradient of `+log`; for the loss
# `J` as defined the sign is `p − y`), and for `i = k, …, 1`:
#
# 1. `∂J/∂b_i = g`, `∂J/∂W_i = gᵀ x⁽ⁱ⁻¹⁾ᵀ + 2λ W_i`;
# 2. if `i > 1`: `g ← g W_i`, then `g ← g diag(1[s⁽ⁱ⁻¹⁾ > 0])`.

# %%
k, sizes, lam = 4, [5, 8, 7, 6, 3], 0.01          # 4 layers: 5 -> 8 -> 7 -> 6 -> 3 classes
Ws_np = [rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i]) for i in range(k)]
bs_np = [0.1 * rng.standard_normal(sizes[i + 1]) for i in range(k)]
x0_np = rng.standard_normal(sizes[0])
label = 2
y_onehot = np.eye(sizes[-1])[label]


def forward(x0, Ws, bs):
    """The k-layer network and its loss J, in tapegrad ops; returns J and the pre-activations."""
    h, scores = x0, []
    for i, (Wi, bi) in enumerate(zip(Ws, bs)):
        s = Wi @ h + bi
        scores.append(s)
        h = s.relu() if i < len(Ws) - 1 else s
    log_p = h.log_softmax()
    J = -(log_p * tg.tensor(y_onehot)).sum()
    for Wi in Ws:
        J = J + lam * (Wi ** 2).sum()
    return J, scores


Ws = [tg.tensor(w, requires_grad=True, name=f"W{i + 1}") for i, w in enumerate(Ws_np)]
bs = [tg.tensor(b, requires_grad=True, name=f"b{i + 1}") for i, b in enumerate(bs_np)]
x0 = tg.tensor(x0_np, requires_grad=True, name="x")
J, scores = forward(x0, Ws, bs)
J.backward()
print("J =", J.item())

# %% [markdown]
# Now the same gradients by hand, in plain numpy, following the lecture's algorithm line by
# line (a forward pass that stores every `x⁽ⁱ⁾` and `s⁽ⁱ⁾`, then the loop on `g`).

# %%
xs, ss = [x0_np], []
for i in range(k):
    s = Ws_np[i] @ xs[-1] + bs_np[i]
    ss.append(s)
    xs.append(np.maximum(s, 0) if i < k - 1 else s)
p = np.exp(ss[-1] - ss[-1].max())
p /= p.sum()
J_hand = -np.log(p[label]) + lam * sum((w ** 2).sum() for w in Ws_np)

g = (p - y_onehot)[None, :]                     # row vector dJ/ds^(k), 1 x c
dW_hand, db_hand = [None] * k, [None] * k
for i in reversed(range(k)):                    # i = k-1, ..., 0  (layers k, ..., 1)
    db_hand[i] = g.ravel()
    dW_hand[i] = g.T @ xs[i][None, :] + 2 * lam * Ws_np[i]
    g = g @ Ws_np[i]                            # g <- g W_i  (now dJ/dx^(i-1))
    if i > 0:
        g = g * (ss[i - 1] > 0)                 # g <- g diag(1[s^(i-1) > 0])
dx_hand = g.ravel()

assert abs(J.item() - J_hand) < 1e-12
for i in range(k):
    np.testing.assert_allclose(Ws[i].grad.numpy(), dW_hand[i], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(bs[i].grad.numpy(), db_hand[i], rtol=1e-10, atol=1e-13)
np.testing.assert_allclose(x0.grad.numpy(), dx_hand, rtol=1e-10, atol=1e-13)
print("max |tapegrad - hand| over all W_i:",
      max(np.abs(Ws[i].grad.numpy() - dW_hand[i]).max() for i in range(k)))

# %% [markdown]
# ### The same pass as a product of local Jacobians
#
# Written out in full, `∂J/∂x` is the upstream row vector times a chain of local Jacobians,
# alternating `∂s⁽ⁱ⁾/∂x⁽ⁱ⁻¹⁾ = W_i` and `∂x⁽ⁱ⁾/∂s⁽ⁱ⁾ = diag(1[s⁽ⁱ⁾ > 0])`:
#
# `∂J/∂x = (p − y)ᵀ W_k D_{k−1} W_{k−1} ⋯ D_1 W_1`.
#
# We build each local Jacobian from tapegrad's own vjps on a fresh forward pass (the
# `jacobian_rows` helper above, one record at a time) and compare them with `W_i` and the
# diagonal 0/1 matrices, then multiply the chain out.

# %%
h_in = tg.tensor(x0_np, requires_grad=True)
chain = []
for i in range(k):
    s = tg.tensor(Ws_np[i]) @ h_in + tg.tensor(bs_np[i])
    J_lin = jacobian_rows(s, h_in)                    # ds/dx^(i-1)
    np.testing.assert_allclose(J_lin, Ws_np[i], rtol=1e-12)
    chain.append(J_lin)
    if i < k - 1:
        s_leaf = tg.tensor(s.numpy(), requires_grad=True)
        J_relu = jacobian_rows(s_leaf.relu(), s_leaf)  # dx^(i)/ds^(i)
        np.testing.assert_array_equal(J_relu, np.diag((ss[i] > 0).astype(float)))
        chain.append(J_relu)
        h_in = tg.tensor(np.maximum(s.numpy(), 0), requires_grad=True)

row = (p - y_onehot)[None, :]
for jac in reversed(chain):
    row = row @ jac
np.testing.assert_allclose(row.ravel(), x0.grad.numpy(), rtol=1e-10, atol=1e-13)
print("local Jacobian shapes:", [j.shape for j in chain])
print("product of the chain == tapegrad's dJ/dx:", row.ravel())

# %% [markdown]
# ## 4. gradcheck: the sweep against finite differences
#
# `tg.gradcheck` perturbs every input entry by ±ε and compares the central difference with
# the tape's gradient. It checks all 8 weight and bias tensors and the input at once.

# %%
def loss_of(x0, *params):
    return forward(x0, list(params[:k]), list(params[k:]))[0]


inputs = [tg.tensor(x0_np)] + [tg.tensor(w) for w in Ws_np] + [tg.tensor(b) for b in bs_np]
assert tg.gradcheck(loss_of, inputs)
print("gradcheck passed for", sum(t.size for t in inputs), "entries")

# %% [markdown]
# gradcheck is not a rubber stamp: a deliberately wrong "gradient" — here a loss whose
# forward pass hides a non-differentiable step from the tape via `.detach()` — is caught.

# %%
def broken(x0, *params):
    Ws_, bs_ = list(params[:k]), list(params[k:])
    Ws_[0] = Ws_[0].detach() + 0 * Ws_[0]   # W1 still changes J, but its gradient is 0
    return forward(x0, Ws_, bs_)[0]


try:
    tg.gradcheck(broken, inputs)
    raise AssertionError("gradcheck should have failed")
except tg.GradcheckError as err:
    print("caught:", str(err)[:110], "...")

# %% [markdown]
# ## 5. Mini-batches: Y = W X
#
# With n examples stacked as the columns of X (d × n), `Y = W X` and the same two rules hold
# with matrices: `dL/dW = (dL/dY) Xᵀ`, `dL/dX = Wᵀ (dL/dY)`. `(dL/dY) Xᵀ` is exactly the sum
# over examples of the per-example outer products `(dL/dy_j) x_jᵀ` — the mini-batch loop of
# the lecture, done in one product. tapegrad (like PyTorch) stores examples as *rows*,
# `Y = X Wᵀ` with X of shape (n, d); the gradient is the same matrix.

# %%
n = 16
X_np = rng.standard_normal((n, d))
T_np = rng.standard_normal((n, m))

W = tg.tensor(W_np, requires_grad=True)
X = tg.tensor(X_np, requires_grad=True)
Y = X @ W.T                                        # (n, m): row j is W x_j
Lb = 0.5 * ((Y - tg.tensor(T_np)) ** 2).sum() / n  # mean over the batch
Lb.backward()

dL_dY = (X_np @ W_np.T - T_np) / n                 # (n, m)
loop = np.zeros_like(W_np)
for j in range(n):                                 # the lecture's per-example accumulation
    loop += np.outer(dL_dY[j], X_np[j])
np.testing.assert_allclose(W.grad.numpy(), loop, rtol=1e-12)
np.testing.assert_allclose(W.grad.numpy(), dL_dY.T @ X_np, rtol=1e-12)   # (dL/dY) X^T, columns
np.testing.assert_allclose(X.grad.numpy(), dL_dY @ W_np, rtol=1e-12)     # rows of W^T dL/dY

# %% [markdown]
# And one backward over the batch equals the average of n single-example backward passes:

# %%
acc = np.zeros_like(W_np)
for j in range(n):
    Wj = tg.tensor(W_np, requires_grad=True)
    lj = 0.5 * ((Wj @ tg.tensor(X_np[j]) - tg.tensor(T_np[j])) ** 2).sum()
    lj.backward()
    acc += Wj.grad.numpy() / n
np.testing.assert_allclose(W.grad.numpy(), acc, rtol=1e-12)
print("batched gradient == mean of", n, "per-example gradients; |dL/dW| =",
      np.linalg.norm(acc).round(4))

# %% [markdown]
# **Summary.** For a linear map the backward pass is two matrix products — the outer product
# with the input for the weights and the transposed weights for the input. A deep network's
# backward pass is the same two products applied layer after layer to one running vector `g`,
# with a 0/1 mask for each ReLU; tapegrad's sweep computes exactly these products, record by
# record, and batching just sums them over examples.
