"""Fuses the attention that PyTorch's scaled_dot_product_attention traces to into ONNX Runtime's
`com.microsoft.MultiHeadAttention`.

ONNX Runtime's transformer optimiser knows the attention patterns of BERT-style eager attention;
the legacy TorchScript exporter writes transformers' default (sdpa) attention as

    q = Transpose(Reshape(x_q, [B, S, H, d]), [0, 2, 1, 3]) * a
    k = Transpose(Reshape(x_k, [B, T, H, d]), [0, 2, 3, 1]) * b
    v = Transpose(Reshape(x_v, [B, T, H, d]), [0, 2, 1, 3])
    out = Reshape(Transpose(Softmax(q @ k) @ v, [0, 2, 1, 3]), [B, S, H*d])

which it leaves unfused. This pass finds that pattern (scales as Mul or Div by constants on either
side, or on the product) and replaces it with one MultiHeadAttention node on x_q, x_k, x_v
(B, S, H*d) with num_heads = H and scale = a*b. Where q and k reach the product in the heads
layout from elsewhere (rotary embeddings applied after the transpose, as in SAM3's ViT and
DINOv3), they are transposed back to (B, S, H*d) first. ONNX Runtime's CPU kernel for
MultiHeadAttention runs flash attention (tiles of the score matrix, never the whole S x T of
every head at once), which is where the memory goes at large sequence lengths. Patterns with a
mask, or with v not straight from its projection, are left alone.
"""
import numpy as np
import onnx
from onnx import helper, numpy_helper


class _Graph:
    def __init__(self, model):
        self.model = model
        self.graph = model.graph
        self.producer = {o: n for n in self.graph.node for o in n.output}
        self.consumers = {}
        for n in self.graph.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.initializers = {t.name: t for t in self.graph.initializer}
        # Values read inside subgraphs (If/Loop bodies) count as outputs: never fused away.
        self.outputs = {o.name for o in self.graph.output} | subgraph_reads(self.graph)

    def constant(self, name):
        """The value of a constant tensor (initializer or Constant node), else None (also for a
        weight whose data is bound at load: an external initializer is no constant here)."""
        if name in self.initializers:
            tensor = self.initializers[name]
            return None if tensor.data_location == onnx.TensorProto.EXTERNAL else numpy_helper.to_array(tensor)
        node = self.producer.get(name)
        if node is not None and node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
        if node is not None and node.op_type == "Identity":
            return self.constant(node.input[0])
        return None

    def dims(self, name):
        """The shape of a constant tensor or of a weight bound at load (its declared dims), else None."""
        if name in self.initializers:
            return tuple(self.initializers[name].dims)
        value = self.constant(name)
        return None if value is None else value.shape

    def single_consumer(self, name):
        users = self.consumers.get(name, [])
        return users[0] if len(users) == 1 and name not in self.outputs else None


def subgraph_reads(graph):
    """Every value name read by a node inside a subgraph of `graph`'s nodes, at any depth."""
    names = set()
    for node in graph.node:
        for attr in node.attribute:
            for sub in list(attr.graphs) + ([attr.g] if attr.HasField("g") else []):
                names.update(i for n in sub.node for i in n.input)
                names |= subgraph_reads(sub)
    return names


def _key(node):
    """A node's identity: its outputs are unique in a graph (protobuf wrappers are not stable)."""
    return tuple(node.output)


def _perm(node):
    for a in node.attribute:
        if a.name == "perm":
            return list(a.ints)
    return None


def _scalar(g, node):
    """For Mul/Div by a constant scalar: (the other input, factor). Else None."""
    if node is None or node.op_type not in ("Mul", "Div"):
        return None
    for side in (1, 0) if node.op_type == "Mul" else (1,):
        value = g.constant(node.input[side])
        if value is not None and value.size == 1:
            factor = float(value.reshape(-1)[0])
            return node.input[1 - side], (factor if node.op_type == "Mul" else 1.0 / factor)
    return None


def _hidden_size(g, name):
    """The last dimension of a projection's output: the bias of Add(MatMul(x, W), b) or W itself."""
    node = g.producer.get(name)
    if node is not None and node.op_type == "Add":
        for side in (0, 1):
            bias = g.dims(node.input[side])
            if bias is not None and len(bias) == 1:
                return int(bias[0])
            inner = g.producer.get(node.input[side])
            if inner is not None and inner.op_type in ("MatMul", "FusedMatMul"):
                node = inner
                break
    if node is not None and node.op_type in ("MatMul", "FusedMatMul"):
        weight = g.dims(node.input[1])
        transposed = any(a.name == "transB" and a.i for a in node.attribute)
        if weight is not None and len(weight) == 2:
            return int(weight[0] if transposed else weight[1])
    return None


