# %% [markdown]
# # 07 · Optimizers: step sizes, curvature, momentum, adaptive rates and second order
#
# This notebook follows the optimisation part of the lectures: the convergence condition of
# gradient descent read off the Hessian ("Improving the way neural networks learn", the DTU
# notes on optimising feed-forward networks), the optimizers of the UCLA optimisation
# lecture (momentum, Nesterov, AdaGrad, RMSProp, Adam with and without bias correction,
# Newton, L-BFGS; and Adadelta, which the DTU notes name beside Adam and Adagrad) raced on
# Beale's function, learning-rate schedules, and gradient clipping.
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
import matplotlib.pyplot as plt
import numpy as np

import tapegrad as tg
import tapegrad.nn as nn

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

fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
ws = np.linspace(0.8, 1.6, 200)
W1, W2 = np.meshgrid(ws, ws)
C = (W1 * W2 - 1.5) ** 2 + 0.04 * (W1 ** 2 + W2 ** 2)
axes[0].contour(W1, W2, C, levels=np.geomspace(0.02, 1, 12), cmap="Greys")
axes[0].plot(*slow[:40].T, ".-", lw=0.8, label="eta = 0.25")
axes[0].plot(*osc[:40].T, ".-", lw=0.8, label="eta = 0.35")
axes[0].plot(*osc[-2:].T, "o", mfc="none", ms=10, color="C1", label="the 2-cycle")
axes[0].plot(*w_star, "k*", ms=10, label="minimum")
axes[0].set_xlim(0.8, 1.6)
axes[0].set_ylim(0.8, 1.6)
axes[0].set_xlabel("w1")
axes[0].set_ylabel("w2")
axes[0].legend(fontsize=8, loc="lower left")
axes[1].plot(slow[:60, 0], ".-", lw=0.8, label="eta = 0.25")
axes[1].plot(osc[:60, 0], ".-", lw=0.8, label="eta = 0.35")
axes[1].axhline(w_star[0], color="k", lw=0.5, linestyle="dotted")
axes[1].set_xlabel("step")
axes[1].set_ylabel("w1")
axes[1].set_title("w1 per step: settles vs. jumps between two values", fontsize=9)
axes[1].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Racing optimizers on Beale's function
#
# Beale's function
# $$f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2$$
# has its minimum $f = 0$ at $(3, 0.5)$, a long curved valley and a saddle point at $(0, 1)$.
# We hand each optimizer of `tapegrad.optim` the same start and budget. The optimizers only
# see `p.grad`, exactly as when they train a network.

# %%
import tapegrad.optim as optim

BEALE_C = (1.5, 2.25, 2.625)


def beale(p):
    x, y = p[0], p[1]
    return sum((c - x + x * y ** k) ** 2 for k, c in enumerate(BEALE_C, start=1))


def beale_np(p):
    x, y = p
    return sum((c - x + x * y ** k) ** 2 for k, c in enumerate(BEALE_C, start=1))


def beale_grad_np(p):
    """The gradient by hand: r_k = c_k - x + x y^k, df/dx = sum 2 r_k (y^k - 1),
    df/dy = sum 2 r_k k x y^(k-1)."""
    x, y = p
    k = np.arange(1, 4)
    r = np.array(BEALE_C) - x + x * y ** k
    return np.array([(2 * r * (y ** k - 1)).sum(), (2 * r * k * x * y ** (k - 1)).sum()])


START = np.array([1.0, 1.5])
p = tg.tensor(START, requires_grad=True)
beale(p).backward()
assert np.allclose(p.grad.numpy(), beale_grad_np(START))
print("f(start) =", beale(tg.tensor(START)).item(), " gradient", p.grad.numpy())


