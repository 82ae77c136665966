"""How fast the server writes its largest responses: the fixture models (tiny, so the graph takes
well under a millisecond) with requests whose answer is mostly JSON, timed end to end over HTTP
(the client reads the bytes, it does not parse them).

    swift build -c release --product vision-models-api
    ~/.venvs/vision-models-api/bin/python bench/json_speed.py [--runs 30]

Cases: DINOv3 features of 16 images as nested lists and as base64; SAM3 dense masks (every query
kept); Depth Anything float32 maps of 8 images. Prints the median time and the response size.
"""
import argparse
import base64
import http.client
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
import bench  # noqa: E402
from install_in_cache import install  # noqa: E402

MODELS = ["dinov3-vit-tiny", "sam3-tiny", "depth-anything-v2-tiny"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with open(os.path.join(ROOT, "Tests", "Fixtures", "preprocessing", "wide_90x151.png"), "rb") as f:
        image = base64.b64encode(f.read()).decode()
    cases = [
        ("DINOv3, 16 images, nested lists", "/inference/dinov3",
         {"images": [image] * 16, "model_id": "tests/dinov3-vit-tiny", "tensor_format": "list"}),
        ("DINOv3, 16 images, base64", "/inference/dinov3",
         {"images": [image] * 16, "model_id": "tests/dinov3-vit-tiny", "tensor_format": "base64"}),
        ("SAM3, dense masks, every query", "/inference/sam3",
         {"images": [image], "prompts": ["a cat", "a dog"], "threshold": 0.0, "output_format": "dense",
          "model_id": "tests/sam3-tiny"}),
        ("Depth Anything, 8 images, float32", "/inference/depth-anything",
         {"images": [image] * 8, "depth_format": "float32", "model_id": "tests/depth-anything-v2-tiny"}),
    ]
    with tempfile.TemporaryDirectory() as root:
        hub = os.path.join(root, "content", "hf_cache", "hub")
        for name in MODELS:
            install(os.path.join(ROOT, "Tests", "Fixtures", "models", name), "tests/" + name, hub)
        port = bench.free_port()
        proc, _, _ = bench.start_swift(root, port, {"JOB_WORKERS": "0", "HF_HUB_OFFLINE": "1", "MAX_IMAGES_PER_REQUEST": "16"})
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            for label, path, body in cases:
                data = json.dumps(body).encode()
                size = len(bench.post(conn, path, data))
                times = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    bench.post(conn, path, data)
                    times.append((time.perf_counter() - start) * 1000)
                print(f"{label}: {statistics.median(times):.2f} ms median of {args.runs}, {size / 1e6:.2f} MB", flush=True)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
