# %% [markdown]
# # 07 · Optimizers: step sizes, curvature, momentum, adaptive rates and second order
#
# This notebook follows the optimisation part of the lectures: the convergence condition of
# gradient descent read off the Hessian ("Improving the way neural networks learn", the DTU
# notes on optimising feed-forward networks), the optimizers of the UCLA optimisation
# lecture (momentum, Nesterov, AdaGrad, RMSProp, Adam with and without bias correction,
# Newton, L-BFGS) raced on Beale's function, learning-rate schedules, and gradient clipping.
#
# What you should take away:
#
# 1. On a quadratic, gradient descent converges exactly when the step size is below
#    2/λmax, where λmax is the largest eigenvalue of the Hessian. tapegrad computes the
#    Hessian by differentiating its own backward pass (`tg.hessian`).
# 2. Near a minimum every smooth cost looks quadratic, so the same bound decides whether a
#    small network settles or oscillates.
# 3. Optimizers differ in how they shape the step; second-order methods use curvature and
#    can be pulled towards saddle points.
#
# Every claim below is checked with an `assert` against an independent computation: a
# closed form, a hand derivation or plain numpy.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg

plt.rcParams["figure.figsize"] = (5, 3.5)
plt.rcParams["figure.dpi"] = 80
tg.manual_seed(0)

# %% [markdown]
# ## 1. The quadratic bowl
#
# Take $L(\mathbf{x}) = \tfrac12 \mathbf{x}^\top A \mathbf{x}$ with a symmetric positive
# definite $A$. Its Hessian is $A$ itself, so `tg.hessian` must give back $A$.

# %%
A = np.array([[3.0, 1.0], [1.0, 2.0]])
A_t = tg.tensor(A)


def bowl(x):
    return 0.5 * (x @ (A_t @ x))


H = tg.hessian(bowl, tg.tensor([0.3, -0.7], dtype=tg.float64)).numpy()
print(H)
assert np.allclose(H, A)
lam = np.linalg.eigvalsh(H)
lam_max = lam.max()
print(f"eigenvalues {lam.round(4)}, 2/lambda_max = {2 / lam_max:.4f}")

# %% [markdown]
# Gradient descent $\mathbf{x}_{k+1} = \mathbf{x}_k - \eta A \mathbf{x}_k$ is a linear map.
# Along the eigenvector $\mathbf{u}_i$ the component is multiplied by $(1-\eta\lambda_i)$ at
# every step, so after $k$ steps
# $\mathbf{x}_k = U\,\mathrm{diag}\big((1-\eta\lambda_i)^k\big)\,U^\top \mathbf{x}_0$.
# Below we run the descent with tapegrad's gradients and compare every iterate with that
# closed form. The iterates shrink if every $|1-\eta\lambda_i| < 1$, i.e. $\eta < 2/\lambda_{max}$.


# %%
def descend(fn, x0, lr, steps):
    """Plain gradient descent with tapegrad's gradients; returns every iterate."""
    x = tg.tensor(x0, dtype=tg.float64, requires_grad=True)
    path = [x.numpy().copy()]
    for _ in range(steps):
        (g,) = tg.grad(fn(x), x)
        with tg.no_grad():
            x.data = x.data - lr * g.numpy()
        path.append(x.numpy().copy())
    return np.array(path)


x0 = np.array([1.0, 1.5])
lam, U = np.linalg.eigh(A)
fig, ax = plt.subplots()
for factor in (0.5, 0.95, 1.05):
    lr = factor * 2 / lam_max
    path = descend(bowl, x0, lr, 40)
    closed = np.array([U @ np.diag((1 - lr * lam) ** k) @ U.T @ x0 for k in range(41)])
    assert np.allclose(path, closed)
    norms = np.linalg.norm(path, axis=1)
    ax.semilogy(norms, label=f"eta = {factor:.2f} x 2/lambda_max")
    if factor < 1:
        assert norms[-1] < norms[0]
    else:
        assert norms[-1] > norms[0]