def trajectory(make_opt, steps, start=START):
    """Run an optimizer from `start` on Beale's function; returns the path (steps+1, 2)."""
    p = tg.tensor(start, dtype=tg.float64, requires_grad=True)
    opt = make_opt([p])
    path = [p.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        beale(p).backward()
        opt.step()
        path.append(p.numpy().copy())
    return np.array(path)


RACE = {
    "SGD": lambda ps: optim.SGD(ps, lr=1e-3),
    "momentum": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9),
    "Nesterov": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True),
    "AdaGrad": lambda ps: optim.Adagrad(ps, lr=0.5),
    "Adadelta": lambda ps: optim.Adadelta(ps),
    "RMSProp": lambda ps: optim.RMSprop(ps, lr=1e-2),
    "Adam": lambda ps: optim.Adam(ps, lr=1e-2),
    "Adam, no bias corr.": lambda ps: optim.Adam(ps, lr=1e-2, bias_correction=False),
}
STEPS = 1500
paths = {name: trajectory(make, STEPS) for name, make in RACE.items()}
final = {name: beale(tg.tensor(path[-1])).item() for name, path in paths.items()}
for name, value in final.items():
    print(f"{name:>20}: ends at {paths[name][-1].round(3)}, f = {value:.2e}")

# %% [markdown]
# Are these really the lecture's update rules? Below, the same rules are written out in plain
# numpy with the hand-derived gradient (momentum as $v \leftarrow \mu v + g$, Nesterov's
# look-ahead in its change-of-variables form, AdaGrad's running sum of squares, Adadelta's
# step $\sqrt{E[\Delta^2] + \epsilon}/\sqrt{E[g^2] + \epsilon}\,g$ (no learning rate: the
# running RMS of the earlier steps sets the scale), RMSProp's running average, Adam's two
# moments with and without the bias correction
# $\hat m = m/(1-\beta_1^t)$, $\hat v = v/(1-\beta_2^t)$). They must trace the same paths.


# %%
def reference(name, steps, start=START):
    p, b, m, v = start.astype(float), np.zeros(2), np.zeros(2), np.zeros(2)
    path = [p.copy()]
    for t in range(1, steps + 1):
        g = beale_grad_np(p)
        if name == "SGD":
            p = p - 1e-3 * g
        elif name in ("momentum", "Nesterov"):
            b = g if t == 1 else 0.9 * b + g
            p = p - 1e-3 * (g + 0.9 * b if name == "Nesterov" else b)
        elif name == "AdaGrad":
            v = v + g * g
            p = p - 0.5 * g / (np.sqrt(v) + 1e-10)
        elif name == "Adadelta":  # v: running E[g²], m: running E[Δ²], steps in θ's units
            v = 0.9 * v + 0.1 * g * g
            step = np.sqrt(m + 1e-6) / np.sqrt(v + 1e-6) * g
            m = 0.9 * m + 0.1 * step * step
            p = p - step
        elif name == "RMSProp":
            v = 0.99 * v + 0.01 * g * g
            p = p - 1e-2 * g / (np.sqrt(v) + 1e-8)
        else:
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            if name == "Adam":
                p = p - 1e-2 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
            else:
                p = p - 1e-2 * m / (np.sqrt(v) + 1e-8)
        path.append(p.copy())
    return np.array(path)


for name in RACE:
    assert np.allclose(paths[name], reference(name, STEPS), rtol=1e-6, atol=1e-8), name
print("all", len(RACE), "optimizers follow the hand-written update rules for", STEPS, "steps")

# %% [markdown]
# With the same small step, plain gradient descent is still crawling along the valley after
# 1500 steps, while momentum (which, in a valley of low curvature, multiplies the effective
# step by about $1/(1-\mu) = 10$) has reached the minimum.

# %%
assert final["momentum"] < 1e-3 * final["SGD"]
assert final["Nesterov"] < 1e-3 * final["SGD"]
assert np.allclose(paths["momentum"][-1], [3.0, 0.5], atol=5e-3)

# %% [markdown]
# **Adam's bias correction.** Both moments start at zero. Without the correction the first
# step is $\eta\,(1-\beta_1)g / \sqrt{(1-\beta_2)g^2} = \eta\,(1-\beta_1)/\sqrt{1-\beta_2}
# \approx 3.16\,\eta$ per coordinate; with it, exactly $\eta$ per coordinate.

# %%
first_corr = np.abs(paths["Adam"][1] - START)
first_raw = np.abs(paths["Adam, no bias corr."][1] - START)
print("first step with / without bias correction:", first_corr, first_raw)
assert np.allclose(first_corr, 1e-2, rtol=1e-5)
assert np.allclose(first_raw, 1e-2 * 0.1 / np.sqrt(0.001), rtol=1e-5)

