"""The `int8` variant: static, calibrated int8 in ONNX's QDQ form (`<graph>_int8.onnx`).

- Calibration: the graph's largest recorded export check (checks.py) gives every input; each
  image input (float, [B, 3, H, W]) is replaced by synthetic real-looking pictures (smooth colour
  fields, flat shapes with hard edges, sensor-like noise; no download) normalised with the
  repository's mean and std, `CALIBRATION_IMAGES` of them. Activation ranges are their min/max.
- Quantized: the weight layers (MatMul and Gemm with a constant weight, Conv), weights int8 per
  output channel in 7 bits (reduce_range: no int16 saturation on x86 CPUs without VNNI),
  activations uint8 (u8s8, the form x86 int8 kernels run). Kept in fp32: matrix
  products of two activations (attention's scores and mixing: their softmax in int8 costs more than
  it saves and loses the most), the first weight layer on each image input (it sees raw pixels)
  and the last weight layer before each output (it writes the answer).
- Then the attention fusion (attention_fusion.py) on the int8 graph, kept when faster.

Reported per graph: size, speed against the fp32 graph (timed alternately), and the error against
the fp32 graph on held-out synthetic pictures (per output: mean |int8 - fp32| over the output's
range, worst relative error, lowest cosine), beside the usual accuracy against PyTorch.
"""
import os
import shutil
import tempfile

import numpy as np

import checks
from processor_config import image_processor_config

CALIBRATION_IMAGES = 8
HELD_OUT_IMAGES = 3


