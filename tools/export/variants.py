"""After an export: fuse each graph for ONNX Runtime and write the requested variants beside it.

- Fusion: sdpa attention into MultiHeadAttention (attention_fusion.py), then ONNX Runtime's
  transformer optimiser (onnxruntime.transformers.optimizer: LayerNorm, SkipLayerNorm, GELU, bias
  adds) for the family's model types. A step is kept only if its graph passes every export check
  recorded for the graph (checks.py: the same inputs, PyTorch outputs and tolerance) and is not
  slower. The fused graph uses only portable rewrites (contrib operators with CPU and CUDA
  kernels, no CPU-specific layouts), so it serves on CPU and CUDA alike.
- `quantized` (`<graph>_quantized.onnx`): int8 dynamic quantization of the weight MatMuls and Gemms
  (weights int8 per tensor, activations quantized at run time), the onnx-community naming.
- `fp16` (`<graph>_fp16.onnx`): weights and compute in float16, inputs and outputs kept float32.
- `int8` (`<graph>_int8.onnx`): static, calibrated int8 (QDQ) from the unfused graph: int8_static.py.

What each step gained (run time with ONNX Runtime's defaults, fastest of `runs`, the graphs before
and after a step timed alternately) and each variant's
accuracy against PyTorch (on the recorded checks' inputs) is returned for vision_models_api.json.
"""
import os
import shutil
import sys
import tempfile
import time

import checks

# Model types of onnxruntime.transformers.optimizer to try per family, in order.
FUSION_TYPES = {
    "dinov3": ["vit"],
    "depth_anything": ["vit"],
    "depth_anything_3": ["vit"],
    "grounding_dino": ["bert", "swin"],
    "sam3": ["vit", "clip"],
    "image_classification": ["vit"],
}
KNOWN_VARIANTS = ("quantized", "fp16", "int8")
TWO_GB = 2 << 30


def _size(path):
    total = os.path.getsize(path)
    folder, base = os.path.split(os.path.abspath(path))
    for name in os.listdir(folder):
        if name != base and name.startswith(base) and (name.startswith(base + "_data") or name.startswith(base + ".data")):
            total += os.path.getsize(os.path.join(folder, name))
    return total


def _remove_external_data(path):
    """Deletes the `<name>.onnx_data*` files a previous graph at `path` left."""
    folder = os.path.dirname(os.path.abspath(path))
    for old in os.listdir(folder):
        if old.startswith(os.path.basename(path) + "_data"):
            os.remove(os.path.join(folder, old))


def _save(model_proto, path):
    """Saves with the weights in `<name>.onnx_data` when the graph would pass protobuf's 2 GB, and
    declares every operator domain the nodes use (the optimiser's fusions do not always)."""
    import onnx

    declared = {o.domain for o in model_proto.opset_import}
    for domain in sorted({n.domain for n in model_proto.graph.node} - declared - {"", "ai.onnx"}):
        model_proto.opset_import.append(onnx.helper.make_opsetid(domain, 1))

    weights = sum(t.ByteSize() for t in model_proto.graph.initializer)
    external = weights > TWO_GB - (64 << 20)
    _remove_external_data(path)
    onnx.save_model(model_proto, path, save_as_external_data=external, all_tensors_to_one_file=True,
                    location=os.path.basename(path) + "_data")


def _move(src, dst):
    """Moves a graph and its external data (same base name) over `dst`."""
    folder = os.path.dirname(src)
    base = os.path.basename(src)
    _remove_external_data(dst)
    for name in os.listdir(folder):
        if name.startswith(base):
            shutil.move(os.path.join(folder, name), os.path.join(os.path.dirname(dst), os.path.basename(dst) + name[len(base):]))


def _runner(path, feeds):
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    feeds = {k: v for k, v in feeds.items() if k in wanted}
    session.run(None, feeds)

    def run():
        start = time.perf_counter()
        session.run(None, feeds)
        return 1000 * (time.perf_counter() - start)
    return run


def time_graph(path, feeds, runs):
    """Fastest of `runs` runs (after one warm-up), milliseconds, ONNX Runtime's default settings."""
    run = _runner(path, feeds)
    return min(run() for _ in range(runs))


