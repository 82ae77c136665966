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
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import DINOv3Wrapper, image_size_from_processor  # noqa: E402

# Fields that never change a graph: names, labels, bookkeeping, training-only settings.
IGNORED = {"_name_or_path", "architectures", "dtype", "torch_dtype", "transformers_version", "id2label", "label2id",
           "initializer_range", "drop_path_rate", "attention_dropout", "hidden_dropout_prob", "out_features",
           "out_indices", "stage_names", "use_cache", "return_dict", "output_hidden_states", "output_attentions"}

OUTPUT_NAMES = {"dinov3": ["last_hidden_state", "pooler_output"]}


def fingerprint(config):
    """The fields config.json carries (save_pretrained drops those equal to the generic defaults),
    and the config class's default of each: a checkpoint's config.json written by another
    transformers version may omit a field, which then has its default."""
    fields = {key: value for key, value in sorted(config.to_diff_dict().items())
              if key not in IGNORED and not key.startswith("_")}
    defaults = type(config)().to_dict()
    return fields, {key: defaults[key] for key in fields if key in defaults}


def randomized(model, seed, std):
    """Every weight drawn at random, so that no two are equal: the exporter merges initializers of
    equal values (all-ones norms, zero biases at init), which would leave one graph name for
    several checkpoint keys."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, std)
    return model


def build(family, config_path):
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(config_path)
    model = randomized(AutoModel.from_config(config).eval(), seed=0, std=0.02)
    if family == "dinov3":
        return config, model, DINOv3Wrapper(model).eval()
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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("family", choices=sorted(OUTPUT_NAMES))
    parser.add_argument("config")
    parser.add_argument("output")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()
    config, model, wrapper = build(args.family, args.config)
    h, w = image_size_from_processor(os.path.dirname(os.path.abspath(args.config)))
    example = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(1))
    os.makedirs(args.output, exist_ok=True)
    traced = os.path.join(args.output, "traced.onnx")
    names = OUTPUT_NAMES[args.family]
    with torch.no_grad():
        torch.onnx.export(wrapper, (example,), traced, opset_version=args.opset, dynamo=False, do_constant_folding=False,
                          input_names=["pixel_values"], output_names=names,
                          dynamic_axes={"pixel_values": {0: "batch_size"}, **{n: {0: "batch_size"} for n in names}})
        expected = [t.numpy() for t in wrapper(example)]
    graph, stripped, kept, missing, memory_key = strip(traced, model, "model.")
    os.remove(traced)
    if missing:
        print(f"  checkpoint keys the forward pass does not use (not bound): {missing}")
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
    for name, got, want in zip(names, session.run(names, {"pixel_values": example.numpy()}), expected):
        diff = float(np.max(np.abs(got - want)))
        print(f"  {name}: max |bound graph - torch| = {diff:.2e}")
        if diff > args.tolerance * max(1.0, float(np.max(np.abs(want)))):
            sys.exit(f"graph-only check failed: {name} differs by {diff}")
    print(f"wrote {path}: {len(stripped)} weights bound at load, {len(kept)} constants kept "
          f"({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
