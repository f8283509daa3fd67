"""viz: the DOT source of known graphs (structure, not pixels), and every graph renders."""

import doctest
import functools
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tapegrad as tg
import tapegrad.nn as nn
import tapegrad.viz as viz
from tapegrad import examples

VENV_BIN = str(Path(sys.executable).parent)


def render_svg(graph) -> str:
    """Render with the `dot` that `make test` provides; any error or warning fails."""
    return render_source(graph.source)


def render_source(source: str) -> str:
    env = dict(os.environ, PATH=VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    run = subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True,
                         env=env, timeout=60)
    err = run.stderr.decode()
    assert run.returncode == 0 and not err.strip(), err
    svg = run.stdout.decode()
    assert "<svg" in svg
    return svg


@pytest.fixture(autouse=True)
def every_graph_renders(monkeypatch):
    """Whatever viz.draw or viz.backward_frames returns in a test is rendered at its end."""
    made = []
    draw, frames = viz.draw, viz.backward_frames

    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        made.append(draw(*args, **kwargs))
        return made[-1]

    @functools.wraps(frames)
    def framed(*args, **kwargs):
        out = frames(*args, **kwargs)
        made.extend(out)
        return out

    monkeypatch.setattr(viz, "draw", drawn)
    monkeypatch.setattr(viz, "backward_frames", framed)
    yield
    for source in dict.fromkeys(g.source for g in made):
        render_source(source)


def nodes(source: str) -> dict[str, str]:
    """node id -> its whole statement line."""
    out = {}
    for line in source.splitlines():
        m = re.match(r"\s*(\w+) \[", line)
        if m and m.group(1) not in ("graph", "node", "edge"):
            out[m.group(1)] = line
    return out


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, flags=re.M)


def clusters(source: str) -> dict[str, str]:
    """cluster label text -> the body of its subgraph (nested clusters included)."""
    out = {}
    for m in re.finditer(r"subgraph (cluster_\w+) \{", source):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[i], 0)
            i += 1
        body = source[m.end():i - 1]
        label = re.search(r"label=<(.*?)> labeljust", body).group(1)
        out[re.sub(r"<[^>]+>", "", label)] = body
    return out


def ops_in(body: str) -> list[str]:
    """The op labels of the op nodes declared directly in a cluster body, in order."""
    own = re.sub(r"subgraph cluster_\w+ \{.*", "", body, flags=re.S)
    return [re.sub(r"<[^>]+>", "", lab) for lab in
            re.findall(r"^\s*op\d+ \[label=<(.*)> fillcolor", own, flags=re.M)]


def lecture_scalar():
    """L = (x*w + b - y)^2 at x=2, w=-3, b=1, y=4, with every gradient retained."""
    x = tg.tensor(2.0, dtype="float64", name="x")
    w = tg.tensor(-3.0, dtype="float64", requires_grad=True, name="w")
    b = tg.tensor(1.0, dtype="float64", requires_grad=True, name="b")
    y = tg.tensor(4.0, dtype="float64", name="y")
    with tg.Tape() as tape:
        L = (x * w + b - y) ** 2
    L.name = "L"
    return L, (x, w, b, y), tape