# %% [markdown]
# ## 4. Learning-rate schedules
#
# A large step early and a small step late: the lecture's schedules for step $\tau$ are
# linear $\eta_\tau = (1-\tau/K)\eta_0 + (\tau/K)\eta_K$ (then constant), power law
# $\eta_0(1+\tau/s)^c$, exponential $\eta_0 c^{\tau/s}$; PyTorch adds step decay and cosine
# annealing. Each scheduler below drives a real optimizer; we read the rate back from the
# optimizer after every `sched.step()` and compare it with the formula.

# %%
from tapegrad.optim import lr_scheduler as sched

ETA0, T = 0.1, 60
FORMULAS = {
    "linear (K=40, eta_K=eta0/10)": (
        lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=40),
        lambda t: ETA0 * ((1 - min(t, 40) / 40) + min(t, 40) / 40 * 0.1)),
    "power (s=10, c=-1)": (lambda o: sched.PowerLR(o, s=10, c=-1.0),
                           lambda t: ETA0 * (1 + t / 10) ** -1.0),
    "exponential (c=0.1, s=30)": (lambda o: sched.ExponentialLR(o, gamma=0.1 ** (1 / 30)),
                                  lambda t: ETA0 * 0.1 ** (t / 30)),
    "step (every 20, x0.5)": (lambda o: sched.StepLR(o, step_size=20, gamma=0.5),
                              lambda t: ETA0 * 0.5 ** (t // 20)),
    "cosine (T_max=60)": (lambda o: sched.CosineAnnealingLR(o, T_max=T),
                          lambda t: ETA0 * (1 + np.cos(np.pi * t / T)) / 2),
}
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, (make, formula) in FORMULAS.items():
    opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=ETA0)
    s = make(opt)
    rates = []
    for _ in range(T + 1):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    assert np.allclose(rates, [formula(t) for t in range(T + 1)]), name
    ax.plot(rates, label=name)
ax.set_xlabel("epoch")
ax.set_ylabel("learning rate")
ax.legend(fontsize=7)
plt.show()

# %% [markdown]
# ## 5. Second-order methods: Newton is drawn to the saddle, L-BFGS is not
#
# Newton's method jumps to the stationary point of the local quadratic model,
# $\theta \leftarrow \theta - H^{-1} g$, with $H$ from tapegrad's double backward. It needs
# no learning rate, but it cannot tell a minimum from a saddle: where $H$ has a negative
# eigenvalue, the step goes *uphill* along that eigenvector. Quasi-Newton methods such as
# (L-)BFGS build a positive-definite curvature estimate from gradients, and they and
# nonlinear conjugate gradient use a line search that insists on descent, so they keep
# going down. (These methods take one iteration per `step(closure)` here, so that we can
# record the path. As in PyTorch, `max_eval` caps the loss evaluations of one `step()` and
# defaults to `max_iter`·5/4, which is 1 for `max_iter=1`: the line search could then try
# only its first step, so we give it `max_eval=25`.)
#
# First the Hessian of Beale's function by hand, for an independent check: with
# $r_k = c_k - x + xy^k$, $H = \sum_k 2(\nabla r_k \nabla r_k^\top + r_k \nabla^2 r_k)$,
# $\nabla r_k = (y^k - 1,\ kxy^{k-1})$ and
# $\nabla^2 r_k = \begin{pmatrix}0 & ky^{k-1}\\ ky^{k-1} & k(k-1)xy^{k-2}\end{pmatrix}$.


# %%
def beale_hess_np(p):
    x, y = p
    H = np.zeros((2, 2))
    for k, c in enumerate(BEALE_C, start=1):
        r = c - x + x * y ** k
        dr = np.array([y ** k - 1, k * x * y ** (k - 1)])
        d2r = np.array([[0.0, k * y ** (k - 1)], [k * y ** (k - 1), k * (k - 1) * x * y ** (k - 2)]])
        H += 2 * (np.outer(dr, dr) + r * d2r)
    return H


assert np.allclose(tg.hessian(beale, tg.tensor(START)).numpy(), beale_hess_np(START))


def closure_trajectory(make_opt, steps, backward):
    """Like `trajectory`, for optimizers that re-evaluate the loss through a closure."""
    p = tg.tensor(START, dtype=tg.float64, requires_grad=True)
    opt = make_opt([p])

    def closure():
        opt.zero_grad()
        loss = beale(p)
        if backward:
            loss.backward()
        return loss

    path = [p.numpy().copy()]
    for _ in range(steps):
        opt.step(closure)
        path.append(p.numpy().copy())
    return np.array(path)


