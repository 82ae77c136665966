"""One table, one run, one machine: every family against PyTorch and against raw ONNX Runtime.

    bash tools/setup-venv.sh                               # once per machine
    swift build -c release --product vision-models-api
    ~/.venvs/vision-models-api/bin/python bench/table.py [--families dinov3,depth,grounding_dino,sam3]
        [--sam3 small|real] [--runs 5] [--work DIR]

For each family a real-size model with random weights (transformers' default configs; SAM3
`small` keeps the real widths with 4 ViT layers at 504 px, `real` is the 1008 px facebook/sam3
architecture) is exported by tools/export/export.py with `--variants quantized` (fused graphs, see
tools/export/variants.py), and one 640x480 JPEG is run through:

- PyTorch eager: the transformers pipeline, PIL decode + processor + model + post-processing
  (DINOv3: features; Depth Anything: post_process_depth_estimation; GroundingDINO:
  post_process_grounded_object_detection; SAM3: post_process_instance_segmentation), torch's
  default threads;
- raw ORT: the exported fp32 graph the server serves, in a plain onnxruntime session with
  ONNX Runtime's defaults (threads, arena, memory patterns), on the processor's tensors, model only;
- server fp32 / quantized: the Swift server end to end over HTTP (decode, preprocessing, inference,
  post-processing, JSON), `variant: "quantized"` for the int8 graphs.

Each system runs in its own process (a fresh server per row), warm-up first, then the median of
`--runs`; peak RSS is that process's high-water mark (the server's for server rows). The quantized
rows also report their accuracy against the fp32 server's answer. Results: stdout and
bench/out/table.md (not committed).
"""
import argparse
import base64
import datetime
import http.client
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402

FAMILIES = ["dinov3", "depth", "grounding_dino", "sam3"]
PROMPTS = ["a cat", "remote control"]
LABELS = {"dinov3": "DINOv3 ViT-S/16 (224x224)", "depth": "Depth Anything V2-small (518x686)",
          "grounding_dino": "GroundingDINO-tiny (800x1066, 2 phrases)", "sam3": "SAM3"}


# ---------------------------------------------------------------- building the models

def build(family, work, sam3_size, variants="quantized"):
    """Exports the family's model once per work folder; returns its description."""
    marker = os.path.join(work, f"built-{family}.json")
    if os.path.exists(marker):
        with open(marker) as f:
            return json.load(f)
    args = ["--variants", variants]
    if family == "sam3":
        # The attention fusion only: ONNX Runtime's optimiser takes tens of minutes on SAM3's graphs on
        # 2 cores (20 min for GroundingDINO's one), and attention is what bounds SAM3's memory. At real
        # size one timed run per step (the vision encoder takes ~30 s a run).
        args += ["--fusion", "attention"] + (["--timing-runs", "1"] if sam3_size == "real" else [])
    if family == "dinov3":
        _, built = bench.build_models(work, ["vit"], export_args=args)
        info = built["vit"]
    elif family == "depth":
        info = bench.build_depth_model(work, export_args=args)
    elif family == "grounding_dino":
        info = bench.build_grounding_dino_model(work, export_args=args)
    else:
        info = bench.build_sam3_model(work, sam3_size, export_args=args)
    export_report = os.path.join(os.path.dirname(info["onnx"].rstrip("/")), "..", "vision_models_api.json") \
        if info["onnx"].endswith(".onnx") else os.path.join(info["onnx"], "..", "vision_models_api.json")
    with open(os.path.normpath(export_report)) as f:
        info["export_report"] = json.load(f).get("optimization", {})
    with open(marker, "w") as f:
        json.dump(info, f)
    return info


# ---------------------------------------------------------------- one system, in its own process

def timed(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), times


def own_peak_mb():
    """This process's resident high-water mark (VmHWM: ru_maxrss would carry the parent's from fork)."""
    return bench.peak_rss_mb(os.getpid())


