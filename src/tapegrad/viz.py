"""Draw the tape: computational graphs as graphviz Digraphs, read from the records alone.

draw(*roots)           the graph the roots depend on: a data node per tensor (name, shape,
                       dtype, value, gradient), an op node per record (its primitive with its
                       parameters, e.g. `sum(axis=0)`), module scopes as nested clusters or as
                       collapsed boxes
backward_frames(loss)  one graph per step of the reverse sweep, for paging through backprop
save(graph, path)      write .svg, .png, .pdf or .dot, chosen by the suffix

viz reads Node records (label, inputs, seq, scope, scope_labels) and Tensors (shape, dtype,
values, grad, name, requires_grad); it never looks at which op a record is. What the sweep
does is drawn from that generic information, and only where it tells: a tensor read N times
gets its gradient as a sum of N contributions (the engine's accumulation) when the backward
went through every use; an input smaller than the output, broadcast into it beside an input
of the output's shape, gets its gradient summed back to its shape (the engine's sum_to); a
record is marked as the first to send a NaN/Inf gradient when the gradients shown prove it.
Node ids come from the order of the records on the tape, never from memory addresses, so the
same computation gives the same DOT source, byte for byte.
"""

from __future__ import annotations

import html
import io
import math
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from .tape import Node, _check_requires_grad, backward_steps, is_freed
from .tensor import Tensor

__all__ = ["draw", "backward_frames", "save", "SMALL", "MAX_NODES"]

SMALL = 8  # a tensor with at most this many elements shows every value
MAX_NODES = 500  # default cap on drawn nodes (data + op + module boxes)

Scope = tuple[str, ...]
GradOf = Callable[[Tensor], "np.ndarray | None"]

_FILL = {"param": "#ffe0a3", "input": "#e8e8e8", "const": "#f7f7f7", "value": "#dcebfa",
         "output": "#c9ecc9", "bad": "#ff8a80", "box": "#e3d7f4", "step": "#fff176",
         "cluster": "#f5f5fb", "note": "#fffde7"}
_FAN_OUT = "#7b1fa2"  # edges out of a tensor whose gradient is a sum of contributions
_GRAD = "#c62828"  # gradient annotations


# ---------------------------------------------------------------------- reading the tape
def _records(roots: Iterable[Tensor]) -> list[Node]:
    """Every record the roots depend on, in tape order (increasing seq), iteratively."""
    seen: dict[int, Node] = {}
    stack = [r._node for r in roots if r._node is not None]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(t._node for t in node.inputs if t._node is not None)
    return sorted(seen.values(), key=lambda n: n.seq)


def _common(scopes: list[Scope]) -> Scope:
    """The longest scope prefix shared by all of `scopes`."""
    first = scopes[0]
    n = len(first)
    for s in scopes[1:]:
        n = min(n, len(s))
        while first[:n] != s[:n]:
            n -= 1
    return first[:n]