paths["Newton"] = closure_trajectory(lambda ps: optim.Newton(ps), 15, backward=False)
newton_np = [START]
for _ in range(15):
    q = newton_np[-1]
    newton_np.append(q - np.linalg.solve(beale_hess_np(q), beale_grad_np(q)))
assert np.allclose(paths["Newton"], newton_np, atol=1e-8)
print("Newton ends at", paths["Newton"][-1].round(6))

# %% [markdown]
# Newton converged, but to $(0, 1)$, which is not the minimum. There the gradient vanishes
# (every $\partial r_k/\partial x = y^k - 1$ and $\partial r_k/\partial y = kxy^{k-1}$ is 0),
# $f = 1.5^2 + 2.25^2 + 2.625^2 = 14.203125$, and by the formula above the Hessian is
# $\begin{pmatrix}0 & 2\sum_k k c_k\\ 2\sum_k k c_k & 0\end{pmatrix}$ with
# $2\sum_k kc_k = 27.75$: eigenvalues $\pm 27.75$, a saddle point.

# %%
saddle = np.array([0.0, 1.0])
assert np.allclose(paths["Newton"][-1], saddle, atol=1e-8)
assert np.isclose(beale(tg.tensor(saddle)).item(), 14.203125)
H_saddle = tg.hessian(beale, tg.tensor(saddle)).numpy()
print(H_saddle)
assert np.allclose(np.linalg.eigvalsh(H_saddle), [-27.75, 27.75])

# %% [markdown]
# The lecture's fix is to regularize the Hessian: $\theta \leftarrow \theta - (H + \alpha I)^{-1} g$.
# With $\alpha = 30 > 27.75$, $H + \alpha I$ is positive definite at the saddle (eigenvalues
# $30 \pm 27.75$), so the saddle no longer attracts; here the cost falls at every step and
# the method slides past the saddle towards the minimum
# (slowly: for large $\alpha$ it is gradient descent with rate $1/\alpha$).

# %%
paths["Newton, damped (30)"] = closure_trajectory(lambda ps: optim.Newton(ps, damping=30.0), 60,
                                                  backward=False)
f_damped = [beale_np(q) for q in paths["Newton, damped (30)"]]
print(f"damped Newton: f from {f_damped[0]:.2f} to {f_damped[-1]:.4f}, ends at "
      f"{paths['Newton, damped (30)'][-1].round(3)}")
assert np.allclose(np.linalg.eigvalsh(H_saddle + 30 * np.eye(2)), [30 - 27.75, 30 + 27.75])
assert np.all(np.diff(f_damped) < 0)
assert f_damped[-1] < 0.05 and np.linalg.norm(paths["Newton, damped (30)"][-1] - saddle) > 2

# %%
paths["L-BFGS"] = closure_trajectory(
    lambda ps: optim.LBFGS(ps, lr=1, max_iter=1, max_eval=25, line_search_fn="strong_wolfe"),
    40, True)
paths["BFGS"] = closure_trajectory(lambda ps: optim.BFGS(ps, max_iter=1, max_eval=25), 40, True)
paths["conjugate gradient"] = closure_trajectory(
    lambda ps: optim.ConjugateGradient(ps, max_iter=1, max_eval=25), 40, True)
for name in ("L-BFGS", "BFGS", "conjugate gradient"):
    print(f"{name:>18} ends at {paths[name][-1].round(6)} after 40 iterations")
    assert np.allclose(paths[name][-1], [3.0, 0.5], atol=1e-4), name

# %% [markdown]
# All trajectories on the contour plot of $\log f$. The first-order methods creep along the
# valley; momentum overshoots and swings back; Adam and RMSProp take steps of roughly
# constant length; Newton heads straight for the saddle; L-BFGS, BFGS and conjugate gradient
# reach the minimum in a few dozen iterations.