def time_pair(before, after, feeds, runs):
    """Both graphs timed alternately, run by run (a shared machine's slow spells hit both), each the
    fastest of `runs`: (before ms, after ms)."""
    a, b = _runner(before, feeds), _runner(after, feeds)
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(a())
        times_b.append(b())
    return min(times_a), min(times_b)


def timing_feeds(path):
    """The inputs graphs are timed on: the largest recorded check's (the export checks end on a
    serving-size input)."""
    return max(checks.recorded(path), key=lambda c: sum(v.size for v in c.feeds.values())).feeds


def _passes(path, original):
    """Whether `path` passes every check recorded for `original`."""
    recorded = checks.recorded(original)
    if not recorded:
        return False
    try:
        for check in recorded:
            check.compare(path, check.feeds, check.expected)
    except SystemExit as failure:
        print(f"    failed: {failure}")
        return False
    except Exception as failure:  # a rewritten graph ONNX Runtime refuses to run fails its checks
        print(f"    failed to run: {type(failure).__name__}: {str(failure)[:300]}")
        return False
    return True


def _attention_step(src, dst):
    import onnx

    import attention_fusion

    model = onnx.load(src)
    count = attention_fusion.fuse_attention(model)
    if not count:
        return None
    _save(model, dst)
    return {"MultiHeadAttention": count}


def _optimizer_step(model_type):
    def step(src, dst):
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(src, model_type=model_type, num_heads=0, hidden_size=0, opt_level=0, use_gpu=False)
        fused = {k: v for k, v in optimized.get_fused_operator_statistics().items() if v}
        if not fused:
            return None
        _save(optimized.model, dst)
        return fused
    return step


def fuse(path, family, runs, attention_only=False):
    """Replaces `path` by its fused form. Steps, each on the previous step's result: the attention
    fusion (attention_fusion.py), then ONNX Runtime's transformer optimiser for each of the
    family's model types. A step is kept when its graph passes every export check recorded for
    `path` and is not slower (within 3 %; 10 % for the attention fusion, which bounds memory at long
    sequences) when both graphs are timed alternately on a serving-size input.
    Returns the report: each step's fused operators, check result and time."""
    recorded = checks.recorded(path)
    if not recorded:
        return {"fused": False, "reason": "no recorded export check"}
    feeds = timing_feeds(path)
    current, current_ms = path, time_graph(path, feeds, runs)
    report = {"plain_ms": round(current_ms, 2), "steps": []}
    speedup = 1.0
    steps = [("attention", _attention_step)] + ([] if attention_only else [
        (f"ort_transformer_optimizer:{t}", _optimizer_step(t)) for t in FUSION_TYPES.get(family, [])])
    scratch = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(path)))
    try:
        for index, (name, step) in enumerate(steps):
            candidate = os.path.join(scratch, str(index), os.path.basename(path))
            os.makedirs(os.path.dirname(candidate))
            print(f"  {os.path.basename(path)}: {name}")
            entry = {"step": name}
            try:
                fused = step(current, candidate)
            except Exception as error:  # the optimiser rejects some graphs outright
                entry["result"] = f"failed: {type(error).__name__}: {error}"[:300]
                report["steps"].append(entry)
                continue
            if not fused:
                entry["result"] = "nothing to fuse"
                report["steps"].append(entry)
                continue
            entry["fused_operators"] = fused
            if not _passes(candidate, path):
                entry["result"] = "rejected: fails the export checks"
                report["steps"].append(entry)
                continue
            before_ms, ms = time_pair(current, candidate, feeds, runs)
            entry.update({"before_ms": round(before_ms, 2), "ms": round(ms, 2), "gain": round(before_ms / ms, 3)})
            # The attention fusion is what bounds memory at long sequences (SAM3 at 1008 px: 9.7 GB peak
            # unfused, 6.1 GB fused), so it is kept unless clearly slower; other steps only if not slower.
            kept = ms <= (1.10 if name == "attention" else 1.03) * before_ms
            entry["result"] = "kept" if kept else "rejected: slower"
            print(f"    {fused}; {ms:.1f} ms after, {before_ms:.1f} ms before: {entry['result']}")
            report["steps"].append(entry)
            if kept:
                current, current_ms = candidate, ms
                speedup *= entry["gain"]
        if current != path:
            _move(current, path)
        report.update({"fused": current != path, "fused_ms": round(current_ms, 2),
                       "speedup": round(speedup, 3)})  # the product of the kept steps' paired gains
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report