def bn_net(n=8, features=3, gamma_value=1.5):
    """fc1 then a BatchNorm written out as the lecture's nine primitives, in name scopes."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((n, 4)), dtype="float64", name="x")
    W = tg.tensor(rng.standard_normal((4, features)), dtype="float64", requires_grad=True)
    b = tg.zeros(features, dtype="float64", requires_grad=True)
    gamma = tg.full((features,), gamma_value, dtype="float64", requires_grad=True)
    beta = tg.zeros(features, dtype="float64", requires_grad=True)
    with tg.Tape() as tape:
        with tg.name_scope("fc1", "Linear(4, 3)"):
            h = x @ W + b
        with tg.name_scope("bn1", f"BatchNorm1d({features})"):
            mu = h.mean(axis=0)
            c = h - mu
            var = c.square().mean(axis=0)
            out = c / (var + 1e-5).sqrt() * gamma + beta
        loss = out.relu().sum()
    loss.backward()
    return loss, tape


# ---------------------------------------------------------------------- the lecture scalar
def test_scalar_graph_nodes_values_and_grads_by_hand():
    L, (x, w, b, y), _ = lecture_scalar()
    L.backward()
    src = viz.draw(L).source
    n = nodes(src)
    # forward by hand: u = xw = -6, v = u + b = -5, r = v - y = -9, L = r^2 = 81
    # backward by hand: dL/dr = 2r = -18 = dL/dv = dL/du = dL/db, dL/dw = x dL/du = -36
    assert "<b>mul</b>" in n["op0"] and "<b>add</b>" in n["op1"]
    assert "<b>sub</b>" in n["op2"] and "<b>pow</b>(exponent=2)" in n["op3"]
    expect = {"l0": ("x", "2", None), "l1": ("w", "-3", "-36"), "l2": ("b", "1", "-18"),
              "l3": ("y", "4", None), "t0": (None, "-6", "-18"), "t1": (None, "-5", "-18"),
              "t2": (None, "-9", "-18"), "t3": ("L", "81", "1")}
    for node_id, (name, value, grad) in expect.items():
        line = n[node_id]
        if name:
            assert f"<b>{name}</b>" in line
        assert f"<i>data</i> {value}<" in line
        assert (f"<i>grad</i> {grad}<" in line) if grad else ("<i>grad</i>" not in line)
        assert "scalar float64" in line
    assert set(edges(src)) == {("l0", "op0"), ("l1", "op0"), ("op0", "t0"), ("t0", "op1"),
                               ("l2", "op1"), ("op1", "t1"), ("t1", "op2"), ("l3", "op2"),
                               ("op2", "t2"), ("t2", "op3"), ("op3", "t3")}
    render_svg(viz.draw(L))


def test_parameters_inputs_and_outputs_look_different():
    L, _, _ = lecture_scalar()
    L.backward()
    n = nodes(viz.draw(L).source)
    fill = {k: re.search(r'bgcolor="(#\w+)"', v).group(1) for k, v in n.items() if "table" in v}
    assert "parameter" in n["l1"] and "input" in n["l0"] and "output" in n["t3"]
    assert fill["l1"] == fill["l2"]  # both parameters
    assert len({fill["l0"], fill["l1"], fill["t0"], fill["t3"]}) == 4


def test_a_tensor_a_module_makes_for_itself_is_a_constant_not_an_input():
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5))
    x = tg.randn(2, 3)                    # unnamed data: still the graph's input
    t = tg.randn(2, 4)                    # unnamed target outside any module: an input too
    loss = ((net(x) - t) ** 2).mean()
    n = nodes(viz.draw(loss).source)
    inputs = [k for k, v in n.items() if "<i>input</i>" in v]
    shapes = sorted(re.search(r"</i> (\(\d, \d\))", n[k]).group(1) for k in inputs)
    assert shapes == ["(2, 3)", "(2, 4)"]
    # the dropout mask (2, 4): a constant, drawn inside the Dropout cluster
    (mask,) = [k for k, v in n.items() if "<i>constant</i> (2, 4)" in v]
    assert f"\t\t{mask} [" in clusters(viz.draw(loss).source)["1: Dropout(p=0.5)"]
    # collapsed, the Dropout box is fed by the Linear's output only: no extra input node
    src = viz.draw(loss, collapse=True).source
    assert sum("<i>input</i>" in v for v in nodes(src).values()) == 2
    assert [a for a, b in edges(src) if b == "m1"] == ["t2"]
    assert "1 op (collapsed)" in nodes(src)["m1"] and "3 ops (collapsed)" in nodes(src)["m0"]
    # data read beside weights scaled by a scalar constant inside the module is still data
    w = tg.tensor(np.ones((3, 4)), requires_grad=True)
    with tg.name_scope("scaled", "ScaledLinear"):
        out = x @ (w * 0.5)
    n = nodes(viz.draw(out.sum()).source)
    assert sum("<i>input</i> (2, 3)" in v for v in n.values()) == 1


def test_values_and_grads_can_be_left_out():
    L, _, _ = lecture_scalar()
    L.backward()
    src = viz.draw(L, values=False, grads=False).source
    assert "<i>data</i>" not in src and "<i>grad</i>" not in src
    assert "<b>w</b>" in src and "scalar float64" in src


def test_large_tensors_are_summarized_with_min_mean_max():
    a = np.arange(12.0).reshape(3, 4)
    x = tg.tensor(a, dtype="float64", requires_grad=True, name="x")
    y = (x * 2).sum()
    y.backward()
    line = nodes(viz.draw(y).source)["l0"]
    assert f"min 0  mean {a.mean():.4g}  max 11" in line
    assert "<i>grad</i> min 2  mean 2  max 2" in line
    assert "(3, 4) float64" in line


def test_a_value_freed_after_use_is_drawn_with_its_shape_only():
    """Outside a Tape, a large value no vjp reads is freed once nothing holds it (and every
    large value the graph kept for backward, after a backward without retain_graph); the
    drawing keeps its box, shape and gradient and says the values are gone."""
    x = tg.tensor(np.ones((80, 3)), dtype="float64", name="x")
    w = tg.tensor(np.full((3, 60), 0.5), dtype="float64", requires_grad=True, name="w")
    y = ((x @ w) + 1.0).sum()  # the matmul's output is read by no vjp
    y.backward(retain_graph=True)
    src = viz.draw(y).source
    # x @ w and x @ w + 1 are freed: add's vjps and sum's read no values (sum's only the
    # input's shape, which its record knows)
    assert src.count("freed (name it, or draw inside tg.Tape()") == 2
    assert "(80, 60) float64" in src
    frames = viz.backward_frames(y)
    assert len(frames) == 3 and "freed (name it, or draw inside tg.Tape()" in frames[-1].source


# ---------------------------------------------------------------------- what backward does
def test_fan_out_shows_a_sum_of_contributions():
    x = tg.tensor([1.0, -2.0], dtype="float64", requires_grad=True, name="x")
    y = (x * x + x).sum()  # x read three times: grad = 2x + 1
    y.backward()
    src = viz.draw(y).source
    line = nodes(src)["l0"]
    assert "grad = sum of 3 contributions" in line
    assert "<i>grad</i> [ 3., -3.]" in line  # 2x + 1 at x = (1, -2)
    fan = [e for e in src.splitlines() if e.strip().startswith("l0 ->")]
    assert len(fan) == 3 and all("color=" in e for e in fan)  # one edge per contribution
    render_svg(viz.draw(y))


def test_broadcast_undo_is_on_the_edge():
    x = tg.tensor(np.ones((4, 3)), dtype="float64")
    b = tg.tensor([0.5, 1.0, 2.0], dtype="float64", requires_grad=True, name="b")
    y = (x + b).sum()
    y.backward()
    src = viz.draw(y).source
    edge = [e for e in src.splitlines() if e.strip().startswith("l1 -> op0")][0]
    assert "(3,)" in edge and "grad: sum to (3,)" in edge
    assert "<i>grad</i> [4., 4., 4.]" in nodes(src)["l1"]  # each b_j appears in 4 rows
    x_edge = [e for e in src.splitlines() if e.strip().startswith("l0 -> op0")][0]
    assert "sum to" not in x_edge  # x needs no gradient and has the output's shape


def sum_to_edges(source: str) -> list[str]:
    """The source node of every edge drawn with the broadcast undo."""
    return [e.split()[0] for e in source.splitlines() if "-> op" in e and "grad: sum to" in e]


def test_inputs_that_were_not_broadcast_get_no_sum_to():
    """Their shapes broadcast into the output, but the gradient is a product or a slice."""
    a = tg.tensor(np.ones((3, 1)), requires_grad=True, name="a")
    b = tg.tensor(np.full((1, 3), 2.0), requires_grad=True, name="b")
    y = (a @ b).sum()  # an outer product: dL/da = G bᵀ, no sum_to in the engine
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((3, 3)) @ np.full((3, 1), 2.0))
    assert sum_to_edges(viz.draw(y).source) == []
    c = tg.tensor(np.ones((1, 3)), requires_grad=True, name="c")
    d = tg.tensor(np.ones((1, 3)), requires_grad=True, name="d")
    assert sum_to_edges(viz.draw(tg.concatenate([c, d], axis=0).sum()).source) == []
    e = tg.tensor(np.ones(3), requires_grad=True, name="e")
    assert sum_to_edges(viz.draw(tg.stack([e, e * 2], axis=0).sum()).source) == []
    assert sum_to_edges(viz.draw(c[[0, 0]].sum()).source) == []  # getitem: a scatter
    # broadcasting beside a full-shape input keeps the mark: the bias, BN's mean and std
    loss, _ = bn_net()
    src = viz.draw(loss).source
    n = nodes(src)
    marked = sum_to_edges(src)
    assert len(marked) == 5  # the bias, mu, the std, gamma, beta
    assert sum("parameter" in n[k] for k in marked) == 3
    assert sum("<b>mean</b>" in n[f"op{k[1:]}"] or "<b>sqrt</b>" in n[f"op{k[1:]}"]
               for k in marked if k.startswith("t")) == 2


def test_fan_out_counts_only_the_uses_the_backward_went_through():
    a = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name="a")
    h = a.exp()
    h.name = "h"
    l1, l2 = h.sum(), (h * 3).sum()
    l1.backward(retain_graph=True)  # through h.sum() only: one contribution
    np.testing.assert_allclose(a.grad.numpy(), np.exp([1.0, 2.0]))
    src = viz.draw(l1, l2).source
    assert "contributions" not in src
    h_edges = [e for e in src.splitlines() if e.strip().startswith("t0 ->")]
    assert len(h_edges) == 2 and not any("color=" in e for e in h_edges)
    u = h * h  # both uses of h lie under both roots: two contributions whichever was swept
    (u.sum() + 0).backward()
    line = [v for v in nodes(viz.draw(u.sum(), (u * 2).sum()).source).values()
            if "<b>h</b>" in v][0]
    assert "grad = sum of 2 contributions" in line
    with tg.Tape():  # kept gradients show that both losses were swept
        h = a.exp()
        l1, l2 = h.sum(), (h * 3).sum()
    l1.backward(retain_graph=True)
    l2.backward()
    assert "grad = sum of 2 contributions" in viz.draw(l1, l2).source
    np.testing.assert_allclose(h.grad.numpy(), [4.0, 4.0])


# ---------------------------------------------------------------------- clusters
def test_batchnorm_cluster_holds_the_lecture_ops_in_order():
    loss, tape = bn_net()
    src = viz.draw(loss).source
    cl = clusters(src)
    assert set(cl) == {"fc1: Linear(4, 3)", "bn1: BatchNorm1d(3)"}
    ops = [lab.split("(")[0] for lab in ops_in(cl["bn1: BatchNorm1d(3)"])]
    assert ops == ["mean", "sub", "square", "mean", "add", "sqrt", "div", "mul", "add"]
    assert ops_in(cl["fc1: Linear(4, 3)"]) == ["matmul", "add"]
    assert ops_in(cl["bn1: BatchNorm1d(3)"])[0] == "mean(axis=0)"
    # gamma and beta sit in the BN cluster, the input x outside every cluster
    assert src.count("parameter") == 4
    assert cl["bn1: BatchNorm1d(3)"].count("parameter") == 2
    assert all("<b>x</b>" not in body for body in cl.values())
    render_svg(viz.draw(loss))


def test_collapse_draws_a_module_as_one_box():
    loss, tape = bn_net()
    full = viz.draw(loss).source
    g = viz.draw(loss, collapse=["bn1"])
    src = g.source
    n = nodes(src)
    assert "<b>bn1</b>: BatchNorm1d(3)" in n["m0"] and "9 ops" in n["m0"]
    assert set(clusters(src)) == {"fc1: Linear(4, 3)"}
    op_nodes = [k for k in n if k.startswith("op")]
    assert len(op_nodes) == len(tape) - 9
    # into the box: h (output of fc1's add, record 1), gamma and beta; out: the normalized y
    into = sorted(s for s, d in edges(src) if d == "m0")
    assert into == sorted(["t1", "l4", "l5"]) or into == sorted(["t1", "l3", "l4"])
    assert [d for s, d in edges(src) if s == "m0"] == ["t10"]
    assert "parameter" in n[into[0]] or "parameter" in n[into[1]]
    assert len(full) > len(src)
    render_svg(g)


def test_collapse_true_expand_and_unknown_names():
    loss, _ = bn_net()
    everything = viz.draw(loss, collapse=True).source
    assert clusters(everything) == {}
    boxes = {k: v for k, v in nodes(everything).items() if k.startswith("m")}
    assert [re.search(r"<b>(\w+)</b>", v).group(1) for v in boxes.values()] == ["fc1", "bn1"]
    opened = viz.draw(loss, expand=["bn1"]).source  # the others collapse
    assert set(clusters(opened)) == {"bn1: BatchNorm1d(3)"}
    assert sum(1 for k in nodes(opened) if k.startswith("m")) == 1
    assert viz.draw(loss, expand=True).source == viz.draw(loss).source
    with pytest.raises(ValueError, match="bn2.*scopes: fc1, bn1"):
        viz.draw(loss, collapse=["bn2"])
    render_svg(viz.draw(loss, collapse=True))
    render_svg(viz.draw(loss, expand=["bn1"]))


def test_nested_scopes_nest_clusters_and_collapse_whole():
    x = tg.tensor(np.ones((2, 2)), dtype="float64", requires_grad=True, name="x")
    with tg.name_scope("block", "Block"):
        with tg.name_scope("fc", "Linear(2, 2)"):
            h = x @ x
        out = h.relu()
    y = out.sum()
    src = viz.draw(y).source
    cl = clusters(src)
    assert ops_in(cl["block: Block"]) == ["relu"]
    assert "<b>fc</b>: Linear(2, 2)" in cl["block: Block"]  # the inner cluster is inside
    assert ops_in(cl["fc: Linear(2, 2)"]) == ["matmul"]
    shut = viz.draw(y, collapse=["block"]).source
    assert clusters(shut) == {} and "2 ops" in nodes(shut)["m0"]
    inner = viz.draw(y, collapse=["block.fc"]).source
    assert set(clusters(inner)) == {"block: Block"}
    assert "m0" in clusters(inner)["block: Block"]
    for g in (viz.draw(y), viz.draw(y, collapse=["block"]), viz.draw(y, collapse=["fc"])):
        render_svg(g)


# ---------------------------------------------------------------------- robustness
def test_same_computation_same_source_byte_for_byte():
    first = viz.draw(lecture_scalar()[0]).source
    tg.randn(3, requires_grad=True) * 2  # records in between shift the sequence numbers
    second = viz.draw(lecture_scalar()[0]).source
    assert first == second
    a, b = bn_net()[0], bn_net()[0]
    assert viz.draw(a).source == viz.draw(b).source
    assert viz.draw(a, collapse=True).source == viz.draw(b, collapse=True).source


def test_names_are_escaped_in_html_labels():
    x = tg.tensor(1.0, requires_grad=True, name='a<b & "c">')
    with tg.name_scope("s&t", "Block<1>"):
        y = x * 3
    y.backward()
    src = viz.draw(y).source
    assert "a&lt;b &amp; &quot;c&quot;&gt;" in src and 'a<b' not in src
    assert "<b>s&amp;t</b>: Block&lt;1&gt;" in src
    assert "<b>s&amp;t</b>: Block&lt;1&gt;" in viz.draw(y, collapse=["s&t"]).source
    svg = render_svg(viz.draw(y))
    assert "a&lt;b &amp;" in svg


def test_nan_and_inf_are_highlighted_with_their_first_record():
    x = tg.tensor([1.0, 0.0], dtype="float64", requires_grad=True, name="x")
    with tg.Tape(), np.errstate(divide="ignore"):
        z = x.exp() * 2
        y = (z.log() + (x * 0.5).log()).sum()  # log(0) = -inf in the second log only
    src = viz.draw(y, grads=False).source
    n = nodes(src)
    marked = [k for k, v in n.items() if "first NaN/Inf in value" in v]
    assert len(marked) == 1
    log_ops = [k for k, v in n.items() if k.startswith("op") and "<b>log</b>" in v]
    assert marked == [log_ops[1]]
    bad_data = [k for k, v in n.items() if "Inf in value" in v and k[0] in "tl"]
    assert bad_data == ["t4", "t5", "t6"]  # the second log's output, the add and the sum
    render_svg(viz.draw(y, grads=False))


def test_nan_gradient_marks_no_record_when_the_grads_cannot_tell_which():
    """b is read by where and by b*0; where sends the finite [1, 1], the NaN comes from
    sqrt(-1) through b*0. b.grad alone cannot say so: no record is marked."""
    b = tg.tensor([1.0, 2.0], dtype="float64", requires_grad=True, name="b")
    with np.errstate(invalid="ignore"):
        y = tg.where(b > 0, b, (b * 0 - 1).sqrt()).sum()
        frames = viz.backward_frames(y)
        y.backward()
    assert np.isnan(b.grad.numpy()).all()
    src = viz.draw(y).source
    assert "first NaN/Inf in grad" not in src
    assert "NaN in grad" in [v for v in nodes(src).values() if "<b>b</b>" in v][0]
    marked = [v for v in nodes(frames[-1].source).values() if "first NaN/Inf in grad" in v]
    assert len(marked) == 1 and "<b>sqrt</b>" in marked[0]  # the frames saw every step
    with tg.Tape(), np.errstate(invalid="ignore"):  # every gradient kept: still b's two readers
        y = tg.where(b > 0, b, (b * 0 - 1).sqrt()).sum()
        y.backward()
    assert "first NaN/Inf in grad" not in viz.draw(y).source
    x = tg.tensor([0.0, 4.0], dtype="float64", requires_grad=True, name="x")
    y = (x.sqrt() * 3).sum()  # as below, without the Tape: the upstream of sqrt is not kept
    with np.errstate(divide="ignore"):
        y.backward()
    assert "first NaN/Inf in grad" not in viz.draw(y).source


def test_nan_gradient_is_highlighted_with_the_record_that_sent_it():
    x = tg.tensor([0.0, 4.0], dtype="float64", requires_grad=True, name="x")
    with tg.Tape():
        y = (x.sqrt() * 3).sum()  # d sqrt / dx = 1 / (2 sqrt x): inf at 0
    with np.errstate(divide="ignore"):
        y.backward()
    assert np.isinf(x.grad.numpy()[0])
    n = nodes(viz.draw(y).source)
    marked = [k for k, v in n.items() if "first NaN/Inf in grad" in v]
    assert len(marked) == 1 and "<b>sqrt</b>" in n[marked[0]]
    assert "Inf in grad" in n["l0"] and "bgcolor=\"#ff8a80\"" in n["l0"]
    render_svg(viz.draw(y))


def test_node_cap_says_how_to_collapse():
    loss, _ = bn_net()
    with pytest.raises(ValueError, match=r"max_nodes=20.*collapse=True.*fc1, bn1"):
        viz.draw(loss, max_nodes=20)
    assert len(nodes(viz.draw(loss, collapse=True, max_nodes=20).source)) <= 20
    x = tg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(6):
        y = y * 2
    with pytest.raises(ValueError, match="name_scope"):
        viz.draw(y, max_nodes=5)
    y = x
    for i in range(12):  # 12 blocks of 2 ops: 12 boxes + 12 outputs + x even when collapsed
        with tg.name_scope(f"block{i}", "Block"):
            y = (y * 2).tanh()
    with pytest.raises(ValueError, match=r"block0, .*block7, \.\.\. \(12 in all\)\) \(even "
                       r"then it has 25 nodes"):
        viz.draw(y, max_nodes=20)
    assert len(nodes(viz.draw(y, collapse=True, max_nodes=25).source)) == 25


def test_bad_arguments():
    L, _, _ = lecture_scalar()
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw(L, rankdir="XY")
    with pytest.raises(TypeError, match="Tensors"):
        viz.draw(np.ones(3))
    with pytest.raises(ValueError, match="at least one"):
        viz.draw()
    with pytest.raises(ValueError, match="names no scope"):
        viz.draw(L, collapse=["fc1"])
    with pytest.raises(TypeError, match="collapse takes True, a scope name or a list"):
        viz.draw(L, collapse=3)
    with pytest.raises(TypeError, match="viz.save: path must be"):
        viz.save(viz.draw(L), 3)
    assert 'rankdir=TB' in viz.draw(L, rankdir="TB").source
    with pytest.raises(TypeError, match=r"viz.draw: title must be a str or None, got 3"):
        viz.draw(L, title=3)
    with pytest.raises(TypeError, match=r"viz.draw: values must be True or False, got 'no'"):
        viz.draw(L, values="no")
    with pytest.raises(TypeError, match=r"viz.draw: grads must be True or False, got 1"):
        viz.draw(L, grads=1)
    with pytest.raises(TypeError, match=r"viz.backward_frames: values must be True or False"):
        viz.backward_frames(L, values="no")
    with pytest.raises(ValueError, match="max_nodes must be a positive int, got True"):
        viz.draw(L, max_nodes=True)


# ---------------------------------------------------------------------- backward frames
def test_backward_frames_one_per_record_highlighting_each_step():
    L, (x, w, b, y), tape = lecture_scalar()
    frames = viz.backward_frames(L)
    assert len(frames) == len(tape) == 4
    assert w.grad is None and b.grad is None  # no .grad changed
    for n, frame in enumerate(frames):
        nd = nodes(frame.source)
        lit = [k for k, v in nd.items() if "penwidth=3" in v]
        assert lit == [f"op{3 - n}"]  # a chain: the sweep goes from the last record back
        assert f"backward step {n + 1} of 4" in frame.source
    # step 1 (pow): upstream 1, sends 2r = -18; step 4 (mul): sends x * -18 = -36 to w
    first = frames[0].source
    assert re.search(r"op3 -> t3 \[label=<.*upstream g</b> 1<", first)
    assert re.search(r"t2 -> op3 \[label=<.*sends</b> -18<", first)
    last = nodes(frames[-1].source)
    assert "<i>grad</i> -36<" in last["l1"] and "<i>grad</i> -18<" in last["l2"]
    assert "<i>grad</i>" not in nodes(frames[0].source)["l1"]  # not reached yet
    L.backward()  # the graph was kept
    assert w.grad.item() == -36.0 and b.grad.item() == -18.0
    for frame in (frames[0], frames[-1]):
        render_svg(frame)


def test_backward_frames_show_partial_sums_at_fan_out():
    x = tg.tensor([1.0, -2.0], dtype="float64", requires_grad=True, name="x")
    with tg.Tape() as tape:
        y = (x * x + x).sum()
    frames = viz.backward_frames(y)
    assert len(frames) == len(tape) == 3
    # sweep: sum, add (sends 1 to x: 1 of 3), mul (sends x + x: complete, 2x + 1)
    assert "grad so far (1 of 3)</i> [1., 1.]" in nodes(frames[1].source)["l0"]
    assert "<i>grad</i> [ 3., -3.]" in nodes(frames[2].source)["l0"]
    # the mul step sends g * x = (1, -2) along each of its two edges from x
    into_mul = [e for e in frames[2].source.splitlines() if e.strip().startswith("l0 -> op0")]
    assert len(into_mul) == 2 and all("sends</b> [ 1., -2.]" in e for e in into_mul)
    assert x.grad is None


def test_backward_frames_need_the_graph():
    L, _, _ = lecture_scalar()
    L.backward()
    with pytest.raises(tg.TapeError, match="retain_graph"):
        viz.backward_frames(L)


def test_backward_frames_of_a_non_scalar_need_grad_output():
    v = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"backward_frames: loss has shape \(3,\).*grad_output"):
        viz.backward_frames(v * 2)
    (frame,) = viz.backward_frames(v * 2, grad_output=tg.tensor([1.0, -1.0, 0.5]))
    assert "<b>sends</b> [ 2., -2.,  1.]<" in frame.source  # 2 * grad_output


# ---------------------------------------------------------------------- save
def test_save_picks_the_format_from_the_suffix(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    L, _, _ = lecture_scalar()
    L.backward()
    g = viz.draw(L)
    assert viz.save(g, tmp_path / "g.dot").read_text() == g.source
    assert viz.save(g, tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    assert viz.save(g, tmp_path / "sub" / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert viz.save(g, tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot"):
        viz.save(g, tmp_path / "g.jpeg")
    with pytest.raises(TypeError, match="graphviz"):
        viz.save(g.source, tmp_path / "g.svg")
    assert not (tmp_path / "g.jpeg").exists()


def test_save_into_a_path_through_a_file_names_the_file(tmp_path):
    """Python's own error for 'a.svg/b.dot' with a.svg a file is '[Errno 17] File exists:
    a.svg', which reads as if the target existed; viz.save names the path and the file."""
    L, _, _ = lecture_scalar()
    g = viz.draw(L)
    (tmp_path / "a.svg").write_text("keep")
    for target in (tmp_path / "a.svg" / "b.dot", tmp_path / "a.svg" / "sub" / "b.dot"):
        with pytest.raises(OSError, match=r"viz.save: cannot write .*b\.dot.*a\.svg' is a file, "
                                          "not a folder"):
            viz.save(g, target)
    assert (tmp_path / "a.svg").read_text() == "keep"


