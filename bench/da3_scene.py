"""Depth Anything 3, one multi-view scene end to end: the depth-anything-3 package on PyTorch against
raw ONNX Runtime and the server, one run, one machine.

    bash tools/setup-venv.sh                               # once per machine
    swift build -c release --product vision-models-api
    ~/.venvs/vision-models-api/bin/python bench/da3_scene.py [--preset da3-base] [--views 4] [--runs 3]

The preset is built at real size with random weights by the package's own constructor, written
with its `save_pretrained`, exported by tools/export/export.py depth_anything_3 and installed in a
fresh hub cache. The scene: `--views` different 640x480 JPEGs (shifted crops of one synthetic
picture). Each system runs in its own process, warm-up first, then the median of `--runs`; peak
RSS is that process's high-water mark (the server's for the server row):

- package: `DepthAnything3.inference(images)` as shipped (JPEG decode, its InputProcessor, the
  network under its own autocast, its OutputProcessor), torch's default threads;
- package fp32: the same steps without the autocast (what the server's fp32 graph computes);
- raw ORT: the exported graph in a plain onnxruntime session with ONNX Runtime's defaults, on the
  package's processed views, model only;
- server: `POST /inference/depth-anything` with the JPEGs (one scene, `depth_format: float32`) on
  the release binary, end to end over HTTP.

The server's depth is compared with the package fp32 depth. Results: stdout and bench/out/da3_scene.md.
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
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
import bench  # noqa: E402

BINARY = os.path.join(ROOT, ".build", "release", "vision-models-api")


def scene_images(views):
    """`views` JPEGs: 640x480 windows moving across one 1280x480 synthetic picture."""
    from PIL import Image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:1280]
    picture = np.stack([xx % 256, yy % 256, (xx // 3 + yy) % 256], -1) + rng.integers(0, 30, (480, 1280, 3))
    picture = np.clip(picture, 0, 255).astype(np.uint8)
    out = []
    for v in range(views):
        left = int(v * (640 / max(1, views - 1)))
        buffer = io.BytesIO()
        Image.fromarray(picture[:, left:left + 640]).save(buffer, format="JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def build(work, preset):
    marker = os.path.join(work, f"built-{preset}.json")
    if os.path.exists(marker):
        with open(marker) as f:
            return json.load(f)
    import torch
    from depth_anything_3.api import DepthAnything3
    from install_in_cache import install

    torch.manual_seed(0)
    model = DepthAnything3(model_name=preset)
    src, out = os.path.join(work, "package"), os.path.join(work, "export")
    model.save_pretrained(src)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "export.py"), "depth_anything_3", src, out],
                   check=True, stdout=subprocess.DEVNULL)
    hub = os.path.join(work, "root", "content", "hf_cache", "hub")
    install(out, f"bench/{preset}", hub)
    info = {"src": src, "onnx": os.path.join(out, "onnx", "model.onnx"), "repo": f"bench/{preset}",
            "root": os.path.join(work, "root"), "params_m": sum(p.numel() for p in model.model.parameters()) / 1e6}
    with open(marker, "w") as f:
        json.dump(info, f)
    return info


def timed(fn, runs):
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times), result


def system(name, info, views, runs):
    """One row, in this (child) process: median ms, peak MB and the depth it gave."""
    images = scene_images(views)
    if name in ("package", "package_fp32"):
        import torch
        from PIL import Image
        from depth_anything_3.api import DepthAnything3
        import da3_export

        torch.set_grad_enabled(False)
        model = DepthAnything3.from_pretrained(info["src"]).eval()

        if name == "package":
            def run():
                return model.inference([Image.open(io.BytesIO(b)).convert("RGB") for b in images]).depth
        else:
            def run():
                pils = [Image.open(io.BytesIO(b)).convert("RGB") for b in images]
                return da3_export.package_scene_inference(model.model, pils, 504)[1].depth
        ms, depth = timed(run, runs)
    elif name == "raw_ort":
        import onnxruntime as ort
        from PIL import Image
        from depth_anything_3.utils.io.input_processor import InputProcessor
        import da3_export

        pils = [Image.open(io.BytesIO(b)).convert("RGB") for b in images]
        processed, _, _ = InputProcessor()(pils, None, None, 504, "upper_bound_resize", num_workers=1)
        session = ort.InferenceSession(info["onnx"], providers=["CPUExecutionProvider"])
        feeds = {"pixel_values": processed[None].numpy().astype(np.float32)}
        if {i.name for i in session.get_inputs()} >= {"camera_pose", "camera_given"}:
            # Exports with camera input: no cameras (placeholders the graph ignores).
            feeds.update(da3_export.camera_feeds(1, processed.shape[0]))
        ms, out = timed(lambda: session.run(["depth"], feeds), runs)
        depth = out[0][0]
    else:
        raise SystemExit(f"unknown system {name}")
    return {"ms": ms, "peak_mb": bench.peak_rss_mb(os.getpid()), "depth": np.asarray(depth, np.float32).tolist()}


def server_row(info, views, runs):
    port = bench.free_port()
    env = dict(os.environ, HF_ROOT_FOLDER=info["root"], HF_HUB_OFFLINE="1", LOG_LEVEL="warning")
    proc = subprocess.Popen([BINARY, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        bench.wait_healthy(port, proc)
        body = json.dumps({"images": [base64.b64encode(b).decode() for b in scene_images(views)],
                           "model_id": info["repo"], "depth_format": "float32", "include_confidence": False}).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

        def run():
            return json.loads(bench.post(conn, "/inference/depth-anything", body))
        ms, answer = timed(run, runs)
        depth = [np.frombuffer(base64.b64decode(r["depth_data"]), "<f4").reshape(r["metadata"]["shape"])
                 for r in answer["results"]]
        return {"ms": ms, "peak_mb": bench.peak_rss_mb(proc.pid), "depth": np.stack(depth).tolist()}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="da3-base")
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(ROOT, "bench", "out", "da3-scene"))
    parser.add_argument("--system", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    info = build(args.work, args.preset)
    if args.system:
        print(json.dumps(system(args.system, info, args.views, args.runs)))
        return
    if not os.path.exists(BINARY):
        raise SystemExit(f"{BINARY} is missing: swift build -c release --product vision-models-api")
    rows = {}
    for name in ["package", "package_fp32", "raw_ort"]:
        out = subprocess.run([sys.executable, __file__, "--system", name, "--preset", args.preset, "--views",
                              str(args.views), "--runs", str(args.runs), "--work", args.work],
                             check=True, capture_output=True, text=True).stdout
        rows[name] = json.loads(out.strip().splitlines()[-1])
        print(f"{name}: {rows[name]['ms']:.0f} ms, peak {rows[name]['peak_mb']:.0f} MB", flush=True)
    rows["server"] = server_row(info, args.views, args.runs)
    print(f"server: {rows['server']['ms']:.0f} ms, peak {rows['server']['peak_mb']:.0f} MB", flush=True)
    reference = np.asarray(rows["package_fp32"]["depth"])
    served = np.asarray(rows["server"]["depth"])
    error = float(np.max(np.abs(served - reference)) / np.max(np.abs(reference)))
    base = rows["package"]["ms"]
    lines = [f"# Depth Anything 3 {args.preset} ({info['params_m']:.0f} M parameters, random weights), "
             f"a {args.views}-view scene of 640x480 JPEGs at 504 px",
             "", f"{datetime.date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"median of {args.runs} after a warm-up, each system in its own process", "",
             "| System | ms per scene | vs package | peak RSS MB |", "| --- | ---: | ---: | ---: |"]
    for name, label in [("package", "package (as shipped, its autocast)"), ("package_fp32", "package fp32"),
                        ("raw_ort", "raw ONNX Runtime (defaults, model only)"), ("server", "server (HTTP, end to end)")]:
        r = rows[name]
        lines.append(f"| {label} | {r['ms']:.0f} | {base / r['ms']:.2f}x | {r['peak_mb']:.0f} |")
    lines += ["", f"Server depth vs package fp32: max relative difference {error:.2e} (of the depth range's maximum)."]
    bench.publish("\n".join(lines), "da3_scene")


if __name__ == "__main__":
    main()