class _Graph:
    """The records the roots depend on, with a stable id, a kind and a scope per tensor.

    Data ids: `t{k}` for the output of the k-th record in tape order, `l{j}` for the j-th
    leaf met in that order. A leaf's kind: `param` (requires grad), `const` or `input`; other
    tensors are `value`, or `output` for the roots. An unnamed leaf without grad is a `const`
    when it has one element (the 2 in x * 2) or when a module made it for its own use: every
    record reading it sits in one module scope and also reads a value already computed from
    the data (a dropout mask, a row maximum subtracted for stability). Otherwise it is data
    entering the graph, an `input`."""

    def __init__(self, roots: tuple[Tensor, ...]) -> None:
        self.roots = roots
        self.records = _records(roots)
        self.index = {id(r): k for k, r in enumerate(self.records)}
        self.tensors: dict[int, Tensor] = {}  # id -> tensor, in order of first appearance
        self.ids: dict[int, str] = {}
        self.uses: dict[int, list[tuple[int, int]]] = {}  # id -> (record, input slot)
        self.outputs: list[Tensor] = []
        self._leaves = 0
        for k, rec in enumerate(self.records):
            for slot, t in enumerate(rec.inputs):
                self._add(t)
                self.uses.setdefault(id(t), []).append((k, slot))
            out = rec.output
            self.outputs.append(out)
            self._add(out)
        for r in roots:
            self._add(r)
        # reach[k]: the roots (by position) that depend on record k
        self.root_of: dict[int, frozenset[int]] = {}
        for j, r in enumerate(roots):
            self.root_of[id(r)] = self.root_of.get(id(r), frozenset()) | {j}
        self.reach: list[frozenset[int]] = [frozenset()] * len(self.records)
        for k in range(len(self.records) - 1, -1, -1):  # readers come later on the tape
            out = self.outputs[k]
            self.reach[k] = self.root_of.get(id(out), frozenset()).union(
                *(self.reach[j] for j, _ in self.uses.get(id(out), [])))
        # on_data[k]: record k reads, directly or through earlier records, data: a leaf without
        # grad that is named or has more than one element (not a scalar constant like the 2)
        self.on_data: list[bool] = []
        for rec in self.records:
            self.on_data.append(any(
                self.on_data[self.index[id(t._node)]] if t._node is not None else
                not t.requires_grad and (t.size > 1 or t.name is not None) for t in rec.inputs))
        root_ids = {id(r) for r in roots}
        self.kind: dict[int, str] = {}
        self.scope: dict[int, Scope] = {}
        for key, t in self.tensors.items():
            if t._node is not None:
                self.kind[key] = "output" if key in root_ids else "value"
                self.scope[key] = t._node.scope
                continue
            uses = self.uses.get(key, [])
            kind = ("param" if t.requires_grad else
                    "const" if t.name is None and (t.size == 1 or self._internal(key)) else
                    "input")
            self.kind[key] = kind
            # parameters and constants sit with the module that reads them; data at the top
            self.scope[key] = (_common([self.records[k].scope for k, _ in uses])
                               if uses and kind != "input" else ())
        self.labels: dict[Scope, str] = {}  # every scope and prefix, in order of appearance
        for rec in self.records:
            for n in range(1, len(rec.scope) + 1):
                self.labels.setdefault(rec.scope[:n], rec.scope_labels[n - 1])
        self.scope_ids = {s: j for j, s in enumerate(self.labels)}

    def every_use(self, key: int) -> bool:
        """Whether every root that depends on the tensor depends on it through all of its
        uses: a backward from any of the roots, alone or together, then sums one gradient
        contribution per use."""
        reaches = [self.reach[k] for k, _ in self.uses.get(key, [])]
        return not reaches or frozenset.intersection(*reaches) == frozenset.union(
            self.root_of.get(key, frozenset()), *reaches)

    def _internal(self, key: int) -> bool:
        """A leaf read only inside one module scope, by records that each also read a value
        computed from the data: made by the module itself, not data entering the graph."""
        uses = self.uses.get(key, [])
        if not uses or not _common([self.records[k].scope for k, _ in uses]):
            return False
        return all(any(t._node is not None and id(t) != key
                       and self.on_data[self.index[id(t._node)]]
                       for t in self.records[k].inputs) for k, _ in uses)

    def _add(self, t: Tensor) -> None:
        key = id(t)
        if key in self.tensors:
            return
        self.tensors[key] = t
        if t._node is not None and id(t._node) in self.index:
            self.ids[key] = f"t{self.index[id(t._node)]}"
        else:
            self.ids[key] = f"l{self._leaves}"
            self._leaves += 1


# ---------------------------------------------------------------------- collapsing
def _matches(path: Scope, name: str) -> bool:
    return name in (".".join(path), "/".join(path)) or (len(path) > 0 and name == path[-1])


def _select(spec: bool | Iterable[str] | None, scopes: list[Scope], who: str) -> set[Scope]:
    if spec is None or spec is False:
        return set()
    if spec is True:
        return set(scopes)
    if isinstance(spec, str):
        spec = [spec]
    elif not isinstance(spec, Iterable):
        raise TypeError(f"viz.draw: {who} takes True, a scope name or a list of them, got "
                        f"{spec!r}")
    chosen: set[Scope] = set()
    for name in spec:
        if not isinstance(name, str):
            raise TypeError(f"viz.draw: {who} takes True or scope names, got {name!r}")
        hit = {s for s in scopes if _matches(s, name)}
        if not hit:
            known = ", ".join(".".join(s) for s in scopes) or "none (no record has a scope)"
            raise ValueError(f"viz.draw: {who}={name!r} names no scope of this graph; "
                             f"scopes: {known}")
        chosen |= hit
    return chosen


def _collapsed(scopes: list[Scope], collapse: Any, expand: Any) -> set[Scope]:
    """The scopes drawn as one box: chosen by `collapse` (all when it is True, and by default
    when only `expand` is given), minus those `expand` opens and their ancestors."""
    if collapse is None and expand not in (None, False, True):
        collapse = True
    shut = _select(collapse, scopes, "collapse")
    opened = _select(expand, scopes, "expand")
    if expand is True:
        return set()
    opened |= {s[:n] for s in opened for n in range(1, len(s))}
    return shut - opened


# ---------------------------------------------------------------------- text
def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(tuple(shape))


def _num(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.4g}"


