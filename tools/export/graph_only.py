"""Writes a graph WITHOUT weights for one architecture configuration, for the server to bind a
checkpoint's safetensors to at load (issue 26: the exporter makes graphs, the server binds weights).

    python3 tools/export/graph_only.py dinov3 <config.json> <output_folder> [--opset 17]

The model is built from the config with random weights and traced with constant folding off, so
every weight stays an initializer of its own; each initializer named by a state-dict key (the
key `save_pretrained` writes to model.safetensors) is turned into external data that is never
shipped: the graph holds the computation, the checkpoint the numbers. Buffers that are not in the
checkpoint (non-persistent ones such as RoPE tables) stay in the graph. Written beside the graph:
fingerprint.json, the config fields the graph was made for (every field but the ones that cannot
change a graph: ids, labels, dtype, versions), which the server matches a checkpoint's config.json
against. Checked before writing: the weightless graph, with the model's own weights bound through
onnxruntime's add_external_initializers, gives PyTorch's outputs.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import DepthAnythingWrapper, DINOv3Wrapper, image_size_from_processor  # noqa: E402

# Fields that never change a graph: names, labels, bookkeeping, training-only settings.
IGNORED = {"_name_or_path", "architectures", "dtype", "torch_dtype", "transformers_version", "id2label", "label2id",
           "initializer_range", "drop_path_rate", "attention_dropout", "hidden_dropout_prob",
           "attention_probs_dropout_prob", "out_features", "stage_names", "use_cache", "return_dict",
           "output_hidden_states", "output_attentions", "problem_type", "chunk_size_feed_forward", "is_encoder_decoder"}
# Ignored at the top level only: a model's own backbone outputs; a nested backbone's out_indices
# choose the layers its head reads.
TOP_LEVEL_IGNORED = {"out_indices"}

OUTPUT_NAMES = {"dinov3": ["last_hidden_state", "pooler_output"], "depth_anything": ["predicted_depth"]}


def fingerprint(config):
    """The fields config.json carries (save_pretrained drops those equal to the generic defaults),
    and the config class's default of each: a checkpoint's config.json written by another
    transformers version may omit a field, which then has its default."""
    from transformers import PretrainedConfig

    fields, defaults = {}, {}

    def walk(cfg, prefix):
        own = cfg.to_diff_dict()
        class_defaults = type(cfg)().to_dict()
        for key, value in sorted(own.items()):
            if key in IGNORED or key.startswith("_") or (not prefix and key in TOP_LEVEL_IGNORED):
                continue
            nested = getattr(cfg, key, None)
            if isinstance(nested, PretrainedConfig):
                walk(nested, prefix + key + ".")
                continue
            fields[prefix + key] = value
            if key in class_defaults and not isinstance(class_defaults[key], dict):
                defaults[prefix + key] = class_defaults[key]

    walk(config, "")
    return fields, defaults


def randomized(model, seed, std):
    """Every weight drawn at random, so that no two are equal: the exporter merges initializers of
    equal values (all-ones norms, zero biases at init), which would leave one graph name for
    several checkpoint keys. Matrices and kernels ~ N(0, 1/fan_in) keep activations alive through
    deep stacks; scales (norm weights, layer scales) ~ 1 + N(0, std); other vectors ~ N(0, std)."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() >= 2:
                fan_in = max(1, parameter[0].numel())
                parameter.normal_(0.0, fan_in ** -0.5)
            elif any(part in name for part in ("norm", "lambda", "gamma", "scale")) and name.endswith(("weight", "lambda1", "gamma")):
                parameter.normal_(1.0, std)
            else:
                parameter.normal_(0.0, std)
    return model


def build(family, config_path):
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(config_path)
    if family == "dinov3":
        model = randomized(AutoModel.from_config(config).eval(), seed=0, std=0.02)
        return config, model, DINOv3Wrapper(model).eval()
    if family == "depth_anything":
        from transformers import AutoModelForDepthEstimation

        model = randomized(AutoModelForDepthEstimation.from_config(config).eval(), seed=0, std=0.02)
        return config, model, DepthAnythingWrapper(model).eval()
    sys.exit(f"graph-only export of {family} is not written yet")


def saved_keys(model):
    """In-memory state-dict key → the key save_pretrained writes (transformers renames some on save,
    e.g. DINOv3's `model.layer.N` → `layer.N`), found by value: every weight is distinct."""
    import tempfile

    from safetensors.numpy import load_file

    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder)
        saved = {}
        for name in sorted(os.listdir(folder)):
            if name.endswith(".safetensors"):
                saved.update(load_file(os.path.join(folder, name)))
    by_bytes = {}
    for key, value in saved.items():
        by_bytes.setdefault((value.dtype.str, value.shape, value.tobytes()), []).append(key)
    mapping = {}
    for key, value in model.state_dict().items():
        array = value.detach().contiguous().numpy()
        found = by_bytes.get((array.dtype.str, array.shape, array.tobytes()))
        if found:
            mapping[key] = found[0]
    return mapping, set(saved)