# %%
xs, ys = np.linspace(-0.5, 4.0, 300), np.linspace(-1.0, 2.0, 300)
XX, YY = np.meshgrid(xs, ys)
ZZ = sum((c - XX + XX * YY ** k) ** 2 for k, c in enumerate(BEALE_C, start=1))
fig, ax = plt.subplots(figsize=(7, 4.5))
ax.contour(XX, YY, np.log10(ZZ + 1e-3), levels=25, cmap="Greys", linewidths=0.6)
colors = list(plt.cm.tab10.colors) + ["black", "darkgoldenrod", "teal"]
assert len(colors) >= len(paths)  # zip below would drop a path silently
first_order = list(RACE)
for (name, path), color in zip(paths.items(), colors):
    style = "-" if name in first_order else "--"  # dashed: second-order and line-search methods
    ax.plot(*path.T, style, color=color, lw=1.2, label=name)
ax.plot(3, 0.5, "k*", markersize=12)
ax.plot(0, 1, "kx", markersize=10)
ax.annotate("minimum (3, 0.5)", (3, 0.5), (2.6, -0.6), fontsize=8,
            arrowprops={"arrowstyle": "->"})
ax.annotate("saddle (0, 1)", (0, 1), (-0.3, 1.6), fontsize=8, arrowprops={"arrowstyle": "->"})
ax.set_xlim(-0.5, 4.0)
ax.set_ylim(-1.0, 2.0)
ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
plt.show()

# %% [markdown]
# ## 6. Gradient clipping on a cliff
#
# A cost surface can contain a cliff, a narrow region where the cost drops steeply (deep
# products of weights, as in recurrent nets, make them). The gradient there is huge, and one
# step of plain gradient descent throws the parameters far away. Clipping rescales the
# gradient whenever its norm exceeds a threshold, $g \leftarrow g \cdot
# \text{clip}/\|g\|$, so no single step can be longer than $\eta\cdot\text{clip}$.
#
# Our cliff: a bowl centred at $(2, 0)$ plus a step of height 20 at $w_1 = 1$,
# $L(w) = \tfrac12\|w - (2,0)\|^2 + 20\,\sigma(-40(w_1 - 1))$, whose wall has a slope of up
# to $20 \cdot 40/4 = 200$.

# %%
TARGET = np.array([2.0, 0.0])


def cliff(w):
    return 0.5 * ((w - tg.tensor(TARGET)) ** 2).sum() + 20 * (-40 * (w[0] - 1)).sigmoid()


def cliff_grad_np(w):
    s = 1 / (1 + np.exp(40 * (w[0] - 1)))
    return w - TARGET + np.array([20 * -40 * s * (1 - s), 0.0])


def descend_cliff(max_norm, steps=150, lr=0.1):
    w = tg.tensor([0.0, 1.0], dtype=tg.float64, requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    path, norms = [w.numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        cliff(w).backward()
        if max_norm is not None:
            expected = np.linalg.norm(cliff_grad_np(w.numpy()))
            total = nn.utils.clip_grad_norm_([w], max_norm).item()
            assert np.isclose(total, expected)  # the norm before clipping
            assert np.linalg.norm(w.grad.numpy()) <= max_norm + 1e-6
            norms.append(total)
        opt.step()
        path.append(w.numpy().copy())
    return np.array(path), norms


raw, _ = descend_cliff(None)
clipped, norms = descend_cliff(max_norm=1.0)
dist_raw = np.linalg.norm(raw - TARGET, axis=1)
dist_clip = np.linalg.norm(clipped - TARGET, axis=1)
print(f"largest gradient norm met: {max(norms):.1f}")
print(f"furthest from the target: unclipped {dist_raw.max():.1f}, clipped {dist_clip.max():.2f}")
assert max(norms) > 50
assert dist_raw.max() > 5
assert dist_clip.max() <= dist_clip[0] + 1e-9
assert np.allclose(clipped[-1], TARGET, atol=1e-3)

fig, axes = plt.subplots(1, 2, figsize=(8, 3))
w1 = np.linspace(-1, 4, 400)
axes[0].plot(w1, 0.5 * (w1 - 2) ** 2 + 20 / (1 + np.exp(40 * (w1 - 1))), "k")
axes[0].set_xlabel("w1 (w2 = 0)")
axes[0].set_ylabel("cost")
axes[0].set_title("the cliff", fontsize=10)
axes[1].semilogy(dist_raw, label="plain GD")
axes[1].semilogy(dist_clip, label="clipped at 1")
axes[1].set_xlabel("step")
axes[1].set_ylabel("distance to the minimum")
axes[1].legend()
plt.tight_layout()
plt.show()