ax.set_xlabel("step")
ax.set_ylabel("|x_k|")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. The two-weight network of the DTU notes
#
# One input $x=1$, target $y=1.5$, a linear "network" $h = w_2 w_1 x$ and a little weight
# decay give the cost
# $$C(w_1, w_2) = (w_1 w_2 - 1.5)^2 + 0.04\,(w_1^2 + w_2^2).$$
# By hand: $\partial C/\partial w_1 = 2(w_1w_2-1.5)w_2 + 0.08w_1$ (and symmetrically), so on
# the diagonal the minimum has $w^2 = 1.5 - 0.04 = 1.46$. The Hessian there is
# $\begin{pmatrix} 2w_2^2+0.08 & 4w_1w_2-3 \\ 4w_1w_2-3 & 2w_1^2+0.08\end{pmatrix}
# = \begin{pmatrix}3 & 2.84\\ 2.84 & 3\end{pmatrix}$ with eigenvalues $5.84$ and $0.16$.


# %%
def two_weight(w):
    return (w[0] * w[1] - 1.5) ** 2 + 0.04 * (w ** 2).sum()


w_star = np.sqrt(1.46) * np.ones(2)
H2 = tg.hessian(two_weight, tg.tensor(w_star)).numpy()
print(H2)
assert np.allclose(H2, [[3.0, 2.84], [2.84, 3.0]])
lam2 = np.linalg.eigvalsh(H2)
assert np.allclose(lam2, [0.16, 5.84])
print(f"lambda_max = {lam2.max():.2f}, so GD is stable only for eta < {2 / lam2.max():.4f}")

# %% [markdown]
# $\eta = 0.25$ is below $2/5.84 \approx 0.342$: gradient descent settles at the minimum.
# $\eta = 0.35$ is above it: the minimum repels the iterates along the stiff direction
# $(1,1)$, but further out the cost is flatter, and the iterates end up jumping between two
# points forever, a stable 2-cycle.

# %%
start = np.array([1.0, 0.2])
slow = descend(two_weight, start, 0.25, 500)
osc = descend(two_weight, start, 0.35, 200)
assert np.allclose(slow[-1], w_star, atol=1e-6)
print("eta=0.25 ends at", slow[-1].round(5))
print("eta=0.35 last four iterates\n", osc[-4:].round(5))
assert np.allclose(osc[-1], osc[-3]) and not np.allclose(osc[-1], osc[-2], atol=1e-2)

# %% [markdown]
# The 2-cycle can be found without running the optimizer at all. On the diagonal
# $w_1 = w_2 = w$ one step is the cubic map $f(w) = w - \eta\,(2(w^2-1.5)w + 0.08w)$.
# A 2-cycle is a root of $f(f(w)) - w$ that is not a fixed point of $f$; numpy's polynomial
# roots give it, and the cycle is stable when $|f'(a)f'(b)| < 1$.

# %%
P = np.polynomial.Polynomial
eta = 0.35
f = P([0.0, 1 - eta * (0.08 - 3.0), 0.0, -2 * eta])
roots = (f(f) - P([0.0, 1.0])).roots().real
fixed = (f - P([0.0, 1.0])).roots().real
cycle = sorted(r for r in roots if r > 0 and np.abs(fixed - r).min() > 1e-6 and r < 2)
print("2-cycle from the polynomial:", np.round(cycle, 5))
assert np.allclose(sorted(osc[-2:, 0]), cycle, atol=1e-6)
assert abs(f.deriv()(cycle[0]) * f.deriv()(cycle[1])) < 1

fig, ax = plt.subplots()
ws = np.linspace(-0.2, 2.0, 200)
W1, W2 = np.meshgrid(ws, ws)
C = (W1 * W2 - 1.5) ** 2 + 0.04 * (W1 ** 2 + W2 ** 2)
ax.contour(W1, W2, C, levels=np.geomspace(0.05, 6, 15), cmap="Greys")
ax.plot(*slow[:40].T, ".-", label="eta = 0.25")
ax.plot(*osc[:40].T, ".-", label="eta = 0.35")
ax.set_xlabel("w1")
ax.set_ylabel("w2")
ax.legend()
plt.show()