def pytorch_pipeline(family, info, image):
    import torch
    from PIL import Image

    torch.set_grad_enabled(False)
    src = info["transformers"]
    if family == "dinov3":
        from transformers import AutoImageProcessor, AutoModel

        processor, model = AutoImageProcessor.from_pretrained(src), AutoModel.from_pretrained(src).eval()

        def run():
            pil = Image.open(io.BytesIO(image)).convert("RGB")
            out = model(**processor(images=pil, return_tensors="pt"))
            return out.last_hidden_state.numpy(), out.pooler_output.numpy()
    elif family == "depth":
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        processor = AutoImageProcessor.from_pretrained(src)
        model = AutoModelForDepthEstimation.from_pretrained(src).eval()

        def run():
            pil = Image.open(io.BytesIO(image)).convert("RGB")
            out = model(**processor(images=pil, return_tensors="pt"))
            return processor.post_process_depth_estimation(out, target_sizes=[(pil.height, pil.width)])
    elif family == "grounding_dino":
        from transformers import AutoProcessor, GroundingDinoForObjectDetection

        processor = AutoProcessor.from_pretrained(src)
        model = GroundingDinoForObjectDetection.from_pretrained(src).eval()

        def run():
            pil = Image.open(io.BytesIO(image)).convert("RGB")
            inputs = processor(images=pil, text=". ".join(PROMPTS) + ".", return_tensors="pt")
            out = model(**inputs)
            return processor.post_process_grounded_object_detection(
                out, inputs.input_ids, threshold=0.4, text_threshold=0.3, target_sizes=[(pil.height, pil.width)])
    else:
        from transformers import Sam3Model, Sam3Processor

        processor, model = Sam3Processor.from_pretrained(src), Sam3Model.from_pretrained(src).eval()

        def run():
            pil = Image.open(io.BytesIO(image)).convert("RGB")
            inputs = processor(images=pil, text=PROMPTS[:1], return_tensors="pt")
            out = model(**inputs)
            return processor.post_process_instance_segmentation(
                out, threshold=0.5, mask_threshold=0.5, target_sizes=inputs.get("original_sizes").tolist())
    return run


def raw_ort(family, info, image):
    """The served fp32 graph(s) in plain onnxruntime sessions with ONNX Runtime's defaults."""
    import onnxruntime as ort
    from PIL import Image

    pil = Image.open(io.BytesIO(image)).convert("RGB")
    src = info["transformers"]

    def session(path):
        return ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    if family in ("dinov3", "depth"):
        from transformers import AutoImageProcessor

        feeds = {"pixel_values": AutoImageProcessor.from_pretrained(src)(images=pil, return_tensors="np")["pixel_values"]
                 .astype(np.float32)}
        s = session(info["onnx"])
        return lambda: s.run(None, feeds)
    if family == "grounding_dino":
        from transformers import AutoProcessor

        enc = AutoProcessor.from_pretrained(src)(images=pil, text=". ".join(PROMPTS) + ".", return_tensors="np")
        s = session(info["onnx"])
        feeds = {i.name: enc[i.name] for i in s.get_inputs()}
        feeds["pixel_values"] = feeds["pixel_values"].astype(np.float32)
        return lambda: s.run(None, feeds)
    from transformers import Sam3Processor

    processor = Sam3Processor.from_pretrained(src)
    pixels = processor(images=pil, return_tensors="np")["pixel_values"].astype(np.float32)
    text = processor.tokenizer(PROMPTS[:1], padding="max_length", max_length=32, return_tensors="np")
    sessions = {n: session(os.path.join(info["onnx"], n + ".onnx")) for n in ["vision_encoder", "text_encoder", "decoder"]}

    def run():
        vision = dict(zip([o.name for o in sessions["vision_encoder"].get_outputs()],
                          sessions["vision_encoder"].run(None, {"pixel_values": pixels})))
        tf = sessions["text_encoder"].run(None, {"input_ids": text["input_ids"].astype(np.int64),
                                                 "attention_mask": text["attention_mask"].astype(np.int64)})[0]
        feeds = dict(vision, text_features=tf, attention_mask=text["attention_mask"].astype(np.int64))
        wanted = {i.name for i in sessions["decoder"].get_inputs()}
        return sessions["decoder"].run(None, {k: v for k, v in feeds.items() if k in wanted})
    return run