def _strip_scales(g, name):
    """Follows `name` back through Mul/Div by constant scalars. Returns (the value before them,
    their product, the nodes passed, that value's producer)."""
    factor, passed = 1.0, []
    node = g.producer.get(name)
    while (scaled := _scalar(g, node)) is not None:
        passed.append(node)
        name, f = scaled
        factor *= f
        node = g.producer.get(name)
    return name, factor, passed, node


def _heads_from_reshape(g, reshape):
    """(H, d) from the target shape of a Reshape to [B, S, H, d] (constant, or a Concat whose last
    two parts are constants); H = -1 is taken from the projection's width."""
    parts = None
    shape = g.constant(reshape.input[1])
    if shape is not None and shape.size == 4:
        parts = int(shape[2]), int(shape[3])
    concat = g.producer.get(reshape.input[1])
    if parts is None and concat is not None and concat.op_type == "Concat" and len(concat.input) == 4:
        h, d = g.constant(concat.input[2]), g.constant(concat.input[3])
        if h is not None and d is not None and h.size == 1 and d.size == 1:
            parts = int(h.reshape(-1)[0]), int(d.reshape(-1)[0])
    if parts is None or parts[1] <= 0:
        return None
    heads, head_size = parts
    if heads == -1:
        hidden = _hidden_size(g, reshape.input[0])
        if hidden is None or hidden % head_size:
            return None
        heads = hidden // head_size
    return (heads, head_size) if heads > 0 else None


def _projection(g, name, perm):
    """Follows `name` back through scale factors to Transpose(perm) of Reshape(x, [B, S, H, d]).
    Returns (x, H, d, factor, nodes passed) or None."""
    name, factor, passed, node = _strip_scales(g, name)
    if node is None or node.op_type != "Transpose" or _perm(node) != perm:
        return None
    passed.append(node)
    reshape = g.producer.get(node.input[0])
    if reshape is None or reshape.op_type != "Reshape":
        return None
    heads = _heads_from_reshape(g, reshape)
    if heads is None:
        return None
    # The Reshape stays: its (B, S, H, d) output is flattened to (B, S, H*d) for the fused node (the
    # projection itself may be of another rank, e.g. (B, h, w, C) in SAM3's ViT).
    return reshape.output[0], heads[0], heads[1], factor, passed


def _only_feeds(g, node, keys, depth=0):
    """Whether `node` is in `keys`, or is a shape computation whose every use ends in `keys`."""
    if _key(node) in keys:
        return True
    if depth > 8 or node.op_type not in ("Shape", "Gather", "Unsqueeze", "Concat", "Squeeze", "Cast", "Slice"):
        return False
    users = [u for o in node.output for u in g.consumers.get(o, [])]
    return bool(users) and all(_only_feeds(g, u, keys, depth + 1) for u in users)


def _heads_layout(g, name, transposed):
    """q or k given to the scores MatMul in the heads layout (B, H, S, d), e.g. after rotary
    embeddings: strips scale factors (and for k the (0, 1, 3, 2) transpose). Returns
    (tensor, factor, nodes passed) or None."""
    name, factor, passed, node = _strip_scales(g, name)
    if transposed:
        if node is None or node.op_type != "Transpose" or _perm(node) != [0, 1, 3, 2]:
            return None
        passed.append(node)
        name = node.input[0]
    return name, factor, passed


