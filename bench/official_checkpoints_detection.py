#!/usr/bin/env python3
"""Official checkpoints served as they are (issue 26), for GroundingDINO, SAM3 and Depth Anything 3,
at real size with random weights: the same measurement as official_checkpoints.py (DINOv3, Depth
Anything V2) for the families whose checkpoints are not plain transformers image models.

For each configuration a checkpoint in the official layout, with random weights that are not those
the shipped graph was made from, is placed in a fresh cache under the official id (no onnx/, no
exporter marker) and loaded by id through graphs/:
- GroundingDINO: transformers' save_pretrained (tiny and base); detections compared with
  transformers' processor + model + post_process_grounded_object_detection;
- SAM3: a Sam3Model's save_pretrained rewritten as facebook/sam3 holds it (a sam3_video config.json
  whose detector_config is the detector's; keys under detector_model.); detections compared with
  transformers' Sam3Model.from_pretrained(that folder) + post_process_instance_segmentation;
- Depth Anything 3: the package's own save layout (config.json naming the preset, keys model.*,
  shared modules once); depth compared with the package's own inference.
Then, with --exported, the same weights through export.py (--fusion none) under another id, for the
load time and resident memory of the two paths, one server each.

    python3 bench/official_checkpoints_detection.py [--only grounding-dino-tiny,...] [--exported]
(needs the tools venv: torch, transformers, depth-anything-3; loopback only)
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from graph_only import randomized, save_like_the_package  # noqa: E402
from install_in_cache import install  # noqa: E402
from official_checkpoints import load_and_run  # noqa: E402
from official_graphs import DA3_PRESETS, grounding_dino_configs  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
IMAGE = os.path.join(FIXTURES, "preprocessing", "wide_90x151.png")
OFFICIAL_IDS = {"grounding-dino-tiny": "IDEA-Research/grounding-dino-tiny",
                "grounding-dino-base": "IDEA-Research/grounding-dino-base", "sam3": "facebook/sam3",
                **{name: "depth-anything/" + preset.upper() for name, preset in DA3_PRESETS.items()}}
PROMPTS = ["a cat", "remote control"]
SKY_MARGIN = 1e-2


def grounding_dino_case(name, work, picture):
    from transformers import GroundingDinoForObjectDetection, GroundingDinoProcessor

    sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures"))
    from make_grounding_dino_fixtures import detect, original_text

    model = randomized(GroundingDinoForObjectDetection(grounding_dino_configs()[name]).eval(), seed=11, std=0.02)
    model.config.architectures = ["GroundingDinoForObjectDetection"]
    checkpoint = os.path.join(work, "checkpoint")
    model.save_pretrained(checkpoint)
    processor = GroundingDinoProcessor.from_pretrained(os.path.join(FIXTURES, "models", "grounding-dino-tiny"))
    processor.image_processor.size = {"shortest_edge": 800, "longest_edge": 1333}
    processor.save_pretrained(checkpoint)
    want = detect(model, processor, [picture], original_text(PROMPTS), 0.3, 0.25)[0]
    body = {"prompts": PROMPTS, "box_threshold": 0.3, "text_threshold": 0.25}

    def got(out):
        return out["results"][0]
    return "grounding_dino", checkpoint, ("/inference/grounding-dino", body), got, want


def sam3_case(name, work, picture):
    from safetensors.numpy import load_file, save_file
    from transformers import Sam3Config, Sam3Model, Sam3Processor

    model = randomized(Sam3Model(Sam3Config()).eval(), seed=11, std=0.02)
    plain = os.path.join(work, "plain")
    model.save_pretrained(plain)
    processor = Sam3Processor.from_pretrained(os.path.join(FIXTURES, "models", "sam3-tiny"))
    processor.image_processor.size = {"height": 1008, "width": 1008}
    checkpoint = os.path.join(work, "checkpoint")
    processor.save_pretrained(checkpoint)
    with open(os.path.join(plain, "config.json")) as f:
        detector = json.load(f)
    detector.pop("architectures", None)
    with open(os.path.join(checkpoint, "config.json"), "w") as f:
        json.dump({"architectures": ["Sam3VideoModel"], "model_type": "sam3_video", "detector_config": detector}, f)
    save_file({"detector_model." + k: v for k, v in load_file(os.path.join(plain, "model.safetensors")).items()},
              os.path.join(checkpoint, "model.safetensors"), metadata={"format": "pt"})
    del model
    model = Sam3Model.from_pretrained(checkpoint).eval()
    want = []
    for prompt in PROMPTS:
        inputs = processor(images=picture, text=prompt, return_tensors="pt")
        with torch.no_grad():
            outputs = model(**inputs)
        r = processor.post_process_instance_segmentation(outputs, threshold=0.3, mask_threshold=0.5,
                                                         target_sizes=[(picture.height, picture.width)])[0]
        want.append({"scores": r["scores"].tolist(), "boxes": r["boxes"].tolist()})
    shutil.rmtree(plain)

    def got(out):
        return [r["result"] for r in out["results"][0]]
    return "sam3", checkpoint, ("/inference/sam3", {"prompts": PROMPTS, "threshold": 0.3}), got, want


def depth_anything_3_case(name, work, picture):
    import da3_export

    checkpoint = os.path.join(work, "checkpoint")
    os.makedirs(checkpoint)
    with open(os.path.join(checkpoint, "config.json"), "w") as f:
        json.dump({"model_name": DA3_PRESETS[name]}, f)
    net, _ = da3_export.build_network(checkpoint)
    save_like_the_package(randomized(net, seed=11, std=0.02), checkpoint)
    net, _ = da3_export.load_network(checkpoint)
    skies = []
    if DA3_PRESETS[name] in da3_export.NESTED_PRESETS:
        from depth_anything_3.model.da3 import NestedDepthAnything3Net
        handle = NestedDepthAnything3Net._handle_sky_regions

        def recording(self, output, metric_output, *rest):
            skies.append(metric_output.sky.detach().float().numpy().reshape(output.depth.shape[-2:]))
            return handle(self, output, metric_output, *rest)
        NestedDepthAnything3Net._handle_sky_regions = recording
        try:
            _, prediction = da3_export.package_inference(net, picture)
        finally:
            NestedDepthAnything3Net._handle_sky_regions = handle
    else:
        _, prediction = da3_export.package_inference(net, picture)
    want = np.asarray(prediction.depth[0], dtype=np.float32)
    if skies:
        # The nested preset's sky rule is a threshold (0.3) on the metric branch's output: a pixel
        # within SKY_MARGIN of it may fall on the other side in fp32 from another runtime, and then
        # holds the far depth instead of its own. Such pixels are reported apart.
        want = (want, np.abs(skies[0] - 0.3) < SKY_MARGIN)

    def got(out):
        shape = want[0].shape if isinstance(want, tuple) else want.shape
        return np.frombuffer(base64.b64decode(out["depth_data"]), dtype="<f4").reshape(shape)
    return "depth_anything", checkpoint, ("/inference/depth-anything", {"depth_format": "float32"}), got, want


def difference(got, want):
    """Largest difference relative to the largest expected value: arrays, or detections (scores and
    boxes, in order; a count that differs is reported as such); for a depth with a sky-threshold
    margin (want, borderline), the pixels off by more than 1e-3 of the largest depth, how many of
    them are borderline, and the difference over the other pixels."""
    if isinstance(want, tuple):
        want, borderline = want
        scale = max(1e-12, float(np.max(np.abs(want))))
        off = np.abs(got - want) / scale > 1e-3
        rest = float(np.max(np.abs(got - want)[~borderline])) / scale
        return (f"{float(np.max(np.abs(got - want))) / scale:.1e}; {int(off.sum())} of {off.size} pixels off, "
                f"{int((off & borderline).sum())} of them with the sky output within {SKY_MARGIN} of 0.3 "
                f"({int(borderline.sum())} such pixels); the others {rest:.1e}")
    if isinstance(want, np.ndarray):
        return f"{float(np.max(np.abs(got - want))) / max(1e-12, float(np.max(np.abs(want)))):.1e}"
    pairs = list(zip(got, want)) if isinstance(want, list) else [(got, want)]
    worst_score = worst_box = 0.0
    counts = []
    for g, w in pairs:
        counts.append(f"{len(g['scores'])}/{len(w['scores'])}")
        for a, b in zip(g["scores"], w["scores"]):
            worst_score = max(worst_score, abs(a - b))
        for a, b in zip(g["boxes"], w["boxes"]):
            worst_box = max(worst_box, max(abs(x - y) for x, y in zip(a, b)))
    return f"detections {' '.join(counts)}; scores {worst_score:.1e}, boxes {worst_box:.1e} px"


CASES = {"grounding_dino": grounding_dino_case, "sam3": sam3_case, "depth_anything_3": depth_anything_3_case}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "vision-models-api"))
    parser.add_argument("--graphs", default=os.path.join(ROOT, "graphs"))
    parser.add_argument("--only", default="")
    parser.add_argument("--exported", action="store_true", help="also load the same weights through export.py")
    args = parser.parse_args()
    from PIL import Image

    only = {n for n in args.only.split(",") if n}
    image = base64.b64encode(open(IMAGE, "rb").read()).decode()
    picture = Image.open(IMAGE).convert("RGB")
    names = [("grounding_dino", n) for n in ("grounding-dino-tiny", "grounding-dino-base")] + [("sam3", "sam3")]
    names += [("depth_anything_3", n) for n in DA3_PRESETS]
    for exporter, name in names:
        if only and name not in only:
            continue
        work = tempfile.mkdtemp(prefix="official-")
        try:
            family, checkpoint, request, got, want = CASES[exporter](name, work, picture)
            root = os.path.join(work, "root")
            hub = os.path.join(root, "content", "hf_cache", "hub")
            install(checkpoint, OFFICIAL_IDS[name], hub)
            weights = sum(os.path.getsize(os.path.join(checkpoint, f)) for f in os.listdir(checkpoint)
                          if f.endswith(".safetensors"))
            bound_s, bound_mb, result, graph = load_and_run(args.binary, root, args.graphs, OFFICIAL_IDS[name], image,
                                                            family, request, got)
            row = (f"| {name} | `{OFFICIAL_IDS[name]}` | {weights / 1e6:.0f} MB | {difference(result, want)} "
                   f"| {bound_s:.2f} s | {bound_mb[0]:.0f} MB | {bound_mb[1]:.0f} MB | {bound_mb[2]:.2f} s |")
            if args.exported:
                exported = os.path.join(work, "exported")
                env = dict(os.environ, SAM3_SINGLE_GRAPH="0")
                subprocess.run([sys.executable, os.path.join(ROOT, "tools", "export", "export.py"), exporter, checkpoint,
                                exported, "--fusion", "none"], check=True, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                install(exported, "bench/exported", hub)
                export_s, export_mb, _, _ = load_and_run(args.binary, root, args.graphs, "bench/exported", image, family,
                                                         request, got)
                row += f" {export_s:.2f} s | {export_mb[0]:.0f} MB | {export_mb[1]:.0f} MB |"
            print(row, f"({graph})", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