def request_body(family, info, image, variant):
    b64 = base64.b64encode(image).decode()
    body = {"images": [b64], "model_id": info["repo"]}
    if variant:
        body["variant"] = variant
    if family == "dinov3":
        body["tensor_format"] = "base64"
        return "/inference/dinov3", body
    if family == "depth":
        body["depth_format"] = "float32"
        return "/inference/depth-anything", body
    if family == "grounding_dino":
        body["prompts"] = PROMPTS
        return "/inference/grounding-dino", body
    body.update({"prompts": PROMPTS[:1], "output_format": "png"})
    return "/inference/sam3", body


def server(family, info, image, variant, runs, work):
    root = os.path.join(work, "root")
    port = bench.free_port()
    proc, _, _ = bench.start_swift(root, port, {"SAM3_EMBEDDING_CACHE_MB": "0", "JOB_WORKERS": "0", "HF_HUB_OFFLINE": "1"})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        path, body = request_body(family, info, image, variant)
        data = json.dumps(body).encode()
        last = {}

        def run():
            last["response"] = bench.post(conn, path, data)
        ms, times = timed(run, runs)
        peak = bench.peak_rss_mb(proc.pid)
        # The accuracy probe: SAM3 with every query kept, GroundingDINO with low thresholds.
        probe = dict(body)
        if family == "sam3":
            probe["threshold"] = 0.0
        if family == "grounding_dino":
            probe.update({"box_threshold": 0.05, "text_threshold": 0.05})
        with open(os.path.join(work, f"response-{family}-{variant or 'fp32'}.json"), "wb") as f:
            f.write(bench.post(conn, path, json.dumps(probe).encode()))
        return ms, times, peak
    finally:
        proc.terminate()
        proc.wait()


def worker(args):
    with open(os.path.join(args.work, f"built-{args.family}.json")) as f:
        info = json.load(f)
    image = bench.test_image()
    if args.worker == "pytorch":
        ms, times = timed(pytorch_pipeline(args.family, info, image), args.runs)
        peak = own_peak_mb()
    elif args.worker == "ort":
        ms, times = timed(raw_ort(args.family, info, image), args.runs)
        peak = own_peak_mb()
    else:
        variant = "quantized" if args.worker == "server-quantized" else None
        ms, times, peak = server(args.family, info, image, variant, args.runs, args.work)
    print(json.dumps({"ms": ms, "times": times, "peak_rss_mb": peak}))


# ---------------------------------------------------------------- accuracy of the quantized rows

def _floats(b64):
    return np.frombuffer(base64.b64decode(b64), dtype="<f4")


def _iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 1.0


def accuracy(family, work, other="quantized", base="fp32"):
    """The `other` server answer against the `base` one (response-<family>-<name>.json in `work`),
    in the family's own terms."""
    def load(v):
        with open(os.path.join(work, f"response-{family}-{v}.json")) as f:
            return json.load(f)
    a, b = load(base), load(other)
    if family == "dinov3":
        out = {}
        for key in ["pooler_output", "last_hidden_state"]:
            x, y = _floats(a["features"][key]["data"]), _floats(b["features"][key]["data"])
            out[key] = float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y)))
        return f"feature cosine {out['pooler_output']:.4f} (pooled), {out['last_hidden_state']:.4f} (tokens)"
    if family == "depth":
        x, y = _floats(a["depth_data"]), _floats(b["depth_data"])
        rel = np.abs(x - y) / max(1e-12, float(np.abs(x).max()))
        return f"depth relative error mean {rel.mean():.4f}, max {rel.max():.4f} (of the depth range)"
    if family == "grounding_dino":
        da, db = a["results"][0], b["results"][0]
        ious, dscore = [], []
        for box, score, label in zip(da["boxes"], da["scores"], da["labels"]):
            same = [(_iou(box, ob), abs(score - os_)) for ob, os_, ol in zip(db["boxes"], db["scores"], db["labels"])
                    if ol == label]
            if same:
                best = max(same)
                ious.append(best[0])
                dscore.append(best[1])
        if not ious:
            return f"{len(da['boxes'])} vs {len(db['boxes'])} boxes at threshold 0.05"
        return (f"{len(da['boxes'])} vs {len(db['boxes'])} boxes at threshold 0.05; matched box IoU mean "
                f"{np.mean(ious):.3f}, min {np.min(ious):.3f}; score delta max {np.max(dscore):.4f}")
    from PIL import Image

    ra, rb = a["results"][0][0]["result"], b["results"][0][0]["result"]
    ious = []
    for ma, mb in zip(ra["masks_png"], rb["masks_png"]):
        x = np.asarray(Image.open(io.BytesIO(base64.b64decode(ma)))) > 0
        y = np.asarray(Image.open(io.BytesIO(base64.b64decode(mb)))) > 0
        union = np.logical_or(x, y).sum()
        ious.append(np.logical_and(x, y).sum() / union if union else 1.0)
    ds = np.abs(np.array(ra["scores"]) - np.array(rb["scores"])).max() if ra["scores"] else 0.0
    return (f"mask IoU over all {len(ious)} queries: mean {np.mean(ious):.3f}, min {np.min(ious):.3f}; "
            f"score delta max {ds:.4f}")