def _values(a: np.ndarray) -> list[str]:
    """The numbers of `a` as text lines: all of them when there are at most SMALL, else
    min/mean/max (with a count of NaN/Inf entries, which the summary leaves out)."""
    if a.size == 0:
        return ["empty"]
    if a.size == 1:
        return [_num(a.reshape(()).item())]
    if a.size <= SMALL:
        text = np.array2string(a, precision=4, separator=", ", max_line_width=48,
                               floatmode="maxprec", suppress_small=False)
        return text.splitlines()
    f = a.astype(np.float64)
    ok = f[np.isfinite(f)]
    line = ("no finite values" if ok.size == 0 else
            f"min {_num(ok.min())}  mean {_num(ok.mean())}  max {_num(ok.max())}")
    bad = [f"{n} {w}" for n, w in ((int(np.isnan(f).sum()), "NaN"),
                                    (int(np.isinf(f).sum()), "Inf")) if n]
    return [line] + ([", ".join(bad)] if bad else [])


def _bad(a: np.ndarray | None) -> bool:
    return a is not None and a.dtype.kind in "fc" and not np.isfinite(a).all()


def _which_bad(a: np.ndarray) -> str:
    return "NaN" if np.isnan(a).any() else "Inf"


def _row(text_lines: list[str], tag: str = "", color: str | None = None) -> str:
    body = '<br align="left"/>'.join(_esc(s) for s in text_lines)
    if tag:
        body = f"<i>{_esc(tag)}</i> {body}"
    if color:
        body = f'<font color="{color}">{body}</font>'
    return f'<tr><td align="left" balign="left">{body}</td></tr>'


def _html(rows: list[str], fill: str, border: int = 1) -> str:
    return (f'<<table border="{border}" cellborder="0" cellspacing="0" cellpadding="3" '
            f'bgcolor="{fill}">{"".join(rows)}</table>>')


def _cell(parts: list[str]) -> str:
    """An HTML label for an edge or op: lines already escaped, joined by line breaks."""
    return "<" + "<br/>".join(parts) + ">"


# ---------------------------------------------------------------------- the drawing
class _Frame:
    """What one frame of the reverse sweep adds to a drawing (see backward_frames)."""

    def __init__(self, record: int, upstream: np.ndarray,
                 sent: tuple[np.ndarray | None, ...]) -> None:
        self.record = record
        self.upstream = upstream
        self.sent = sent


class _Layout:
    """Where things go once some scopes are collapsed: which tensors and ops are drawn, and
    in which cluster."""

    def __init__(self, graph: _Graph, collapsed: set[Scope]) -> None:
        self.g = graph
        self.collapsed = collapsed
        self.boxes = [s for s in graph.labels if s in collapsed and self._box(s) == s]
        self.box_ids = {s: f"m{j}" for j, s in enumerate(self.boxes)}
        self.visible = [key for key in graph.tensors if self._visible(key)]
        self.open_ops = [k for k, r in enumerate(graph.records) if self._box(r.scope) is None]

    def count(self) -> int:
        """How many nodes the drawing has: data, ops and module boxes."""
        return len(self.visible) + len(self.open_ops) + len(self.boxes)

    def _box(self, scope: Scope) -> Scope | None:
        """The outermost collapsed scope containing `scope`, if any."""
        for n in range(1, len(scope) + 1):
            if scope[:n] in self.collapsed:
                return scope[:n]
        return None

    def _op_id(self, k: int) -> str:
        box = self._box(self.g.records[k].scope)
        return f"op{k}" if box is None else self.box_ids[box]

    def _visible(self, key: int) -> bool:
        box = self._box(self.g.scope[key])
        if box is None:
            return True
        t = self.g.tensors[key]
        if self.g.kind[key] in ("param", "input", "output"):
            return True
        # a value made inside the box shows only where it leaves the box; constants never do
        return t._node is not None and any(
            self._box(self.g.records[k].scope) != box for k, _ in self.g.uses.get(key, []))

    def _place(self, scope: Scope) -> Scope:
        box = self._box(scope)
        return scope if box is None else box[:-1]