def strip(path, model, prefix):
    """Every initializer named `<prefix><state-dict key>` becomes the external tensor named by the
    key save_pretrained writes for it."""
    mapping, saved = saved_keys(model)
    graph = onnx.load(path)
    stripped, kept = [], []
    renames = {}
    for tensor in graph.graph.initializer:
        memory_key = tensor.name[len(prefix):] if tensor.name.startswith(prefix) else tensor.name
        key = mapping.get(memory_key)
        if key is None:
            kept.append(tensor.name)
            continue
        if tensor.data_type != onnx.TensorProto.FLOAT:
            sys.exit(f"weight {key} is not float32 in the graph")
        renames[tensor.name] = key
        tensor.name = key
        tensor.ClearField("raw_data")
        tensor.ClearField("float_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        del tensor.external_data[:]
        for k, v in (("location", "checkpoint-bound-at-load"), ("offset", "0"),
                     ("length", str(4 * int(np.prod(tensor.dims))))):
            entry = tensor.external_data.add()
            entry.key, entry.value = k, v
        stripped.append(key)
    for node in graph.graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
    missing = sorted(saved - set(stripped))
    inverse = {saved_key: memory_key for memory_key, saved_key in mapping.items()}
    return graph, stripped, kept, missing, inverse


def fold_weight_transposes(graph):
    """`MatMul(x, Transpose(W))` with W a bound weight becomes `FusedMatMul(x, W, transB=1)`
    (onnxruntime's contrib op): the weight is read in the checkpoint's own layout, so ONNX Runtime
    does not fold a transposed copy of it at every load. Returns how many were rewritten."""
    weights = {t.name for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL}
    consumers = {}
    for node in graph.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    removed, rewritten = [], 0
    for node in graph.graph.node:
        if node.op_type != "Transpose" or node.input[0] not in weights:
            continue
        perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
        users = consumers.get(node.output[0], [])
        if perm != [1, 0] or not users or any(u.op_type != "MatMul" or u.input[1] != node.output[0] for u in users):
            continue
        for user in users:
            user.op_type = "FusedMatMul"
            user.domain = "com.microsoft"
            user.input[1] = node.input[0]
            user.attribute.extend([onnx.helper.make_attribute("transB", 1), onnx.helper.make_attribute("alpha", 1.0)])
            rewritten += 1
        removed.append(node)
    for node in removed:
        graph.graph.node.remove(node)
    if rewritten and not any(o.domain == "com.microsoft" for o in graph.opset_import):
        graph.opset_import.append(onnx.helper.make_opsetid("com.microsoft", 1))
    return rewritten


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("family", choices=sorted(OUTPUT_NAMES))
    parser.add_argument("config")
    parser.add_argument("output")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    config, model, wrapper = build(args.family, args.config)
    names = OUTPUT_NAMES[args.family]
    if args.family == "depth_anything":
        # Any image size (multiples of 14): checked on three, the last the size a 640x480 image is served at.
        shapes = [(1, 3, 98, 126), (2, 3, 140, 84), (1, 3, 518, 686)]
        axes = {"pixel_values": {0: "batch_size", 2: "height", 3: "width"},
                "predicted_depth": {0: "batch_size", 1: "height", 2: "width"}}
    else:
        h, w = image_size_from_processor(os.path.dirname(os.path.abspath(args.config)))
        shapes = [(2, 3, h, w)]
        axes = {"pixel_values": {0: "batch_size"}, **{n: {0: "batch_size"} for n in names}}
    examples = [torch.randn(*shape, generator=torch.Generator().manual_seed(1)) for shape in shapes]

    def run(x):
        out = wrapper(x)
        return [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]

    os.makedirs(args.output, exist_ok=True)
    # Traced into a scratch folder: a model over 2 GB is written with one external-data file per
    # tensor beside the graph, and none of them belongs in the output.
    scratch = tempfile.mkdtemp(prefix="graph-only-")
    traced = os.path.join(scratch, "traced.onnx")
    with torch.no_grad():
        torch.onnx.export(wrapper, (examples[0],), traced, opset_version=args.opset, dynamo=False,
                          do_constant_folding=False, input_names=["pixel_values"], output_names=names, dynamic_axes=axes)
        expected = [run(x) for x in examples]
    if all(float(np.std(out)) == 0.0 for outs in expected for out in outs):
        sys.exit("the model's outputs are constant on the examples: the check would prove nothing")
    graph, stripped, kept, missing, memory_key = strip(traced, model, "model.")
    shutil.rmtree(scratch, ignore_errors=True)
    foreign = [t.name for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
               and any(e.key == "location" and e.value != "checkpoint-bound-at-load" for e in t.external_data)]
    if foreign:
        sys.exit(f"initializers would point at files that are not shipped: {foreign[:5]}")
    if missing:
        print(f"  checkpoint keys the forward pass does not use (not bound): {missing}")
    folded = fold_weight_transposes(graph)
    if folded:
        print(f"  {folded} MatMul(x, Transpose(W)) read W as stored (FusedMatMul transB)")
    path = os.path.join(args.output, "model.onnx")
    onnx.save(graph, path)
    fields, defaults = fingerprint(config)
    with open(os.path.join(args.output, "fingerprint.json"), "w") as f:
        json.dump({"name": os.path.basename(os.path.normpath(args.output)), "family": args.family,
                   "architecture": (config.architectures or [type(model).__name__])[0],
                   "fields": fields, "defaults": defaults}, f, indent=1, sort_keys=True)

    # The check: the weightless graph with this model's weights bound gives PyTorch's outputs.
    import onnxruntime as ort

    state = model.state_dict()
    options = ort.SessionOptions()
    values = [ort.OrtValue.ortvalue_from_numpy(state[memory_key[k]].detach().contiguous().numpy()) for k in stripped]
    options.add_external_initializers(stripped, values)
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    for x, want_all in zip(examples, expected):
        for name, got, want in zip(names, session.run(names, {"pixel_values": x.numpy()}), want_all):
            diff = float(np.max(np.abs(got - want)))
            print(f"  {name} {list(x.shape)}: max |bound graph - torch| = {diff:.2e}")
            if got.shape != want.shape or diff > args.tolerance * max(1.0, float(np.max(np.abs(want)))):
                sys.exit(f"graph-only check failed: {name} differs by {diff}")
    print(f"wrote {path}: {len(stripped)} weights bound at load, {len(kept)} constants kept "
          f"({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