# ---------------------------------------------------------------- the table

def run_worker(kind, family, work, runs):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", kind, "--family", family,
                          "--work", work, "--runs", str(runs)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{kind} {family} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def server_version(work):
    port = bench.free_port()
    proc, _, _ = bench.start_swift(os.path.join(work, "root"), port, {"JOB_WORKERS": "0", "HF_HUB_OFFLINE": "1"})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/health")
        return json.loads(conn.getresponse().read()).get("onnxruntime_version", "?")
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--sam3", default="small", choices=["small", "real"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", help="folder for the exported models (reused when it has them)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--family", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    import onnxruntime
    import torch

    work = os.path.abspath(args.work or os.path.join(HERE, "out", "table-work"))
    os.makedirs(work, exist_ok=True)
    lines = []

    def say(text=""):
        print(text, flush=True)
        lines.append(text)
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    infos = {f: build(f, work, args.sam3) for f in families}
    say(f"# vision-models-api against PyTorch and ONNX Runtime — {datetime.date.today().isoformat()}")
    say()
    say(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), onnxruntime {onnxruntime.__version__} (Python), server's ONNX Runtime "
        f"{server_version(work)}; one 640x480 JPEG, batch 1, median of {args.runs} after a warm-up, random weights.")
    say()
    say("| model | PyTorch eager pipeline | raw ORT (served fp32 graph) | server fp32 | server quantized | "
        "peak RSS: PyTorch / raw ORT / server fp32 / server quantized |")
    say("|---|---|---|---|---|---|")
    notes = []
    for family in families:
        info = infos[family]
        rows = {kind: run_worker(kind, family, work, args.runs if family != "sam3" or args.sam3 == "small" else 3)
                for kind in ["pytorch", "ort", "server-fp32", "server-quantized"]}
        pt, raw, s32, sq = (rows[k]["ms"] for k in ["pytorch", "ort", "server-fp32", "server-quantized"])
        label = LABELS[family] + (f" {args.sam3} ({info.get('image_size')} px, 1 prompt)" if family == "sam3" else "")
        say(f"| {label} | {pt:.0f} ms | {raw:.0f} ms ({pt / raw:.2f}x) | {s32:.0f} ms: **{pt / s32:.2f}x** PyTorch, "
            f"{s32 / raw:.3f}x raw | {sq:.0f} ms: **{pt / sq:.2f}x** PyTorch | "
            + " / ".join(f"{rows[k]['peak_rss_mb']:.0f} MB" for k in ["pytorch", "ort", "server-fp32", "server-quantized"])
            + " |")
        notes.append(f"- {LABELS[family]}: quantized vs fp32 (server answers): {accuracy(family, work)}")
        for graph, entry in info["export_report"].items():
            fusion = entry.get("fusion", {})
            steps = ", ".join(f"{s['step']} {s.get('result')}" + (f" ({s['gain']:.2f}x)" if "gain" in s else "")
                              for s in fusion.get("steps", []))
            q = entry.get("variants", {}).get("quantized", {})
            notes.append(f"  - export of {graph}: plain {fusion.get('plain_ms', float('nan')):.0f} ms -> fused "
                         f"{fusion.get('fused_ms', float('nan')):.0f} ms ({steps}); quantized {q.get('cpu_ms', float('nan')):.0f} ms"
                         f" on the exporter's check input")
    say()
    say("Ratios are PyTorch's time over ours (higher is faster); 'x raw' is the server's end-to-end time over the raw "
        "session's model-only time (1.000 = no overhead).")
    say()
    for n in notes:
        say(n)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
