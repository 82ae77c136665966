"""Click-to-segment at real size: SAM 2.1-hiera-tiny (transformers' default Sam2Config, 1024 px,
random weights) — the first click on an image (encoder + decoder) and the next click on the same
image (decoder only) — in one run on one machine:

    bash tools/setup-venv.sh                                  # once per machine (torch is ~3 GB)
    swift build -c release --product vision-models-api
    ~/.venvs/vision-models-api/bin/python bench/click_to_segment.py [--runs 5] [--work DIR]

Rows, each the median of --runs after a warm-up, on one 640x480 JPEG:
- PyTorch eager: Sam2Processor + Sam2Model + post_process_masks; the next click reuses
  `get_image_embeddings` (transformers' documented way to click again without re-encoding);
- raw ORT: the exported graphs in plain onnxruntime sessions with ONNX Runtime's defaults, model
  only (encoder + decoder; decoder);
- server: POST /inference/sam2 over HTTP end to end (decode, preprocessing, encoder, decoder,
  mask upsampling, JSON). For first clicks every run sends a new image (one pixel changed), so the
  embedding cache misses; the next click is the same image again. The server's own
  encoder_time / decoder_time are reported beside.
Output: stdout and bench/out/click_to_segment.md (not committed).
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
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import bench  # noqa: E402

POINTS = [[[[320, 240]]]]  # one positive click in the middle of the image
OBJECTS = [{"points": [[320, 240]], "labels": [1]}]


def build(work):
    import torch
    from transformers import Sam2Config, Sam2Model, Sam2Processor, Sam2ImageProcessor

    src, out = os.path.join(work, "hf-sam2"), os.path.join(work, "onnx-sam2")
    if not os.path.exists(os.path.join(out, "onnx", "prompt_encoder_mask_decoder.onnx")):
        torch.manual_seed(0)
        model = Sam2Model(Sam2Config()).eval()
        model.save_pretrained(src)
        Sam2Processor(image_processor=Sam2ImageProcessor()).save_pretrained(src)
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "export.py"), "sam2", src, out],
                       check=True, stdout=subprocess.DEVNULL)
        bench.install(out, "bench/sam2.1-hiera-tiny", os.path.join(work, "root", "content", "hf_cache", "hub"))
    return src, out


def image_variants(n):
    """n JPEGs of the benchmark image, each with one pixel changed (distinct embedding-cache keys)."""
    from PIL import Image

    base = np.array(Image.open(io.BytesIO(bench.test_image())).convert("RGB"))
    out = []
    for i in range(n):
        a = base.copy()
        a[i // 640, i % 640] = 255 - a[i // 640, i % 640]
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format="PNG")  # lossless: the changed pixel survives
        out.append(buf.getvalue())
    return out


def median_ms(times):
    return 1000 * statistics.median(times)


def pytorch(src, images, runs):
    import torch
    from PIL import Image
    from transformers import Sam2Model, Sam2Processor

    model = Sam2Model.from_pretrained(src).eval()
    processor = Sam2Processor.from_pretrained(src)

    def first(data):
        image = Image.open(io.BytesIO(data)).convert("RGB")
        inputs = processor(images=image, input_points=POINTS, input_labels=[[[1]]], return_tensors="pt")
        with torch.no_grad():
            embeddings = model.get_image_embeddings(inputs["pixel_values"])
            out = model(image_embeddings=embeddings, input_points=inputs["input_points"],
                        input_labels=inputs["input_labels"])
        processor.post_process_masks(out.pred_masks, inputs["original_sizes"])
        return embeddings, inputs

    def next_click(embeddings, inputs):
        with torch.no_grad():
            out = model(image_embeddings=embeddings, input_points=inputs["input_points"],
                        input_labels=inputs["input_labels"])
        processor.post_process_masks(out.pred_masks, inputs["original_sizes"])

    first(images[0])
    firsts, nexts = [], []
    for data in images[1:runs + 1]:
        t = time.perf_counter()
        embeddings, inputs = first(data)
        firsts.append(time.perf_counter() - t)
        t = time.perf_counter()
        next_click(embeddings, inputs)
        nexts.append(time.perf_counter() - t)
    return {"first": median_ms(firsts), "next": median_ms(nexts), "peak_mb": bench.peak_rss_mb(os.getpid())}


def raw_ort(src, out, images, runs):
    import onnxruntime as ort
    from PIL import Image
    from transformers import Sam2Processor

    processor = Sam2Processor.from_pretrained(src)
    encoder = ort.InferenceSession(os.path.join(out, "onnx", "vision_encoder.onnx"), providers=["CPUExecutionProvider"])
    decoder = ort.InferenceSession(os.path.join(out, "onnx", "prompt_encoder_mask_decoder.onnx"),
                                   providers=["CPUExecutionProvider"])
    inputs = processor(images=Image.open(io.BytesIO(images[0])).convert("RGB"), input_points=POINTS,
                       input_labels=[[[1]]], return_tensors="np")
    def array(x, dtype):  # the processor may hand back torch tensors for the prompts
        return np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=dtype)

    feeds = {"input_points": array(inputs["input_points"], np.float32),
             "input_labels": array(inputs["input_labels"], np.int64), "input_boxes": np.zeros((1, 0, 4), np.float32)}
    pixels = array(inputs["pixel_values"], np.float32)

    def encode():
        return dict(zip([o.name for o in encoder.get_outputs()], encoder.run(None, {"pixel_values": pixels})))

    decoder.run(None, dict(feeds, **encode()))
    firsts, nexts = [], []
    for _ in range(runs):
        t = time.perf_counter()
        embeddings = encode()
        decoder.run(None, dict(feeds, **embeddings))
        firsts.append(time.perf_counter() - t)
        t = time.perf_counter()
        decoder.run(None, dict(feeds, **embeddings))
        nexts.append(time.perf_counter() - t)
    return {"first": median_ms(firsts), "next": median_ms(nexts), "peak_mb": bench.peak_rss_mb(os.getpid())}


def server(work, images, runs):
    port = bench.free_port()
    proc, _, _ = bench.start_swift(os.path.join(work, "root"), port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

        def click(data):
            body = json.dumps({"images": [base64.b64encode(data).decode()], "objects": OBJECTS,
                               "model_id": "bench/sam2.1-hiera-tiny", "output_format": "coco_rle"})
            t = time.perf_counter()
            answer = json.loads(bench.post(conn, "/inference/sam2", body))
            return time.perf_counter() - t, answer["results"][0]

        click(images[0])
        firsts, nexts, enc, dec_first, dec_next = [], [], [], [], []
        for data in images[1:runs + 1]:
            elapsed, result = click(data)
            assert not result["embedding_cached"]
            firsts.append(elapsed); enc.append(result["encoder_time"]); dec_first.append(result["decoder_time"])
            elapsed, result = click(data)
            assert result["embedding_cached"]
            nexts.append(elapsed); dec_next.append(result["decoder_time"])
        return {"first": median_ms(firsts), "next": median_ms(nexts), "encoder": median_ms(enc),
                "decoder_first": median_ms(dec_first), "decoder_next": median_ms(dec_next),
                "peak_mb": bench.peak_rss_mb(proc.pid)}
    finally:
        proc.terminate()
        proc.wait()


def worker(kind, src, out, work, runs):
    images = image_variants(runs + 1)
    result = {"pytorch": lambda: pytorch(src, images, runs), "raw": lambda: raw_ort(src, out, images, runs),
              "server": lambda: server(work, images, runs)}[kind]()
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="vma-sam2-bench-")
    src, out = build(work)
    if args.worker:
        worker(args.worker, src, out, work, args.runs)
        return
    rows = {}
    for kind in ["pytorch", "raw", "server"]:  # each in its own process: its own peak RSS
        done = subprocess.run([sys.executable, __file__, "--worker", kind, "--work", work, "--runs", str(args.runs)],
                              check=True, capture_output=True, text=True)
        rows[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    torch_row = rows["pytorch"]
    lines = [f"# Click-to-segment, SAM 2.1-hiera-tiny (random weights, 1024 px), one 640x480 image, "
             f"median of {args.runs} ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)", "",
             "| system | first click | next click (same image) | peak RSS |", "|---|---|---|---|"]
    for kind, label in [("pytorch", "transformers + PyTorch eager"), ("raw", "raw ONNX Runtime (model only)"),
                        ("server", "server over HTTP (end to end)")]:
        r = rows[kind]
        ratio = "" if kind == "pytorch" else (f" ({torch_row['first'] / r['first']:.2f}x PyTorch)",
                                              f" ({torch_row['next'] / r['next']:.2f}x PyTorch)")
        lines.append(f"| {label} | {r['first']:.0f} ms{ratio[0] if ratio else ''} | "
                     f"{r['next']:.1f} ms{ratio[1] if ratio else ''} | {r['peak_mb']:.0f} MB |")
    s = rows["server"]
    lines += ["", f"Server's own times: encoder {s['encoder']:.0f} ms, decoder {s['decoder_first']:.1f} ms on the first "
              f"click and {s['decoder_next']:.1f} ms on the next (median)."]
    bench.publish("\n".join(lines), "click_to_segment")


if __name__ == "__main__":
    main()
