"""Drops the inputs of Concat nodes that are empty along the concatenated axis.

A model with no register tokens (DINOv3ViTConfig's num_register_tokens=0) traces to
Concat(cls, Expand(register_tokens[1, 0, D], [B, 1, 1]), patches): the middle input is empty, which
ONNX Runtime accepts but OpenVINO's shape inference refuses (it broadcasts the empty dimension to
1, then finds [?, 1, D] against [?, 1, 1]). Without it the graph computes the same tensors. An
input counts as empty when it is a constant with size 0 on the axis, or an Expand or Tile of one
(broadcasting keeps a 0-sized dimension 0 whatever the target shape's 1s say).
"""
import onnx
from onnx import numpy_helper

from attention_fusion import _subgraph_reads


def drop_empty_concat_inputs(model):
    """Rewrites `model` in place; returns how many inputs were dropped."""
    graph = model.graph
    constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant":
            for attribute in node.attribute:
                if attribute.name == "value":
                    constants[node.output[0]] = numpy_helper.to_array(attribute.t)
    producers = {o: n for n in graph.node for o in n.output}

    def empty_on(name, axis):
        value = constants.get(name)
        if value is not None:
            return value.ndim > 0 and value.shape[axis % value.ndim] == 0
        node = producers.get(name)
        return node is not None and node.op_type in ("Expand", "Tile") and empty_on(node.input[0], axis)

    dropped = 0
    for node in graph.node:
        if node.op_type != "Concat":
            continue
        axis = next(onnx.helper.get_attribute_value(a) for a in node.attribute if a.name == "axis")
        kept = [i for i in node.input if not empty_on(i, axis)]
        if kept and len(kept) < len(node.input):
            dropped += len(node.input) - len(kept)
            del node.input[:]
            node.input.extend(kept)
    if dropped:
        # Values read inside subgraphs (If bodies) are used too.
        used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output} | _subgraph_reads(graph)
        # Nodes left feeding nothing (the Expand and its shape arithmetic), until none is left.
        while True:
            unused = [n for n in graph.node if not any(o in used for o in n.output)]
            if not unused:
                break
            for n in unused:
                graph.node.remove(n)
            used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output} | _subgraph_reads(graph)
        for init in [t for t in graph.initializer if t.name not in used]:
            graph.initializer.remove(init)
    return dropped
