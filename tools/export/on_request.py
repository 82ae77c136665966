"""Makes some outputs of an ONNX graph computed only when asked for.

ONNX Runtime runs every node of a graph whatever outputs a caller fetches. `outputs_on_request`
moves the nodes that only those outputs need into the `then` branch of an `If` on a new bool input
(shape [1]); its `else` branch gives empty tensors of the same element type and rank. The other
outputs are computed exactly as before.
"""
import onnx
from onnx import TensorProto, helper


def _ancestors(nodes, names):
    """Indices of the nodes `names` depend on (producers, transitively)."""
    producer = {out: i for i, node in enumerate(nodes) for out in node.output}
    seen, stack = set(), [producer[n] for n in names if n in producer]
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        stack.extend(producer[v] for v in nodes[i].input if v in producer)
    return seen


def outputs_on_request(path, outputs, flag):
    """Rewrites the graph at `path`: `outputs` computed only when input `flag` is true."""
    model = onnx.load(path, load_external_data=False)  # weights stay where they are (giant's > 2 GB)
    graph = model.graph
    nodes = list(graph.node)
    wanted = set(outputs)
    others = [o.name for o in graph.output if o.name not in wanted]
    keep = _ancestors(nodes, others)
    branch = sorted(_ancestors(nodes, outputs) - keep)
    if not branch:
        raise SystemExit(f"{path}: {outputs} share all their nodes with the other outputs")
    declared = {o.name: o for o in graph.output}
    inner = {name: name + "_when_" + flag for name in outputs}
    then_nodes = []
    for i in branch:
        node = onnx.NodeProto()
        node.CopyFrom(nodes[i])
        node.output[:] = [inner.get(v, v) for v in node.output]
        then_nodes.append(node)
    then_outputs, else_nodes, else_outputs = [], [], []
    for name in outputs:
        kind = declared[name].type.tensor_type
        rank = len(kind.shape.dim)
        then_outputs.append(helper.make_tensor_value_info(inner[name], kind.elem_type, None))
        empty = helper.make_tensor(name + "_empty", kind.elem_type, [0] * rank, [])
        else_nodes.append(helper.make_node("Constant", [], [name + "_empty_" + flag], value=empty))
        else_outputs.append(helper.make_tensor_value_info(name + "_empty_" + flag, kind.elem_type, None))
    branch_if = helper.make_node(
        "If", [flag], list(outputs),
        then_branch=helper.make_graph(then_nodes, "when_" + flag, [], then_outputs),
        else_branch=helper.make_graph(else_nodes, "unless_" + flag, [], else_outputs))
    rest = [nodes[i] for i in range(len(nodes)) if i not in set(branch)]
    del graph.node[:]
    graph.node.extend(rest + [branch_if])
    graph.input.append(helper.make_tensor_value_info(flag, TensorProto.BOOL, [1]))
    # Shapes inside the branch are inferred again by the runtime.
    moved = {v for n in then_nodes for v in n.output}
    kept_info = [v for v in graph.value_info if v.name not in moved]
    del graph.value_info[:]
    graph.value_info.extend(kept_info)
    # Weights bound at load (graph_only.py) point at no file: the checker would look for it.
    bound_at_load = any(e.key == "location" and e.value == "checkpoint-bound-at-load"
                        for t in graph.initializer for e in t.external_data)
    if not bound_at_load:
        onnx.checker.check_model(model)
    onnx.save(model, path)