def variant_path(path, variant):
    root, ext = os.path.splitext(path)
    return f"{root}_{variant}{ext}"


def quantize(path, out):
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Fused operators (com.microsoft) stop ONNX shape inference; their outputs are float32.
    quantize_dynamic(path, out, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
                     per_channel=False, use_external_data_format=_size(path) > TWO_GB - (64 << 20),
                     extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT})


def to_fp16(path, out):
    import onnx
    from onnxruntime.transformers.onnx_model import OnnxModel

    model = OnnxModel(onnx.load(path))
    model.convert_float_to_float16(keep_io_types=True)
    _save(model.model, out)


def write_int8(path, plain, runs):
    """The calibrated int8 variant of `path` from its unfused copy `plain`, timed against `path`."""
    import int8_static

    out = variant_path(path, "int8")
    print(f"  writing {os.path.basename(out)} (calibrated)")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(path)))
    report, feeds = int8_static.quantize(plain, timing_feeds(path), out, repo, runs, _save, time_pair, _move)
    report.update({"file": os.path.relpath(out, repo), "bytes": _size(out),
                   "accuracy_vs_pytorch": {str(k): v for k, v in checks.accuracy(out, path).items()}})
    fp32_ms, ms = time_pair(path, out, feeds, runs)
    report.update({"cpu_ms": round(ms, 2), "fp32_ms": round(fp32_ms, 2), "cpu_speedup_vs_fp32": round(fp32_ms / ms, 3)})
    print(f"    {report}")
    return report


def write_variant(path, variant, runs, plain_ms):
    out = variant_path(path, variant)
    print(f"  writing {os.path.basename(out)}")
    (quantize if variant == "quantized" else to_fp16)(path, out)
    report = {"file": os.path.relpath(out, os.path.dirname(os.path.dirname(out))), "bytes": _size(out)}
    try:
        report["accuracy_vs_pytorch"] = {str(k): v for k, v in checks.accuracy(out, path).items()}
        ms = time_graph(out, timing_feeds(path), runs)
        report["cpu_ms"] = round(ms, 2)
        if plain_ms:
            report["cpu_speedup_vs_fp32"] = round(plain_ms / ms, 3)
    except Exception as error:  # fp16 operators without CPU kernels: the graph is for GPUs
        report["cpu_check"] = f"not run on CPU: {type(error).__name__}: {error}"[:300]
    print(f"    {report}")
    return report


def finish(dst, family, variants, fusion="all", runs=3):
    """Fuses every checked graph under `dst/onnx` (fusion: all, attention or none) and writes the
    variants. Returns the report."""
    unknown = [v for v in variants if v not in KNOWN_VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {unknown}; known: {', '.join(KNOWN_VARIANTS)}")
    onnx_dir = os.path.join(dst, "onnx")
    report = {}
    for name in sorted(os.listdir(onnx_dir)):
        path = os.path.join(onnx_dir, name)
        if not name.endswith(".onnx") or not checks.recorded(path):
            continue
        entry = {"bytes": _size(path)}
        # The int8 variant is made from the unfused graph (fused operators hide the weight layers).
        scratch = tempfile.mkdtemp(dir=onnx_dir) if "int8" in variants else None
        plain = None
        if scratch:
            plain = os.path.join(scratch, name)
            for extra in os.listdir(onnx_dir):
                if extra.startswith(name) and os.path.isfile(os.path.join(onnx_dir, extra)):
                    shutil.copy(os.path.join(onnx_dir, extra), os.path.join(scratch, extra))
        try:
            if fusion != "none":
                entry["fusion"] = fuse(path, family, runs, attention_only=fusion == "attention")
            plain_ms = (entry.get("fusion") or {}).get("fused_ms") or (entry.get("fusion") or {}).get("plain_ms")
            entry["variants"] = {v: write_int8(path, plain, runs) if v == "int8" else write_variant(path, v, runs, plain_ms)
                                 for v in variants}
        finally:
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
        report[name] = entry
    return report
