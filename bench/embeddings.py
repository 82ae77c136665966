"""Image–text embeddings at real size: CLIP ViT-B/32 (transformers' default CLIPConfig: 224 px,
patch 32, 12+12 layers, random weights), images/s and texts/s in one run on one machine:

    bash tools/setup-venv.sh                                  # once per machine (torch is ~3 GB)
    swift build -c release --product vision-models-api
    ~/.venvs/vision-models-api/bin/python bench/embeddings.py [--runs 5] [--images 8] [--texts 32] [--work DIR]

The model is exported by tools/export/export.py embeddings (vision_model + text_model, the
community layout). Rows, each the median of --runs after a warm-up, for one batch of --images
640x480 JPEGs and one batch of --texts short captions:
- PyTorch eager: CLIPProcessor / tokenizer + get_image_features / get_text_features, normalised;
- raw ORT: the exported graphs in plain onnxruntime sessions (ONNX Runtime's defaults) on the
  processor's tensors, model only;
- server: POST /inference/embeddings over HTTP end to end (JPEG decode, preprocessing, the graph,
  normalisation, JSON with base64 vectors).
The captions are tokenized by a small BPE vocabulary that holds their words whole, so their token
counts are a real tokenizer's. Output: stdout and bench/out/embeddings.md (not committed).
"""
import argparse
import base64
import datetime
import http.client
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
import bench  # noqa: E402
import table  # noqa: E402

SUBJECTS = ["cat", "dog", "car", "tree", "house", "person", "bicycle", "boat"]
PLACES = ["on a table", "in the snow", "near the sea", "in a garden"]
CAPTIONS = [f"a photo of a {s} {p}" for p in PLACES for s in SUBJECTS]


def build(work):
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizerFast

    from clip_vocab import write_vocab

    src, out = os.path.join(work, "hf-clip"), os.path.join(work, "onnx-clip")
    if not os.path.exists(os.path.join(out, "onnx", "text_model.onnx")):
        words = sorted({w for c in CAPTIONS for w in c.split()})
        tokenizer = CLIPTokenizerFast(*write_vocab(src + "-tokenizer", words))
        end = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        torch.manual_seed(0)
        model = CLIPModel(CLIPConfig(text_config={"bos_token_id": end - 1, "eos_token_id": end, "pad_token_id": end})).eval()
        model.save_pretrained(src)
        CLIPProcessor(image_processor=CLIPImageProcessor(), tokenizer=tokenizer).save_pretrained(src)
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "export.py"), "embeddings", src, out],
                       check=True, stdout=subprocess.DEVNULL)
        bench.install(out, "bench/clip-vit-base-patch32", os.path.join(work, "root", "content", "hf_cache", "hub"))
    return src, out


def images(n):
    return [bench.test_image() for _ in range(n)]


def timed(fn, runs):
    """Seconds: the median of `runs` after a warm-up (table.py's timing)."""
    return table.timed(fn, runs)[0] / 1000


def pytorch(src, pictures, texts, runs):
    import io

    import torch
    from PIL import Image
    from transformers import CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(src).eval()
    processor = CLIPProcessor.from_pretrained(src)

    def embed_images():
        decoded = [Image.open(io.BytesIO(p)).convert("RGB") for p in pictures]
        with torch.no_grad():
            out = model.get_image_features(**processor.image_processor(images=decoded, return_tensors="pt"))
        out = out.pooler_output if hasattr(out, "pooler_output") else out
        return out / out.norm(dim=-1, keepdim=True)

    def embed_texts():
        with torch.no_grad():
            out = model.get_text_features(**processor.tokenizer(texts, padding=True, return_tensors="pt"))
        out = out.pooler_output if hasattr(out, "pooler_output") else out
        return out / out.norm(dim=-1, keepdim=True)

    return {"images_s": timed(embed_images, runs), "texts_s": timed(embed_texts, runs),
            "peak_mb": bench.peak_rss_mb(os.getpid())}


