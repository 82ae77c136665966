"""Execution providers and calibrated int8 at real size, in one run on one machine (issue 30):
Depth Anything V2-small (518 px, keep-aspect to 518x686 for the 640x480 image) and DINOv3 ViT-S/16
(224 px), random weights, exported by tools/export/export.py with `--variants int8`:

    bash tools/setup-venv.sh && ~/.venvs/vision-models-api/bin/pip install "openvino==2026.4.*"
    swift build -c release --product vision-models-api
    ~/.venvs/vision-models-api/bin/python bench/providers.py [--runs 4] [--work DIR]
                                       [--models depth,dinov3,grounding_dino,sam3]
                                                             [--build-only]

A --work folder that already holds the exports (models.json) is reused.

Rows per model, each the median of --runs after a warm-up, each system in its own process, model
only unless said:
- transformers + PyTorch eager (the model's forward on the processor's tensor);
- ONNX Runtime CPU provider, fp32 fused graph and the int8 variant;
- ONNX Runtime with the OpenVINO execution-provider plugin (.deps/openvino-ep, f32 through
  load_config), fp32 and int8: the plugin itself on an Intel CPU, through the forwarding library
  (libvma_openvino_any_cpu.so) on another vendor's;
- OpenVINO 2026.4 (the runtime the plugin carries), fp32 and the int8 graph, run directly;
- the server over HTTP end to end with EXECUTION_PROVIDER=cpu, openvino and unset (auto, after its
  trial runs), and with variant int8 on cpu, on openvino and unset (--servers-only: these rows alone).
GroundingDINO-tiny (real size) and SAM3 small (real widths, 4 ViT layers at 504 px), several graphs
each, get the server rows only, each with its answer's accuracy against the CPU provider's fp32
answer (box IoU and score deltas, mask IoU over every query).
Accuracy of int8 against the fp32 graph on the benchmark image: Depth Anything's mean |error| over
the depth range, DINOv3's pooled-feature cosine. The CPU's vendor and flags head the table.
Output: stdout and bench/out/providers.md (not committed).
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
sys.path.insert(0, HERE)
import bench  # noqa: E402
import table  # noqa: E402


def cpu_line():
    info = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            info.setdefault(key.strip(), value.strip())
    flags = [f for f in info.get("flags", "").split() if f.startswith(("avx512", "amx", "avx2", "avx_vnni"))]
    return f"{info.get('model name', '?')} ({info.get('vendor_id', '?')}; {' '.join(flags)})"


PIPELINES = ("grounding_dino", "sam3")


def build(work, kinds):
    models = {}
    for kind in PIPELINES:
        if kind in kinds:  # SAM3 small: the real widths, 4 ViT layers at 504 px
            models[kind] = table.build(kind, work, "small", variants="int8")
    if "depth" in kinds:
        models["depth"] = bench.build_depth_model(work, ("--variants", "int8"))
    if "dinov3" in kinds:
        _, built = bench.build_models(work, ["vit"], ("--variants", "int8"))
        models["dinov3"] = built["vit"]
    return models


def tensors(kind, info, image):
    """The processor's input for the benchmark image, as transformers makes it."""
    from PIL import Image
    from transformers import AutoImageProcessor

    processor = AutoImageProcessor.from_pretrained(info["transformers"])
    return processor(images=Image.open(io.BytesIO(image)).convert("RGB"), return_tensors="np")["pixel_values"].astype(np.float32)


def timed(fn, runs):
    return table.timed(fn, runs)[0]


def pytorch_ms(kind, info, pixels, runs):
    import torch
    from transformers import AutoModel, DepthAnythingForDepthEstimation

    model = (DepthAnythingForDepthEstimation if kind == "depth" else AutoModel).from_pretrained(info["transformers"]).eval()
    x = torch.from_numpy(pixels)
    with torch.no_grad():
        return timed(lambda: model(pixel_values=x), runs)


def ort_run(path):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return lambda x: session.run(None, {"pixel_values": x})


def plugin_library():
    """The OpenVINO plugin as the server registers it: directly on an Intel CPU, else through the
    forwarding library built beside it."""
    folder = os.path.join(os.path.dirname(HERE), ".deps", "openvino-ep")
    intel = "GenuineIntel" in open("/proc/cpuinfo").read()
    return os.path.join(folder, "libonnxruntime_providers_openvino_plugin.so" if intel else "libvma_openvino_any_cpu.so")