def fuse_attention(model):
    """Rewrites every matching attention in `model` (an onnx.ModelProto) in place. Returns the count."""
    g = _Graph(model)
    removed, added, count = set(), {}, 0
    for softmax in list(g.graph.node):
        if softmax.op_type != "Softmax":
            continue
        axis = next((a.i for a in softmax.attribute if a.name == "axis"), -1)
        if axis not in (-1, 3):
            continue
        # Softmax input: q @ k, possibly scaled.
        _, factor, chain, node = _strip_scales(g, softmax.input[0])
        if node is None or node.op_type != "MatMul":
            continue
        qk = node
        av = g.single_consumer(softmax.output[0])
        if av is None or av.op_type != "MatMul" or av.input[0] != softmax.output[0]:
            continue
        v = _projection(g, av.input[1], [0, 2, 1, 3])
        if v is None or v[3] != 1.0:
            continue
        heads, head_size = v[1], v[2]
        # q and k straight from their projections (B, S, H*d), or in the heads layout (B, H, S, d)
        # to be transposed back (rotary embeddings are applied there).
        q = _projection(g, qk.input[0], [0, 2, 1, 3])
        k = _projection(g, qk.input[1], [0, 2, 3, 1])
        q_heads = _heads_layout(g, qk.input[0], transposed=False) if q is None else None
        k_heads = _heads_layout(g, qk.input[1], transposed=True) if k is None else None
        if (q is None and q_heads is None) or (k is None and k_heads is None):
            continue
        if (q is not None and (q[1], q[2]) != (heads, head_size)) or (k is not None and (k[1], k[2]) != (heads, head_size)):
            continue
        # av → [Reshape to the same 4-D shape] → Transpose(0, 2, 1, 3) → Reshape (to B, S, H*d or
        # another shape of the same data): the fused node feeds that last Reshape.
        after = [n for n in g.consumers.get(av.output[0], []) if n.op_type != "Shape"]
        tail = []
        if len(after) == 1 and after[0].op_type == "Reshape":
            tail.append(after[0])
            after = [n for n in g.consumers.get(after[0].output[0], []) if n.op_type != "Shape"]
        if len(after) != 1 or after[0].op_type != "Transpose" or _perm(after[0]) != [0, 2, 1, 3]:
            continue
        tail.append(after[0])
        after = [n for n in g.consumers.get(after[0].output[0], []) if n.op_type != "Shape"]
        if len(after) != 1 or after[0].op_type != "Reshape" or after[0].input[0] != tail[-1].output[0]:
            continue
        out_r = after[0]
        # Every intermediate may be read only inside the pattern (Shape reads included: they must
        # only feed the pattern's own nodes, not the final Reshape's target shape).
        inner = chain + [qk, softmax, av] + tail + v[4] + (q[4] if q else q_heads[2]) + (k[4] if k else k_heads[2])
        keys = {_key(n) for n in inner}
        if any(o in g.outputs for n in inner for o in n.output):
            continue
        if not all(_only_feeds(g, u, keys) or (u is out_r and u.input[1] != n.output[0])
                   for n in inner for u in g.consumers.get(n.output[0], [])):
            continue
        base = (softmax.name.replace("Softmax", "MultiHeadAttention") or "MultiHeadAttention") + f"_{count}"
        new_nodes = []

        def flatten(tensor, label, transpose):
            """(B, S, H, d) to (B, S, H*d), from (B, H, S, d) first when `transpose`."""
            flat = helper.make_tensor(f"{base}_{label}_shape", onnx.TensorProto.INT64, [3], [0, 0, -1])
            g.graph.initializer.append(flat)
            if transpose:
                new_nodes.append(helper.make_node("Transpose", [tensor], [f"{base}_{label}_bshd"],
                                                  name=f"{base}_{label}_transpose", perm=[0, 2, 1, 3]))
                tensor = f"{base}_{label}_bshd"
            new_nodes.append(helper.make_node("Reshape", [tensor, flat.name], [f"{base}_{label}_bsd"],
                                              name=f"{base}_{label}_reshape"))
            return f"{base}_{label}_bsd"
        q_in, q_factor = (flatten(q[0], "query", False), q[3]) if q else (flatten(q_heads[0], "query", True), q_heads[1])
        k_in, k_factor = (flatten(k[0], "key", False), k[3]) if k else (flatten(k_heads[0], "key", True), k_heads[1])
        v_in = flatten(v[0], "value", False)
        scale = factor * q_factor * k_factor
        new_nodes.append(helper.make_node(
            "MultiHeadAttention", [q_in, k_in, v_in], [base + "_output"], name=base, domain="com.microsoft",
            num_heads=heads, scale=float(np.float32(scale))))
        out_r.input[0] = base + "_output"
        added[_key(out_r)] = new_nodes
        removed.update(keys)
        count += 1
    if not count:
        return 0
    # Rebuild the node list in order: each fused block goes right before the Reshape it feeds.
    nodes = []
    for n in g.graph.node:
        if _key(n) in removed:
            continue
        nodes.extend(added.get(_key(n), []))
        nodes.append(n)
    del g.graph.node[:]
    g.graph.node.extend(nodes)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    drop_unused(model)
    return count


def drop_unused(model):
    """Removes nodes whose outputs nothing reads any more (the scale constants and shape chains)."""
    graph = model.graph
    while True:
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output} | subgraph_reads(graph)
        keep = [n for n in graph.node if any(o in used for o in n.output) or not n.output]
        if len(keep) == len(graph.node):
            break
        del graph.node[:]
        graph.node.extend(keep)
    used = {i for n in graph.node for i in n.input} | subgraph_reads(graph)
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)


if __name__ == "__main__":
    import sys

    m = onnx.load(sys.argv[1])
    print("fused", fuse_attention(m), "attention blocks")
    onnx.save(m, sys.argv[2])