def raw_ort(src, out, pictures, texts, runs):
    import io

    import onnxruntime as ort
    from PIL import Image
    from transformers import CLIPProcessor

    processor = CLIPProcessor.from_pretrained(src)
    vision = ort.InferenceSession(os.path.join(out, "onnx", "vision_model.onnx"), providers=["CPUExecutionProvider"])
    text = ort.InferenceSession(os.path.join(out, "onnx", "text_model.onnx"), providers=["CPUExecutionProvider"])
    pixels = np.asarray(processor.image_processor(images=[Image.open(io.BytesIO(p)).convert("RGB") for p in pictures],
                                                  return_tensors="np")["pixel_values"], np.float32)
    ids = np.asarray(processor.tokenizer(texts, padding=True, return_tensors="np")["input_ids"], np.int64)
    return {"images_s": timed(lambda: vision.run(None, {"pixel_values": pixels}), runs),
            "texts_s": timed(lambda: text.run(None, {"input_ids": ids}), runs), "peak_mb": bench.peak_rss_mb(os.getpid())}


def server(work, pictures, texts, runs):
    port = bench.free_port()
    proc, _, _ = bench.start_swift(os.path.join(work, "root"), port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        model = "bench/clip-vit-base-patch32"
        image_body = json.dumps({"images": [base64.b64encode(p).decode() for p in pictures], "model_id": model,
                                 "encoding_format": "base64"})
        text_body = json.dumps({"texts": texts, "model_id": model, "encoding_format": "base64"})
        return {"images_s": timed(lambda: bench.post(conn, "/inference/embeddings", image_body), runs),
                "texts_s": timed(lambda: bench.post(conn, "/inference/embeddings", text_body), runs),
                "peak_mb": bench.peak_rss_mb(proc.pid)}
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--texts", type=int, default=32)
    parser.add_argument("--work")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="vma-clip-bench-")
    src, out = build(work)
    pictures, texts = images(args.images), CAPTIONS[:args.texts]
    if args.worker:
        run = {"pytorch": lambda: pytorch(src, pictures, texts, args.runs),
               "raw": lambda: raw_ort(src, out, pictures, texts, args.runs),
               "server": lambda: server(work, pictures, texts, args.runs)}[args.worker]
        print(json.dumps(run()))
        return
    rows = {}
    for kind in ["pytorch", "raw", "server"]:  # each in its own process: its own peak RSS
        done = subprocess.run([sys.executable, __file__, "--worker", kind, "--work", work, "--runs", str(args.runs),
                               "--images", str(args.images), "--texts", str(args.texts)],
                              check=True, capture_output=True, text=True)
        rows[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    base = rows["pytorch"]
    lines = [f"# Embeddings, CLIP ViT-B/32 (random weights, 224 px), batches of {len(pictures)} images (640x480 JPEG) "
             f"and {len(texts)} captions, median of {args.runs} ({datetime.date.today()}, {platform.machine()}, "
             f"{os.cpu_count()} cores)", "", "| system | images/s | texts/s | peak RSS |", "|---|---|---|---|"]
    for kind, label in [("pytorch", "transformers + PyTorch eager"), ("raw", "raw ONNX Runtime (model only)"),
                        ("server", "server over HTTP (end to end)")]:
        r = rows[kind]
        ips, tps = len(pictures) / r["images_s"], len(texts) / r["texts_s"]
        ratio = "" if kind == "pytorch" else "s"
        lines.append(f"| {label} | {ips:.1f}" + ("" if not ratio else f" ({base['images_s'] / r['images_s']:.2f}x)")
                     + f" | {tps:.0f}" + ("" if not ratio else f" ({base['texts_s'] / r['texts_s']:.2f}x)")
                     + f" | {r['peak_mb']:.0f} MB |")
    bench.publish("\n".join(lines), "embeddings")


if __name__ == "__main__":
    main()
