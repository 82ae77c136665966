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

from attention_fusion import drop_unused


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
        drop_unused(model)  # the Expand and its shape arithmetic now feed nothing
    return dropped