def ort_openvino_run(path):
    import onnxruntime as ort

    ort.register_execution_provider_library("OpenVINO", plugin_library())
    device = [d for d in ort.get_ep_devices() if d.ep_name == "OpenVINOExecutionProvider" and d.device.type == ort.OrtHardwareDeviceType.CPU]
    if not device:
        raise RuntimeError("the OpenVINO plugin offers no CPU device here")
    opts = ort.SessionOptions()
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_provider_for_devices(device, {"load_config": json.dumps({"CPU": {"INFERENCE_PRECISION_HINT": "f32"}})})
    session = ort.InferenceSession(path, opts)
    return lambda x: session.run(None, {"pixel_values": x})


def openvino_run(path):
    import openvino as ov

    compiled = ov.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return lambda x: [np.asarray(v) for v in compiled({"pixel_values": x}).values()]


def error(kind, got, want):
    if kind == "depth":
        return f"mean depth error {100 * float(np.abs(got[0] - want[0]).mean() / (want[0].max() - want[0].min())):.2f} % of range"
    a, b = got[1].ravel(), want[1].ravel()
    return f"pooled cosine {float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b))):.5f}"


def alternated_servers(work, kind, info, image, runs, probe=None):
    """One server per SERVER_ROWS entry, all started together on the same cache; each gets 8 requests
    first (auto's trial: a warm-up and 3 timed runs per provider), then the servers take turns, one
    timed request each per round, `runs` rounds, with a pause before each request so that no
    server's idle threads (OpenVINO's workers spin a while after a run) take the cores of the next.
    Alternating keeps this VM's drift (up to 50 % between consecutive runs) out of the ratios. Returns
    {label: (median ms, the placement /models/status reports)}; with `probe`, each server's answer
    to it is saved as response-<kind>-<label>.json."""
    if kind in PIPELINES:
        path, body = table.request_body(kind, info, image, None)
    else:
        path = "/inference/depth-anything" if kind == "depth" else "/inference/dinov3"
        body = {"images": [base64.b64encode(image).decode()], "model_id": info["repo"]}
    servers = []
    try:
        for label, env, variant in SERVER_ROWS:
            port = bench.free_port()
            proc, _, _ = bench.start_swift(os.path.join(work, "root"), port,
                                           {"SAM3_EMBEDDING_CACHE_MB": "0", "JOB_WORKERS": "0", **env})
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            request = dict(body, **({"variant": variant} if variant else {}))
            data = json.dumps(request)
            servers.append((label, proc, conn, request, data))
            for _ in range(8):
                bench.post(conn, path, data)
        times = {label: [] for label, *_ in servers}
        for _ in range(runs):
            for label, _, conn, _, data in servers:
                time.sleep(0.3)
                start = time.perf_counter()
                bench.post(conn, path, data)
                times[label].append((time.perf_counter() - start) * 1000)
        rows = {}
        for label, _, conn, request, _ in servers:
            if probe:
                with open(os.path.join(work, f"response-{kind}-{label.replace(' ', '-')}.json"), "wb") as f:
                    f.write(bench.post(conn, path, json.dumps(dict(request, **probe))))
            conn.request("GET", "/models/status")
            status = json.loads(conn.getresponse().read())
            placement = [p for r in status["instances"] for p in r.get("execution_providers", [])]
            rows[label] = (statistics.median(times[label]), placement)
        return rows
    finally:
        for _, proc, *_ in servers:
            proc.terminate()
            proc.wait()


def server_rows(work, kind, info, image, runs):
    return {label: (ms, "; ".join(f"{p['provider']}: {p['reason']}" for p in placement)[:160])
            for label, (ms, placement) in alternated_servers(work, kind, info, image, runs).items()}


SERVER_ROWS = [("cpu", {"EXECUTION_PROVIDER": "cpu"}, None), ("openvino", {"EXECUTION_PROVIDER": "openvino"}, None),
               ("auto", {}, None), ("cpu int8", {"EXECUTION_PROVIDER": "cpu"}, "int8"),
               ("openvino int8", {"EXECUTION_PROVIDER": "openvino"}, "int8"), ("auto int8", {}, "int8")]


def pipeline_rows(work, kind, info, image, runs):
    """GroundingDINO and SAM3 (several graphs each): the server end to end per provider and
    variant, each answer's accuracy against the CPU provider's fp32 answer (box IoU and score
    deltas; mask IoU), from a probe request that keeps every detection."""
    probe = {"threshold": 0.0} if kind == "sam3" else {"box_threshold": 0.05, "text_threshold": 0.05}
    rows = []
    for label, (ms, placement) in alternated_servers(work, kind, info, image, runs, probe).items():
        # Why a graph of an openvino or auto server stayed on the CPU provider (its reason, cut short).
        where = "; ".join(f"{p['graph'].split('/')[-1]}: {p['provider']}"
                          + (f" ({p['reason'][:100]})" if p['provider'] == "cpu" and not label.startswith("cpu") else "")
                          for p in placement)
        if label != "cpu":
            where += f". vs cpu fp32: {table.accuracy(kind, work, label.replace(' ', '-'), 'cpu')}"
        rows.append((f"server over HTTP, {label}", ms, where))
    return rows