def synthetic_picture(height, width, rng):
    """A real-looking RGB picture (uint8 HxWx3): a smooth colour field, 3-7 flat ellipses and
    rectangles with hard edges, and noise."""
    from PIL import Image, ImageDraw

    field = Image.fromarray((rng.random((6, 8, 3)) * 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
    draw = ImageDraw.Draw(field)
    for _ in range(int(rng.integers(3, 8))):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        box = [x0, y0, x0 + int(rng.integers(width // 16 + 1, width // 2 + 2)), y0 + int(rng.integers(height // 16 + 1, height // 2 + 2))]
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    noisy = np.asarray(field, np.float32) + rng.normal(0, 6, (height, width, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _normalisation(repo):
    """The repository's image mean and std (preprocessor_config.json or processor_config.json)."""
    config = image_processor_config(repo)
    mean, std = config.get("image_mean"), config.get("image_std")
    if mean and std:
        return np.asarray(mean, np.float32), np.asarray(std, np.float32)
    return np.asarray([0.485, 0.456, 0.406], np.float32), np.asarray([0.229, 0.224, 0.225], np.float32)


# Calibration keeps every activation of a run in memory (GroundingDINO at 800x1066 passed 23 GB):
# larger images are calibrated smaller, the aspect kept, in multiples of 224 (patch sizes 14, 16
# and 32 and Swin's windows divide it). Activation ranges barely depend on the resolution.
CALIBRATION_PIXELS = 640 * 640


def calibration_size(height, width):
    if height * width <= CALIBRATION_PIXELS:
        return height, width
    scale = (CALIBRATION_PIXELS / (height * width)) ** 0.5
    return max(224, int(height * scale) // 224 * 224), max(224, int(width * scale) // 224 * 224)


def _image_inputs(feeds):
    return [k for k, v in feeds.items() if v.dtype == np.float32 and v.ndim == 4 and v.shape[1] == 3]


def feed_sets(base, repo, count, seed):
    """`count` feeds for the graph: `base` (e.g. its largest export check's inputs), each image input
    a synthetic picture of the same size."""
    mean, std = _normalisation(repo)
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(count):
        feeds = dict(base)
        for name in _image_inputs(base):
            batch, _, original_height, original_width = base[name].shape
            height, width = calibration_size(original_height, original_width)
            pictures = [(synthetic_picture(height, width, rng).astype(np.float32) / 255 - mean) / std for _ in range(batch)]
            feeds[name] = np.stack([p.transpose(2, 0, 1) for p in pictures]).astype(np.float32)
            # A pixel mask of the image's size follows it (all pixels real).
            for other, value in base.items():
                if value.ndim == 3 and value.shape[1:] == (original_height, original_width) and value.dtype != np.float32:
                    feeds[other] = np.ones((value.shape[0], height, width), value.dtype)
        sets.append(feeds)
    return sets


def _kept_in_fp32(model):
    """Node names left unquantized: activation-by-activation products, the first weight layer on each
    image input, the last weight layer before each output."""
    graph = model.graph
    constants = {t.name for t in graph.initializer} | {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    weighted = {"MatMul", "Gemm", "Conv"}
    keep = [n.name for n in graph.node if n.op_type in ("MatMul", "Gemm") and n.input[1] not in constants]
    producers = {o: n for n in graph.node for o in n.output}
    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def reach(start, step):
        """The first weight layers met walking from `start` (names) through other nodes."""
        found, seen, frontier = [], set(), list(start)
        while frontier:
            name = frontier.pop()
            for node in step(name):
                if node.name in seen:
                    continue
                seen.add(node.name)
                if node.op_type in weighted and node.name not in keep:
                    found.append(node.name)
                elif step is forward:
                    frontier.extend(node.output)
                else:
                    frontier.extend(node.input[:1] if node.op_type in data_only else node.input)
        return found

    # Walks follow tensors, not shapes: Shape nodes end a walk, and of the ops that take shapes,
    # sizes or indices beside their data only the data input is followed.
    data_only = {"Reshape", "Resize", "Expand", "Slice", "Tile", "Pad", "Unsqueeze", "Squeeze", "Gather", "Split",
                 "ReduceMean", "ReduceSum", "TopK", "ConstantOfShape"}

    def forward(name):
        return [n for n in consumers.get(name, []) if n.op_type not in ("Shape", "Size")
                and (n.op_type not in data_only or n.input[0] == name)]

    def backward(name):
        node = producers.get(name)
        if node is None or node.op_type in ("Shape", "Size", "Constant"):
            return []
        return [node]

    image_inputs = [i.name for i in graph.input if len(i.type.tensor_type.shape.dim) == 4]
    keep += reach(image_inputs, forward)
    keep += reach([o.name for o in graph.output], backward)
    return sorted(set(keep))


def _error_vs_fp32(quantized, original, held_out):
    report = {}
    for feeds in held_out:
        for i, (a, b) in enumerate(zip(checks.run_graph(quantized, feeds), checks.run_graph(original, feeds))):
            a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
            finite = np.isfinite(a) & np.isfinite(b)
            a, b = a[finite], b[finite]
            if not b.size:
                continue
            span = max(1e-12, float(b.max() - b.min()))
            entry = report.setdefault(i, {"mean_error_of_range": 0.0, "max_relative_error": 0.0, "min_cosine": 1.0})
            entry["mean_error_of_range"] = max(entry["mean_error_of_range"], float(np.abs(a - b).mean() / span))
            entry["max_relative_error"] = max(entry["max_relative_error"],
                                              float(np.abs(a - b).max() / max(1e-12, float(np.abs(b).max()))))
            entry["min_cosine"] = min(entry["min_cosine"], float(np.dot(a, b) / max(1e-24, np.linalg.norm(a) * np.linalg.norm(b))))
    return {str(k): {m: round(v, 6) for m, v in e.items()} for k, e in report.items()}


def quantize(plain, base_feeds, out, repo, runs, save, time_pair, move, fusion="timed"):
    """Writes `out` from the unfused fp32 graph `plain`, calibrated on `base_feeds` with pictures for
    its images; returns the report and held-out feeds to time it on. `fusion`: "timed" keeps the
    attention fusion when faster, "always" keeps it (a reproducible file for fixtures)."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    import attention_fusion

    calibration = feed_sets(base_feeds, repo, CALIBRATION_IMAGES, seed=0)
    held_out = feed_sets(base_feeds, repo, HELD_OUT_IMAGES, seed=1000)
    model = onnx.load(plain, load_external_data=False)
    graph_inputs = {i.name for i in model.graph.input}
    keep = _kept_in_fp32(model)

    class Reader(CalibrationDataReader):
        """The calibration feeds, read a range at a time (ONNX Runtime's strided calibration)."""

        def __init__(self):
            self.set_range(0, len(calibration))

        def __len__(self):
            return len(calibration)

        def set_range(self, start_index, end_index):
            self.feeds = iter(calibration[start_index:end_index])

        def get_next(self):
            feeds = next(self.feeds, None)
            return None if feeds is None else {k: v for k, v in feeds.items() if k in graph_inputs}

    scratch = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(out)))
    try:
        staged = os.path.join(scratch, "int8.onnx")
        # reduce_range: weights in 7 bits. x86 CPUs without VNNI (AVX2, AVX-512 before VNNI) multiply
        # u8 by s8 with vpmaddubsw, whose int16 pair sums saturate with full-range weights: measured
        # on the Depth Anything fixture, 0.21 of the depth's scale off on an AVX2-only EPYC against
        # 0.074 on an AVX-512 VNNI one. A graph is exported once and served on any CPU.
        quantize_static(plain, staged, Reader(), quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["MatMul", "Gemm", "Conv"], nodes_to_exclude=keep,
                        calibrate_method=CalibrationMethod.MinMax,
                        extra_options={"QuantizeBias": False, "CalibMovingAverage": False,
                                       # ranges folded in after every image: one image's activations in memory
                                       "CalibStridedMinMax": 1})
        report = {"calibration_images": CALIBRATION_IMAGES, "kept_in_fp32": len(keep)}
        fused_model = onnx.load(staged)
        fused = attention_fusion.fuse_attention(fused_model)
        if fused:
            candidate = os.path.join(scratch, "int8_fused.onnx")
            save(fused_model, candidate)
            report["attention_fusion"] = {"MultiHeadAttention": fused}
            if fusion == "always":
                staged = candidate
            else:
                before, after = time_pair(staged, candidate, held_out[0], runs)
                report["attention_fusion"].update({"before_ms": round(before, 2), "ms": round(after, 2)})
                if after <= before:
                    staged = candidate
        move(staged, out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["error_vs_fp32_on_pictures"] = _error_vs_fp32(out, plain, held_out)
    return report, held_out[0]