def test_dot_beside_this_python_is_found_without_path(tmp_path, monkeypatch):
    """A virtualenv used without activating it (a Jupyter kernel, .venv/bin/tapegrad): the
    dot-compatible program installed beside the interpreter is used; with none anywhere,
    saving says what to install, and writes nothing."""
    import graphviz

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on PATH
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", Path("dot"))
    viz._find_dot()
    found = graphviz.backend.dot_command.DOT_BINARY
    assert found.parent == Path(VENV_BIN) and found.name in ("dot", "graphviz-pure")
    L, _, _ = lecture_scalar()
    assert viz.save(viz.draw(L), tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", tmp_path / "no-dot")
    with pytest.raises(FileNotFoundError, match=r"needs Graphviz's `dot`.*tapegrad\[render\]"):
        viz.save(viz.draw(L), tmp_path / "h.svg")
    assert not (tmp_path / "h.svg").exists()


# ---------------------------------------------------------------------- nn modules, examples
def test_nn_batchnorm_is_the_lecture_graph_with_its_state_as_a_note():
    ex = examples.build("bn-mlp")
    net = ex.module
    g = viz.draw(*ex.roots, module=net)
    cl = clusters(g.source)
    bn = cl["bn1: BatchNorm1d(256)"]
    assert [lab.split("(")[0] for lab in ops_in(bn)] == \
        ["mean", "sub", "square", "mean", "add", "sqrt", "div", "mul", "add"]
    assert "<b>bn1.weight</b> <i>parameter</i> (256,)" in bn  # named from the module
    note = [line for line in bn.splitlines() if "shape=note" in line]
    assert len(note) == 1 and "updated outside the graph" in note[0]
    rm = net.bn1.running_mean.numpy()
    assert f"running_mean (256,)</i> min {rm.min():.4g}" in note[0]
    assert "running_var (256,)" in note[0]
    assert set(cl) == {"fc1: Linear(20, 256)", "bn1: BatchNorm1d(256)",
                       "fc2: Linear(256, 10)", "loss: cross_entropy"}
    shut = viz.draw(*ex.roots, module=net, collapse=["bn1"]).source
    box = [v for k, v in nodes(shut).items() if k.startswith("m")]
    assert len(box) == 1 and "<b>bn1</b>: BatchNorm1d(256)" in box[0]
    assert "bn1: BatchNorm1d(256)" not in clusters(shut)
    render_svg(g)
    render_svg(viz.draw(*ex.roots, module=net, collapse=["bn1"]))


def test_examples_draw_render_and_match_hand_numbers():
    state = tg.get_rng_state()
    for name in examples.EXAMPLES:
        render_svg(examples.draw(name, collapse=name.endswith("mlp") or None))
    assert tg.get_rng_state() == state  # examples leave the random stream alone
    chain = nodes(examples.draw("relu-chain").source)
    # h1 = relu(0.8 * 1.5) = 1.2, h2 = -1.2 * 1.2 = -1.44, C = (0.5 + 1.44)^2 = 3.7636
    # dC/dw2 = -2 (y - h2) h1 = -4.656, dC/dw1 = -2 (y - h2) w2 x = 6.984
    by_name = {re.search(r"<b>(\w+)</b>", v).group(1): v for k, v in chain.items()
               if k[0] in "tl" and "<b>" in v}
    assert "<i>grad</i> -4.656<" in by_name["w2"] and "<i>grad</i> 6.984<" in by_name["w1"]
    assert "<i>data</i> 3.764<" in by_name["C"] and "<i>data</i> -1.44<" in by_name["h2"]
    assert examples.draw("mlp").source == examples.draw("mlp").source
    with pytest.raises(ValueError, match="scalar, relu-chain, mlp, bn-mlp"):
        examples.build("resnet")


def test_readme_figures_are_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", VENV_BIN + os.pathsep + os.environ.get("PATH", ""))
    expanded, collapsed = examples.write_readme_figures(tmp_path)
    assert expanded.name == "bn_graph_expanded.svg" and collapsed.name == "bn_graph_collapsed.svg"
    assert "BatchNorm1d(256)" in expanded.read_text() and "sqrt" in expanded.read_text()
    assert "9 ops (collapsed)" in collapsed.read_text()


def test_backward_frames_of_the_bn_mlp():
    tg.manual_seed(0)
    net = examples.MLP(5, 6, 3, batch_norm=True)
    x = tg.randn(4, 5)
    with tg.Tape() as tape:
        loss = nn.functional.cross_entropy(net(x), [0, 2, 1, 0])
    frames = viz.backward_frames(loss, module=net)
    assert len(frames) == len(tape)
    assert all(p.grad is None for p in net.parameters())
    last = frames[-1].source
    loss.backward()
    w = net.fc1.weight.grad.numpy()
    assert f"min {w.min():.4g}  mean {w.mean():.4g}  max {w.max():.4g}" in last
    render_svg(frames[len(frames) // 2])


def test_docstring_examples_run():
    runner = doctest.DocTestRunner()
    for fn in (viz.draw, viz.backward_frames, viz.save):
        fn = inspect.unwrap(fn)
        for test in doctest.DocTestFinder().find(fn, fn.__name__, globs=dict(vars(viz))):
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 5 and result.failed == 0


def test_backward_frames_mark_the_step_that_first_sends_a_nan():
    x = tg.tensor([0.0, 4.0], dtype="float64", requires_grad=True, name="x")
    with tg.Tape() as tape:
        y = (x.sqrt() * 3).sum()
    with np.errstate(divide="ignore"):
        frames = viz.backward_frames(y)
    assert len(frames) == len(tape) == 3  # sum, mul, then sqrt sends 3 / (2 sqrt 0) = inf
    assert all("first NaN/Inf in grad" not in f.source for f in frames[:2])
    last = nodes(frames[2].source)
    assert "first NaN/Inf in grad" in last["op0"] and "<b>sqrt</b>" in last["op0"]
    assert "Inf in grad" in last["l0"] and "<i>grad</i> [ inf, 0.75]" in last["l0"]