def measure(kind, info, system, runs):
    """One system's time (ms) and note, in this process (main runs each in its own: OpenVINO's
    worker threads would otherwise still be busy while the next system is timed)."""
    image = bench.test_image()
    pixels = tensors(kind, info, image)
    fp32, int8 = info["onnx"], info["onnx"].replace("model.onnx", "model_int8.onnx")
    if system == "pytorch":
        return pytorch_ms(kind, info, pixels, runs), ""
    make = ort_openvino_run if system.startswith("ort-ovep") else ort_run if system.startswith("ort") else openvino_run
    path = int8 if system.endswith("int8") else fp32
    try:
        run = make(path)
        got = run(pixels)
    except Exception as failure:  # a graph a runtime refuses: its reason, no time
        return float("nan"), f"refused: {str(failure).splitlines()[-1][:120]}"
    note = "" if system == "ort" else error(kind, got, ort_run(fp32)(pixels))
    return timed(lambda: run(pixels), runs), note


SYSTEMS = [("pytorch", "transformers + PyTorch eager"), ("ort", "ONNX Runtime CPU, fp32"),
           ("ort-int8", "ONNX Runtime CPU, int8"), ("ort-ovep", "ONNX Runtime + OpenVINO EP plugin, fp32"),
           ("ort-ovep-int8", "ONNX Runtime + OpenVINO EP plugin, int8"), ("openvino", "OpenVINO (direct), fp32"),
           ("openvino-int8", "OpenVINO (direct), int8")]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--work")
    parser.add_argument("--models", default="depth,dinov3")
    parser.add_argument("--build-only", action="store_true", help="export the models into --work and stop")
    parser.add_argument("--servers-only", action="store_true", help="only the server rows (model-only rows skipped)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="vma-providers-")
    kinds = args.models.split(",")
    if args.worker:
        kind, system = args.worker
        with open(os.path.join(work, "models.json")) as f:
            info = json.load(f)[kind]
        print(json.dumps(measure(kind, info, system, args.runs)))
        return
    built = os.path.join(work, "models.json")
    models = {}
    if os.path.exists(built):  # a --work folder of an earlier run: its exports are reused
        with open(built) as f:
            models = json.load(f)
    missing = [k for k in kinds if k not in models]
    if missing:
        models.update(build(work, missing))
        with open(built, "w") as f:
            json.dump(models, f)
    models = {k: models[k] for k in kinds}
    if args.build_only:
        return
    image = bench.test_image()
    lines = [f"# Execution providers and int8 ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} cores)",
             "", f"CPU: {cpu_line()}", "",
             "Model-only rows: each system in its own process, one after another. Server rows: the servers "
             "side by side, alternated.", ""]
    for kind, info in models.items():
        if kind in PIPELINES:
            rows = pipeline_rows(work, kind, info, image, args.runs)
            lines += [f"## {kind} ({table.LABELS[kind]}; server end to end)", "", "| system | ms | vs cpu | note |",
                      "|---|---|---|---|"]
            lines += [f"| {label} | {ms:.1f} | {rows[0][1] / ms:.2f}x | {note} |" for label, ms, note in rows]
            lines.append("")
            continue
        rows = []
        for system, label in ([] if args.servers_only else SYSTEMS):
            done = subprocess.run([sys.executable, __file__, "--worker", kind, system, "--work", work, "--runs", str(args.runs),
                                   "--models", args.models], check=True, capture_output=True, text=True)
            ms, note = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append((label, ms, note))
        for label, (ms, why) in server_rows(work, kind, info, image, args.runs).items():
            rows.append((f"server over HTTP, {label}", ms, why))
        base = rows[0][1]  # PyTorch, or the cpu server with --servers-only
        shape = list(tensors(kind, info, image).shape)
        lines += [f"## {kind} ({info['params_m']:.1f} M parameters, input {shape})", "",
                  f"| system | ms | vs {'cpu server' if args.servers_only else 'PyTorch'} | note |", "|---|---|---|---|"]
        lines += [f"| {label} | {ms:.1f} | {base / ms:.2f}x | {note} |" for label, ms, note in rows]
        lines.append("")
    bench.publish("\n".join(lines), "providers")


if __name__ == "__main__":
    main()