class _Drawer(_Layout):
    def __init__(self, graph: _Graph, *, values: bool, grads: bool, grad_of: GradOf,
                 partial: dict[int, tuple[int, int]] | None, collapsed: set[Scope],
                 rankdir: str, state: dict[Scope, list[tuple[str, Tensor]]],
                 names: dict[int, str], max_nodes: int, frame: _Frame | None,
                 first_bad_grad: int | None) -> None:
        super().__init__(graph, collapsed)
        self.values, self.grads = values, grads
        self.grad_of = grad_of
        self.partial = partial or {}
        self.rankdir = rankdir
        self.state = state
        self.names = names
        self.max_nodes = max_nodes
        self.frame = frame
        self.first_bad_grad = first_bad_grad
        self.summed = {key: self._contributions(key) for key in graph.uses}
        self.clusters: dict[Scope, list[tuple[str, dict[str, str]]]] = {}
        self.notes: list[tuple[str, str, dict[str, str]]] = []  # box -> state note edges

    def _contributions(self, key: int) -> int:
        """How many contributions the engine summed into the tensor's gradient: one per use
        when the backward went through all of them (a single root; see _Graph.every_use; or
        every reader's output has a gradient), else 0 (not known: after l1.backward(),
        draw(l1, l2) cannot tell whether l2 was backpropagated too)."""
        uses = self.g.uses[key]
        if self.g.every_use(key) or all(self.grad_of(self.g.outputs[k]) is not None
                                        for k, _ in uses):
            return len(uses)
        return 0

    def _add(self, scope: Scope, node_id: str, attrs: dict[str, str]) -> None:
        self.clusters.setdefault(self._place(scope), []).append((node_id, attrs))

    # --------------------------------------------------------------- nodes
    def _data_node(self, key: int) -> None:
        g = self.g
        t = g.tensors[key]
        kind = g.kind[key]
        name = t.name or self.names.get(key)
        freed = is_freed(t)
        data = None if freed else np.asarray(t)
        grad = self.grad_of(t) if self.grads else None
        title = f"<b>{_esc(name)}</b> " if name else ""
        tag = {"param": "parameter", "input": "input", "const": "constant",
               "output": "output", "value": ""}[kind]
        head = title + (f"<i>{tag}</i> " if tag else "")
        rows = [f'<tr><td align="left">{head}{_esc(_shape(t.shape))} {_esc(str(t.dtype))}'
                "</td></tr>"]
        if self.values:
            rows.append(_row(["freed (name it, or draw inside tg.Tape(), to keep values)"]
                             if data is None
                             else _values(data), "data"))
        if grad is not None:
            done, total = self.partial.get(key, (0, 0))
            tag = f"grad so far ({done} of {total})" if done < total else "grad"
            rows.append(_row(_values(grad), tag, _GRAD))
        n_uses = self.summed.get(key, 0)
        if self.grads and t.requires_grad and n_uses > 1:
            rows.append(_row([f"grad = sum of {n_uses} contributions (+)"], "", _FAN_OUT))
        bad = [f"{_which_bad(a)} in {w}" for w, a in (("value", data), ("grad", grad))
               if _bad(a)]
        if bad:
            rows.append(_row([" and ".join(bad)], "!"))
        fill = _FILL["bad"] if bad else _FILL[kind]
        attrs = {"shape": "plain", "label": _html(rows, fill, 2 if kind == "param" else 1)}
        if kind == "param":
            attrs["color"] = "#b26a00"
        self._add(g.scope[key], g.ids[key], attrs)

    def _op_node(self, k: int, first_bad_value: int | None) -> None:
        rec = self.g.records[k]
        label = rec.label()
        op = rec.op
        parts = ([f"<b>{_esc(op)}</b>{_esc(label[len(op):])}"] if label.startswith(op)
                 else [_esc(label)])
        fill, pen = "white", "1"
        for mark, flag in ((first_bad_value, "value"), (self.first_bad_grad, "grad")):
            if mark == k:
                parts.append(f'<font color="#b71c1c"><b>first NaN/Inf in {flag}</b></font>')
                fill = _FILL["bad"]
        if self.frame is not None and self.frame.record == k:
            fill, pen = _FILL["step"], "3"
            parts.append("<i>backward step</i>")
        self._add(rec.scope, f"op{k}", {"shape": "box", "style": "rounded,filled",
                                        "fillcolor": fill, "penwidth": pen,
                                        "label": _cell(parts)})

    def _box_node(self, scope: Scope, marks: list[str]) -> None:
        n_ops = sum(1 for r in self.g.records if self._box(r.scope) == scope)
        ops = "1 op" if n_ops == 1 else f"{n_ops} ops"
        parts = [self._scope_title(scope),
                 f'<font point-size="9">{ops} (collapsed)</font>'] + marks
        fill = _FILL["bad"] if marks else _FILL["box"]
        self.clusters.setdefault(scope[:-1], []).append(
            (self.box_ids[scope], {"shape": "box", "style": "filled", "fillcolor": fill,
                                   "penwidth": "2", "label": _cell(parts)}))
        self._state_note(scope, collapsed=True)

    def _scope_title(self, scope: Scope) -> str:
        label = self.g.labels[scope]
        name = f"<b>{_esc(scope[-1])}</b>"
        return name if label == scope[-1] else f"{name}: {_esc(label)}"

    def _state_note(self, scope: Scope, collapsed: bool) -> None:
        """Module state (buffers) as a dashed note: updated outside the graph, no gradient."""
        items = self.state.get(scope)
        if not items:
            return
        rows = [_row(["state, updated outside the graph (no grad):"])]
        for name, t in items:
            rows.append(_row(_values(np.asarray(t)) if self.values else [],
                             f"{name} {_shape(t.shape)}"))
        attrs = {"shape": "note", "style": "dashed,filled", "fillcolor": _FILL["note"],
                 "label": "<" + "<table border=\"0\" cellspacing=\"0\">" + "".join(rows)
                          + "</table>>"}
        note_id = f"s{self.g.scope_ids[scope]}"
        if collapsed:  # beside its box, tied to it by a dashed line
            self.clusters.setdefault(scope[:-1], []).append((note_id, attrs))
            self.notes.append((self.box_ids[scope], note_id, {
                "style": "dashed", "arrowhead": "none", "color": "#9e9e9e"}))
        else:
            self.clusters.setdefault(scope, []).append((note_id, attrs))

    # --------------------------------------------------------------- edges
    def _edges(self) -> list[tuple[str, str, dict[str, str]]]:
        g = self.g
        edges: list[tuple[str, str, dict[str, str]]] = []
        seen: set[tuple[str, str]] = set()
        for k, rec in enumerate(g.records):
            dst = self._op_id(k)
            out = g.outputs[k]
            expanded = dst.startswith("op")
            box = self._box(rec.scope)
            for slot, t in enumerate(rec.inputs):
                key = id(t)
                if not self._visible(key):
                    continue
                if box is not None and t._node is not None and self._box(
                        t._node.scope) == box:
                    continue  # a value flowing inside a collapsed module
                src = g.ids[key]
                if not expanded and (src, dst) in seen:
                    continue  # one edge per tensor into a box; an op gets one per input slot
                seen.add((src, dst))
                attrs = self._in_edge(t, out, slot, k) if expanded else {}
                if self.grads and t.requires_grad and self.summed[key] > 1:
                    attrs["color"] = _FAN_OUT
                edges.append((src, dst, attrs))
            out_id = g.ids[id(out)]
            if self._visible(id(out)) and (dst, out_id) not in seen:
                seen.add((dst, out_id))
                attrs = self._out_edge(rec, out, k) if expanded else {}
                edges.append((dst, out_id, attrs))
        return edges

    def _in_edge(self, t: Tensor, out: Tensor, slot: int, k: int) -> dict[str, str]:
        parts = []
        if t.shape != out.shape and self.g.kind[id(t)] != "const":
            parts.append(_esc(_shape(t.shape)))
        if self.grads and t.requires_grad and _broadcast(t, self.g.records[k], out):
            parts.append(f'<font color="{_GRAD}">grad: sum to {_esc(_shape(t.shape))}</font>')
        if self.frame is not None and self.frame.record == k:
            sent = self.frame.sent[slot]
            if sent is not None:
                text = "<br/>".join(_esc(s) for s in _values(sent))
                parts.append(f'<font color="{_GRAD}"><b>sends</b> {text}</font>')
        return {"label": _cell(parts)} if parts else {}

    def _out_edge(self, rec: Node, out: Tensor, k: int) -> dict[str, str]:
        parts = []
        if any(t.shape != out.shape for t in rec.inputs if self.g.kind[id(t)] != "const"):
            parts.append(_esc(_shape(out.shape)))
        if self.frame is not None and self.frame.record == k:
            text = "<br/>".join(_esc(s) for s in _values(self.frame.upstream))
            parts.append(f'<font color="{_GRAD}"><b>upstream g</b> {text}</font>')
        attrs = {"label": _cell(parts)} if parts else {}
        if self.frame is not None and self.frame.record == k:
            attrs["penwidth"] = "3"
        return attrs

    # --------------------------------------------------------------- assembly
    def build(self, title: str | None) -> graphviz.Digraph:
        if self.count() > self.max_nodes:
            raise ValueError(self._too_many())
        g = self.g
        first_bad_value = _first_bad_value(g)
        for key in self.visible:
            self._data_node(key)
        for k in self.open_ops:
            self._op_node(k, first_bad_value)
        for scope in self.boxes:
            marks = [f'<font color="#b71c1c"><b>first NaN/Inf in {flag}</b></font>'
                     for mark, flag in ((first_bad_value, "value"),
                                        (self.first_bad_grad, "grad"))
                     if mark is not None and self._box(g.records[mark].scope) == scope]
            if self.frame is not None and self._box(
                    g.records[self.frame.record].scope) == scope:
                marks.append("<i>backward step</i>")
            self._box_node(scope, marks)
        for scope in g.labels:
            if self._box(scope) is None:
                self._state_note(scope, collapsed=False)
        dot = graphviz.Digraph(
            "tapegrad",
            graph_attr={"rankdir": self.rankdir, "fontname": "Helvetica", "fontsize": "11",
                        "nodesep": "0.25", "ranksep": "0.35"},
            node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.08,0.04"},
            edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"})
        if title:
            dot.attr(label=_cell([_esc(title)]), labelloc="t")
        self._emit(dot, ())
        for src, dst, attrs in self._edges() + self.notes:
            dot.edge(src, dst, **attrs)
        return dot

    def _too_many(self) -> str:
        g = self.g
        top = [s[0] for s in g.labels if len(s) == 1]
        head = f"viz.draw: the graph has {self.count()} nodes, more than max_nodes={self.max_nodes}"
        if not top:
            return (f"{head}; wrap repeated blocks in tg.name_scope(...) (nn modules do) and "
                    "draw them with collapse=True, draw a part (an intermediate tensor as the "
                    "root), or raise max_nodes")
        shown = ", ".join(top[:8]) + (f", ... ({len(top)} in all)" if len(top) > 8 else "")
        shut = _Layout(g, set(g.labels)).count()
        fits = ("" if shut <= self.max_nodes else
                f" (even then it has {shut} nodes: draw a part, an intermediate tensor as the "
                "root, or raise max_nodes)")
        return (f"{head}; collapse modules with collapse=True or collapse=[names] (scopes: "
                f"{shown}){fits}, or raise max_nodes")

    def _emit(self, dot: graphviz.Digraph, scope: Scope) -> None:
        for node_id, attrs in self.clusters.get(scope, []):
            dot.node(node_id, **attrs)
        for child in self.g.labels:
            if len(child) == len(scope) + 1 and child[:-1] == scope and self._box(
                    child) is None:
                sub = graphviz.Digraph(f"cluster_{self.g.scope_ids[child]}")
                sub.attr(label=_cell([self._scope_title(child)]), style="rounded,filled",
                         fillcolor=_FILL["cluster"], color="#8c8cb4", labeljust="l")
                self._emit(sub, child)
                dot.subgraph(sub)


def _broadcast(t: Tensor, rec: Node, out: Tensor) -> bool:
    """Whether input t of rec was broadcast into the output, so that the engine sums its
    gradient back to t's shape: t is smaller than the output and broadcasts into it, and
    another input has the output's shape (the record combines them elementwise). Shapes say
    no more than that: the inputs of an outer product (3, 1) @ (1, 3), of a concatenation
    of (1, 3) rows or a stack of (3,) vectors broadcast into the output too, and their
    gradients are products and slices, not sums; an elementwise (3, 1) + (1, 3) is
    therefore left unmarked as well."""
    small, big = t.shape, out.shape
    if math.prod(small) >= math.prod(big) or all(u.shape != big for u in rec.inputs):
        return False
    try:
        return np.broadcast_shapes(small, big) == big
    except ValueError:
        return False


def _first_bad_value(g: _Graph) -> int | None:
    """The first record (in tape order) whose output has a NaN/Inf and whose inputs do not."""
    for k, rec in enumerate(g.records):
        if _bad(_value(g.outputs[k])) and not any(_bad(_value(t)) for t in rec.inputs):
            return k
    return None


def _value(t: Tensor) -> np.ndarray | None:
    return None if is_freed(t) else np.asarray(t)


def _first_bad_grad(g: _Graph, grad_of: GradOf) -> int | None:
    """The first record in the sweep's order (decreasing seq) to send a NaN/Inf gradient,
    when the gradients shown prove it, else None. A finite gradient is a sum of finite
    contributions, so a record whose inputs all have finite gradients sent finite ones; the
    first record with an input whose gradient is NaN/Inf sent it if nothing else reads that
    input and its own gradient (the upstream g) is finite. A gradient that is not kept (an
    intermediate value outside tg.Tape() or retain_grad()), or a NaN/Inf input that other
    records read too, leaves the question open: then no record is marked.
    backward_frames, which sees every step, always marks the exact record."""
    for k in range(len(g.records) - 1, -1, -1):
        sent = [(t, grad_of(t)) for t in g.records[k].inputs if t.requires_grad]
        if any(a is None for _, a in sent):
            return None
        bad = [t for t, a in sent if _bad(a)]
        if not bad:
            continue
        upstream = grad_of(g.outputs[k])
        alone = any(all(j == k for j, _ in g.uses[id(t)]) for t in bad)
        return k if alone and upstream is not None and not _bad(upstream) else None
    return None


# ---------------------------------------------------------------------- module state
def _module_info(module: Any, g: _Graph) -> tuple[dict[Scope, list[tuple[str, Tensor]]],
                                                  dict[int, str]]:
    """From an nn.Module: its buffers by scope (drawn as state notes) and the dotted names of
    its parameters (shown on data nodes for parameters that have no name of their own)."""
    if module is None:
        return {}, {}
    if not hasattr(module, "named_parameters"):
        raise TypeError(f"viz.draw: module must be an nn.Module, got {type(module).__name__}")
    names = {id(p): n for n, p in module.named_parameters() if id(p) in g.tensors}
    state: dict[Scope, list[tuple[str, Tensor]]] = {}
    buffers = module.named_buffers() if hasattr(module, "named_buffers") else ()
    for dotted, t in buffers:
        if t is None or "." not in dotted:
            continue
        path, leaf = dotted.rsplit(".", 1)
        scope = tuple(path.split("."))
        if scope in g.labels:
            state.setdefault(scope, []).append((leaf, t))
    return state, names


# ---------------------------------------------------------------------- public API
def _roots(roots: tuple[Any, ...], who: str) -> tuple[Tensor, ...]:
    flat: list[Any] = []
    for r in roots:
        flat.extend(r if isinstance(r, (list, tuple)) else [r])
    if not flat:
        raise ValueError(f"{who}: give at least one tensor to draw")
    for r in flat:
        if not isinstance(r, Tensor):
            raise TypeError(f"{who}: expected Tensors, got {type(r).__name__}")
    return tuple(flat)


def _check(rankdir: str, max_nodes: int, who: str, **flags: Any) -> None:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"{who}: rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"{who}: max_nodes must be a positive int, got {max_nodes!r}")
    for name, flag in flags.items():
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{who}: {name} must be True or False, got {flag!r}")


def _tensor_grad(t: Tensor) -> np.ndarray | None:
    return None if t.grad is None else np.asarray(t.grad)


def draw(*roots: Tensor, values: bool = True, grads: bool = True,
         expand: bool | Iterable[str] | None = None,
         collapse: bool | Iterable[str] | None = None, rankdir: str = "LR",
         module: Any = None, max_nodes: int = MAX_NODES,
         title: str | None = None) -> graphviz.Digraph:
    """The computational graph the roots depend on, as a graphviz Digraph.

    roots      tensors (or lists of them) whose records to draw
    values     show each tensor's numbers (all up to SMALL elements, else min/mean/max)
    grads      show `.grad` where it is set (use `tg.Tape()` or `t.retain_grad()` to keep the
               gradients of intermediate values), the accumulation of gradient contributions
               at fan-out, the broadcast undo (`grad: sum to (3,)` on the edge) and the record
               that first sent a NaN/Inf gradient, each where the graph and the gradients
               kept can tell (see the module docstring)
    collapse   True or scope names ('bn1', 'block.fc'): draw those modules as one box each
    expand     scope names to open; the others are then collapsed (unless collapse says
               otherwise); True opens everything (the default)
    module     an nn.Module: its buffers (e.g. running_mean/var) are drawn as dashed notes,
               state updated outside the graph, and its parameter names label the parameters
    max_nodes  raise a ValueError (saying how to collapse) instead of drawing more nodes
    title      a caption above the graph

    >>> import tapegrad as tg
    >>> w = tg.tensor(-3.0, requires_grad=True, name="w")
    >>> loss = (2 * w + 1) ** 2
    >>> loss.backward()                       # dloss/dw = 2 (2w + 1) * 2 = -20
    >>> dot = draw(loss)
    >>> "<b>w</b> <i>parameter</i>" in dot.source, "<i>grad</i> -20<" in dot.source
    (True, True)
    """
    roots = _roots(roots, "viz.draw")
    _check(rankdir, max_nodes, "viz.draw", values=values, grads=grads)
    if title is not None and not isinstance(title, str):
        raise TypeError(f"viz.draw: title must be a str or None, got {title!r}")
    g = _Graph(roots)
    collapsed = _collapsed(list(g.labels), collapse, expand)
    state, names = _module_info(module, g)
    first_bad_grad = _first_bad_grad(g, _tensor_grad) if grads else None
    drawer = _Drawer(g, values=values, grads=grads, grad_of=_tensor_grad, partial=None,
                     collapsed=collapsed, rankdir=rankdir, state=state, names=names,
                     max_nodes=max_nodes, frame=None, first_bad_grad=first_bad_grad)
    return drawer.build(title)


def backward_frames(loss: Tensor, grad_output: Any = None, values: bool = True,
                    rankdir: str = "LR", module: Any = None,
                    max_nodes: int = MAX_NODES) -> list[graphviz.Digraph]:
    """One Digraph per step of the reverse sweep (`tg.backward_steps`), in the sweep's order.

    In frame n the record being processed is highlighted, its output edge shows the upstream
    gradient g and its input edges the gradient it sends to each input; data nodes show the
    gradients computed so far ('grad so far (1 of 2)' while contributions are still being
    summed). No `.grad` is changed and the graph is kept, so `loss.backward()` still works.
    Call it before `loss.backward()` (or after one with retain_graph=True). `grad_output`
    is dL/dloss, needed when loss has more than one element (as for backward)."""
    roots = _roots((loss,), "viz.backward_frames")
    _check(rankdir, max_nodes, "viz.backward_frames", values=values)
    _check_requires_grad(roots, "viz.backward_frames")
    if grad_output is None and roots[0].size != 1:
        raise ValueError(f"viz.backward_frames: loss has shape {roots[0].shape}; without "
                         "grad_output it must be a scalar (one element). Pass "
                         "grad_output=dL/dloss (e.g. tg.ones_like(loss)) or reduce it first "
                         "(loss.sum())")
    g = _Graph(roots)
    state, names = _module_info(module, g)
    totals = {key: sum(1 for k, _ in uses) for key, uses in g.uses.items()}
    got: dict[int, np.ndarray] = {}
    counts: dict[int, int] = {}
    steps = list(backward_steps(roots[0], grad_output))
    frames = []
    first_bad: int | None = None
    for n, step in enumerate(steps):
        k = g.index[id(step.record)]
        out = g.outputs[k]
        upstream = np.array(step.grad_output)
        got[id(out)] = upstream
        counts[id(out)] = totals.get(id(out), 0)
        sent = tuple(None if s is None else np.array(s) for s in step.grad_inputs)
        for t, s in zip(step.record.inputs, sent):
            if s is not None:
                key = id(t)
                got[key] = s if key not in got else got[key] + s
                counts[key] = counts.get(key, 0) + 1
        if first_bad is None and not _bad(upstream) and any(_bad(s) for s in sent):
            first_bad = k
        partial = {key: (counts[key], totals.get(key, 0)) for key in counts}
        title = (f"backward step {n + 1} of {len(steps)}: {step.record.label()} "
                 f"(record {k + 1} of {len(g.records)} on the tape)")
        drawer = _Drawer(g, values=values, grads=True,
                         grad_of=lambda t, got=dict(got): got.get(id(t)), partial=partial,
                         collapsed=set(), rankdir=rankdir, state=state, names=names,
                         max_nodes=max_nodes, frame=_Frame(k, upstream, sent),
                         first_bad_grad=first_bad)
        frames.append(drawer.build(title))
    return frames


_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


def save(graph: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Write `graph` to `path` in the format its suffix names: .svg, .png, .pdf, or .dot/.gv
    (the DOT source). Returns the path. Missing folders are created. Rendering uses the
    `dot` program on PATH."""
    if not isinstance(graph, (graphviz.Digraph, graphviz.Graph)):
        raise TypeError(f"viz.save: expected a graphviz graph, got {type(graph).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"viz.save: path must be a str or os.PathLike, got {path!r}")
    p = Path(path)
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(f"viz.save: cannot tell the format of {str(p)!r} from its suffix; "
                         f"use one of {', '.join(_FORMATS)}")
    data = graph.source.encode() if fmt == "dot" else _render(graph, fmt)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    except OSError as e:  # a parent that is a file: Python's own message names the parent only
        blocker = next((q for q in p.parents if q.exists() and not q.is_dir()), None)
        why = (f"{str(blocker)!r} is a file, not a folder" if blocker is not None
               else e.strerror or type(e).__name__)
        raise type(e)(f"viz.save: cannot write {str(p)!r}: {why}") from e
    return p


def _find_dot() -> None:
    """Point the graphviz package at a dot-compatible program when `dot` is not on PATH:
    one installed beside this Python (a virtualenv used without activating it, as Jupyter
    kernels and `.venv/bin/tapegrad` are), or graphviz-pure's binary under its own name."""
    if shutil.which("dot"):
        return
    here = os.path.dirname(sys.executable)
    for name in ("dot", "graphviz-pure"):
        found = shutil.which(name, path=here) or shutil.which(name)
        if found:
            graphviz.backend.dot_command.DOT_BINARY = Path(found)
            return


_find_dot()


def _render(graph: graphviz.Digraph, fmt: str) -> bytes:
    try:
        return graph.pipe(format=fmt, quiet=fmt == "pdf")
    except graphviz.ExecutableNotFound:
        raise FileNotFoundError(
            "viz.save: rendering needs Graphviz's `dot` program, found neither on PATH nor "
            "beside this Python; install Graphviz (apt-get install graphviz) or "
            "`pip install 'tapegrad[render]'` (graphviz-pure), or save the DOT source "
            "(a .dot path) instead") from None
    except graphviz.CalledProcessError:
        if fmt != "pdf":
            raise
    # a dot without a PDF backend (graphviz-pure): wrap the PNG rendering in a PDF
    try:
        from PIL import Image
    except ImportError:
        raise ValueError("viz.save: this `dot` cannot write PDF and Pillow is not installed; "
                         "save .svg or .png, or install Graphviz or Pillow") from None
    image = Image.open(io.BytesIO(graph.pipe(format="png")))
    page = Image.new("RGB", image.size, "white")
    page.paste(image, mask=image.getchannel("A") if image.mode == "RGBA" else None)
    buf = io.BytesIO()
    page.save(buf, format="PDF", resolution=96.0)
    return buf.getvalue()
