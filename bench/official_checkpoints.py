#!/usr/bin/env python3
"""Official checkpoints served as they are (issue 26), at real size with random weights.

For each configuration: a checkpoint written by transformers' own save_pretrained (random weights,
not those the shipped graph was made from) is placed in a fresh Hugging Face cache under the
official id, with no onnx/ folder and no exporter marker. The server (GRAPHS_DIR: graphs/) loads
it by id; its DINOv3 features are compared with transformers' (processor + model) on the same
image. Then the same weights through the exporter (export.py with --fusion as --exported-fusion
says; all, the exporter's default, unless told) under another id, for the load time, resident
memory and request time of the two paths, one server each.

    python3 bench/official_checkpoints.py --binary .build/release/vision-models-api [--only dinov3-vits16]
(needs the tools venv: torch, transformers; loopback only)
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
from graph_only import randomized  # noqa: E402
from install_in_cache import install  # noqa: E402
from official_graphs import ARCHITECTURES, depth_anything_configs, dinov3_configs  # noqa: E402

OFFICIAL_IDS = {**{name: f"facebook/{name}-pretrain-lvd1689m" for name in
                   ("dinov3-vits16", "dinov3-vits16plus", "dinov3-vitb16", "dinov3-vitl16", "dinov3-vith16plus",
                    "dinov3-convnext-tiny", "dinov3-convnext-small", "dinov3-convnext-base", "dinov3-convnext-large")},
                "depth-anything-v2-small": "depth-anything/Depth-Anything-V2-Small-hf",
                "depth-anything-v2-base": "depth-anything/Depth-Anything-V2-Base-hf",
                "depth-anything-v2-large": "depth-anything/Depth-Anything-V2-Large-hf"}
# The official processor of Depth Anything V2 (../shared/reference/transformers-processing-facts.md).
DPT_PROCESSOR = {"image_processor_type": "DPTImageProcessor", "do_resize": True, "size": {"height": 518, "width": 518},
                 "keep_aspect_ratio": True, "ensure_multiple_of": 14, "resample": 3, "do_rescale": True,
                 "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.485, 0.456, 0.406],
                 "image_std": [0.229, 0.224, 0.225], "do_pad": False}
PROCESSOR = os.path.join(ROOT, "Tests", "Fixtures", "models", "dinov3-vit-tiny", "preprocessor_config.json")
IMAGE = os.path.join(ROOT, "Tests", "Fixtures", "preprocessing", "wide_90x151.png")


def call(port, method, path, body=None, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers={"Content-Type": "application/json"} if body is not None else {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data)


def serve(binary, root, graphs):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"PATH": os.environ.get("PATH", ""), "HF_ROOT_FOLDER": root, "HF_HUB_OFFLINE": "1", "GRAPHS_DIR": graphs}
    process = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=root,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if call(port, "GET", "/health/live", timeout=2)[0] == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def load_and_run(binary, root, graphs, model_id, image, family, request, got, repeats=0):
    """One server: loads `model_id`, runs `request` ((path, body) without images and model_id) once,
    then `repeats` more times. Returns the load's seconds, (RSS added by the load, RSS added after
    the first request, the first request's seconds, the median of the repeats in ms or None),
    `got(answer)` and /models/status's graph."""
    process, port = serve(binary, root, graphs)
    try:
        idle = call(port, "GET", "/health")[1]["resident_memory_mb"]
        began = time.monotonic()
        status, answer = call(port, "POST", "/models/load", {"model_type": family, "model_id": model_id}, timeout=1800)
        seconds = time.monotonic() - began
        if status != 200:
            raise SystemExit(f"load of {model_id}: {status} {answer}")
        loaded = call(port, "GET", "/health")[1]["resident_memory_mb"]
        graph = call(port, "GET", "/models/status")[1]["models"][family].get("graph")
        path, body = request
        body = dict(body, images=[image], model_id=model_id)
        began = time.monotonic()
        status, out = call(port, "POST", path, body, timeout=1800)
        first_s = time.monotonic() - began
        if status != 200:
            raise SystemExit(f"inference on {model_id}: {status} {out}")
        health = call(port, "GET", "/health")[1]
        ran = health["resident_memory_mb"]
        if ran is None:
            raise SystemExit(f"/health gave no resident memory after the inference: {health}")
        runs = []
        for _ in range(repeats):
            began = time.monotonic()
            call(port, "POST", path, body)
            runs.append(time.monotonic() - began)
        median_ms = sorted(runs)[len(runs) // 2] * 1000 if runs else None
        return seconds, (loaded - idle, ran - idle, first_s, median_ms), got(out), graph
    finally:
        process.terminate()
        process.wait(timeout=60)


def request_for(family):
    """The request each family's rows run, and how its answer becomes the array compared."""
    if family == "dinov3":
        def features(out):
            tensor = out["features"]["last_hidden_state"]
            return np.frombuffer(base64.b64decode(tensor["data"]), dtype="<f4").reshape(tensor["shape"])
        return ("/inference/dinov3", {"tensor_format": "base64"}), features

    def depth(out):
        return np.frombuffer(base64.b64decode(out["depth_data"]), dtype="<f4").reshape(out["metadata"]["shape"][-2:])
    return ("/inference/depth-anything", {"depth_format": "float32"}), depth


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "vision-models-api"))
    parser.add_argument("--graphs", default=os.path.join(ROOT, "graphs"))
    parser.add_argument("--only", default="")
    parser.add_argument("--exported-fusion", choices=["all", "attention", "none"], default="all",
                        help="export.py's --fusion for the exported side (its default: all)")
    args = parser.parse_args()
    from PIL import Image
    from transformers import AutoModel, AutoModelForDepthEstimation, DINOv3ViTImageProcessor, DPTImageProcessor

    only = {n for n in args.only.split(",") if n}
    image = base64.b64encode(open(IMAGE, "rb").read()).decode()
    rows = []
    configs = [("dinov3", n, c) for n, c in dinov3_configs().items()]
    configs += [("depth_anything", n, c) for n, c in depth_anything_configs().items()]
    for family, name, config in configs:
        if only and name not in only:
            continue
        config.architectures = [ARCHITECTURES[type(config).__name__]]
        work = tempfile.mkdtemp(prefix="official-")
        checkpoint = os.path.join(work, "checkpoint")
        picture = Image.open(IMAGE).convert("RGB")
        if family == "dinov3":
            model = randomized(AutoModel.from_config(config).eval(), seed=11, std=0.02)
            model.save_pretrained(checkpoint)
            shutil.copy(PROCESSOR, os.path.join(checkpoint, "preprocessor_config.json"))
            processor = DINOv3ViTImageProcessor.from_pretrained(checkpoint)
            with torch.no_grad():
                want = model(**processor(images=picture, return_tensors="pt")).last_hidden_state.numpy()
        else:
            model = randomized(AutoModelForDepthEstimation.from_config(config).eval(), seed=11, std=0.02)
            model.save_pretrained(checkpoint)
            with open(os.path.join(checkpoint, "preprocessor_config.json"), "w") as f:
                json.dump(DPT_PROCESSOR, f)
            processor = DPTImageProcessor.from_pretrained(checkpoint)
            with torch.no_grad():
                outputs = model(**processor(images=picture, return_tensors="pt"))
            want = processor.post_process_depth_estimation(
                outputs, target_sizes=[(picture.height, picture.width)])[0]["predicted_depth"].numpy()
        root = os.path.join(work, "root")
        hub = os.path.join(root, "content", "hf_cache", "hub")
        install(checkpoint, OFFICIAL_IDS[name], hub)
        request, answer = request_for(family)
        bound_s, bound_mb, got, status = load_and_run(args.binary, root, args.graphs, OFFICIAL_IDS[name], image, family,
                                                      request, answer, repeats=5)
        diff = float(np.max(np.abs(got - want))) / max(1e-12, float(np.max(np.abs(want))))
        # The same weights through the exporter (weights inside the graph; its fusion as chosen).
        exported = os.path.join(work, "exported")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "export.py"), family, checkpoint, exported,
                        "--fusion", args.exported_fusion], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        install(exported, "bench/exported", hub)
        export_s, export_mb, _, _ = load_and_run(args.binary, root, args.graphs, "bench/exported", image, family,
                                                 request, answer, repeats=5)
        weights = os.path.getsize(os.path.join(checkpoint, "model.safetensors"))
        rows.append((name, OFFICIAL_IDS[name], weights, diff, bound_s, bound_mb, export_s, export_mb, status))
        shutil.rmtree(work, ignore_errors=True)
    print("| config | official id | weights | max abs diff vs transformers (relative to the largest value) | load: bound / exported "
          "| RSS added after load: bound / exported | after one inference: bound / exported | request p50 of 5: bound / exported |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model_id, weights, diff, bs, bmb, es, emb, _ in rows:
        print(f"| {name} | `{model_id}` | {weights / 1e6:.0f} MB | {diff:.1e} | {bs:.2f} s / {es:.2f} s "
              f"| {bmb[0]:.0f} / {emb[0]:.0f} MB | {bmb[1]:.0f} / {emb[1]:.0f} MB | {bmb[3]:.0f} / {emb[3]:.0f} ms |")
    for row in rows:
        print(f"{row[0]}: /models/status {row[-1]}")


if __name__ == "__main__":
    main()
