"""Exports a model folder written by transformers' `save_pretrained` into a folder the server
loads (the onnx-community layout: onnx/model.onnx plus config and processor files).

    python3 tools/export/export.py <family> <transformers_model_folder> <output_repo_folder> [--opset 17]
    python3 tools/export/export.py <family> --from-hub <org/name> [--revision main] [--hf-root .]

With --from-hub the weights come from the Hugging Face hub through the server's cache
({hf_root}/content/hf_cache/hub, the same cache huggingface_hub uses) and the export is written to
the export store the server reads for repositories without ONNX graphs:
{hf_root}/content/onnx/<org>--<name>/<commit>/.

Families: dinov3 (DINOv3 ViT and ConvNeXt), depth_anything (Depth Anything V2, transformers'
DepthAnythingForDepthEstimation), depth_anything_3 (a folder the `depth-anything-3` package loads:
config.json naming a preset + model.safetensors; see da3_export.py), grounding_dino (transformers'
GroundingDinoForObjectDetection; a graph right for any number of phrases, see grounding_dino_export.py),
sam3 (transformers' Sam3Model: vision/text/decoder graphs and the single graph, see sam3_export.py;
SAM3_SINGLE_GRAPH=0 skips the single graph, which halves the export's memory for the 840 M-parameter model),
sam2 (transformers' Sam2Model and Sam3TrackerModel, click-to-segment: vision_encoder and
prompt_encoder_mask_decoder in the onnx-community layout, see sam2_export.py), embeddings (transformers'
CLIPModel and SiglipModel: vision_model and text_model as transformers.js's split export, see
embeddings_export.py),
image_classification (any transformers *ForImageClassification: pixel_values -> logits) and
object_detection (DETR-style detectors: pixel_values, pixel_mask -> logits, pred_boxes); see task_export.py.
After export the graph is run with ONNX Runtime on a random input and compared with PyTorch; the
export fails if they differ by more than --tolerance.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import variants  # noqa: E402

COMPANION_FILES = [
    "config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "merges.txt",
    "vocab.json",
    "spiece.model",
]


class DINOv3Wrapper(torch.nn.Module):
    """Returns the two outputs the server reads, as plain tensors."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        out = self.model(pixel_values=pixel_values)
        return out.last_hidden_state, out.pooler_output


def image_size_from_processor(folder):
    from processor_config import image_processor_config

    size = image_processor_config(folder).get("size", {})
    return (size["height"], size["width"]) if "height" in size else (224, 224)


def export_dinov3(src, dst, opset, tolerance):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(src).eval()
    kind = type(model).__name__
    if kind not in ("DINOv3ViTModel", "DINOv3ConvNextModel"):
        sys.exit(f"{src} holds a {kind}, not a DINOv3 ViT or ConvNeXt model")
    h, w = image_size_from_processor(src)
    example = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(0))
    wrapper = DINOv3Wrapper(model).eval()
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    path = os.path.join(onnx_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (example,), path, opset_version=opset, dynamo=False,
            input_names=["pixel_values"], output_names=["last_hidden_state", "pooler_output"],
            dynamic_axes={"pixel_values": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"},
                          "pooler_output": {0: "batch_size"}},
        )
        expected = [t.numpy() for t in wrapper(example)]
    # No register tokens traces to a Concat of an empty tensor, which OpenVINO refuses.
    from empty_concat import drop_empty_concat_inputs

    model = onnx.load(path)
    if drop_empty_concat_inputs(model):
        onnx.save(model, path)
    verify(path, {"pixel_values": example.numpy()}, expected, tolerance)
    return kind


def verify(path, feeds, expected, tolerance):
    """Checks the graph against PyTorch's outputs now, and records the check for the graphs derived
    from it (variants.py)."""
    checks.record(path, feeds, expected, lambda p, f, e: compare(p, f, e, tolerance))


def compare(path, feeds, expected, tolerance):
    for (name, a), b in zip(checks.run_named(path, feeds), expected):
        if a.shape != b.shape:
            sys.exit(f"export check failed: {name} has shape {list(a.shape)}, PyTorch gives {list(b.shape)}")
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
        print(f"  {name}: shape {list(a.shape)}, max |onnx - torch| = {diff:.2e} (values up to {scale:.3g})")
        if not diff <= tolerance * scale:
            sys.exit(f"export check failed: {name} differs by {diff} (> {tolerance} x {scale:.3g})")


class DepthAnythingWrapper(torch.nn.Module):
    """Depth Anything V2 with the head's output size computed from the input instead of through
    `int()`, which would freeze the traced graph to the example's size."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        head = model.head

        def head_forward(hidden_states, patch_height, patch_width):
            hidden_states = hidden_states[head.head_in_index]
            depth = head.conv1(hidden_states)
            size = (patch_height * head.patch_size, patch_width * head.patch_size)
            depth = torch.nn.functional.interpolate(depth, size, mode="bilinear", align_corners=True)
            depth = head.conv2(depth)
            depth = head.activation1(depth)
            depth = head.conv3(depth)
            depth = head.activation2(depth) * head.max_depth
            return depth.squeeze(dim=1)

        head.forward = head_forward

    def forward(self, pixel_values):
        return self.model(pixel_values=pixel_values).predicted_depth


def export_depth_anything(src, dst, opset, tolerance):
    from transformers import AutoModelForDepthEstimation

    model = AutoModelForDepthEstimation.from_pretrained(src).eval()
    kind = type(model).__name__
    if kind != "DepthAnythingForDepthEstimation":
        sys.exit(f"{src} holds a {kind}, not Depth Anything (V2)")
    wrapper = DepthAnythingWrapper(model).eval()
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    path = os.path.join(onnx_dir, "model.onnx")
    example = torch.randn(1, 3, 98, 126, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (example,), path, opset_version=opset, dynamo=False,
            input_names=["pixel_values"], output_names=["predicted_depth"],
            dynamic_axes={"pixel_values": {0: "batch_size", 2: "height", 3: "width"},
                          "predicted_depth": {0: "batch_size", 1: "height", 2: "width"}},
        )
        # The graph must follow the input size: check it on other sizes too, the last one the size a
        # 640x480 image is served at (518 short side), which is also what variants.py times.
        for shape in [(1, 3, 98, 126), (2, 3, 140, 84), (1, 3, 518, 686)]:
            x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
            verify(path, {"pixel_values": x.numpy()}, [wrapper(x).numpy()], tolerance)
    return kind


def export_depth_anything_3(src, dst, opset, tolerance):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import da3_export

    return da3_export.export(src, dst, opset, tolerance, verify)


def export_grounding_dino(src, dst, opset, tolerance):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import grounding_dino_export

    return grounding_dino_export.export(src, dst, opset, tolerance)


def export_sam3(src, dst, opset, tolerance):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sam3_export

    return sam3_export.export(src, dst, opset, tolerance, single_graph=os.environ.get("SAM3_SINGLE_GRAPH", "1") != "0")


def export_sam2(src, dst, opset, tolerance):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sam2_export

    return sam2_export.export(src, dst, opset, tolerance)


def export_embeddings(src, dst, opset, tolerance):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import embeddings_export

    return embeddings_export.export(src, dst, opset, tolerance)


def export_image_classification(src, dst, opset, tolerance):
    import task_export

    return task_export.export_image_classification(src, dst, opset, tolerance, verify)


def export_object_detection(src, dst, opset, tolerance):
    import task_export

    return task_export.export_object_detection(src, dst, opset, tolerance, verify)


EXPORTERS = {"dinov3": export_dinov3, "depth_anything": export_depth_anything,
             "depth_anything_3": export_depth_anything_3, "grounding_dino": export_grounding_dino,
             "sam3": export_sam3, "sam2": export_sam2, "embeddings": export_embeddings, "image_classification": export_image_classification,
             "object_detection": export_object_detection}


def finish_depth_anything_3(dst):
    import da3_export

    da3_export.finish(dst)


# Steps after fusion and variants, per family.
FINISHERS = {"depth_anything_3": finish_depth_anything_3}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("family", choices=sorted(EXPORTERS))
    parser.add_argument("model_folder", nargs="?")
    parser.add_argument("output_folder", nargs="?")
    parser.add_argument("--from-hub", metavar="REPO_ID", help="download the weights from the hub into the cache")
    parser.add_argument("--revision", default="main")
    parser.add_argument("--hf-root", default=os.environ.get("HF_ROOT_FOLDER", "."),
                        help="the server's HF_ROOT_FOLDER (default: $HF_ROOT_FOLDER or .)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--variants", default="", help="comma-separated variants to write beside each graph: "
                        "quantized (int8 dynamic, <graph>_quantized.onnx), fp16 (<graph>_fp16.onnx)")
    parser.add_argument("--fusion", choices=["all", "attention", "none"], default="all",
                        help="graph rewrites after the export checks: all (attention fusion, then ONNX Runtime's "
                        "transformer optimiser), attention (the attention fusion only: minutes faster on the "
                        "largest graphs) or none (the plain traced graphs)")
    parser.add_argument("--timing-runs", type=int, default=3,
                        help="runs per graph when timing the fused graph and the variants (default 3)")
    args = parser.parse_args()
    if args.from_hub:
        from huggingface_hub import snapshot_download

        cache = os.path.join(args.hf_root, "content", "hf_cache", "hub")
        args.model_folder = snapshot_download(args.from_hub, revision=args.revision, cache_dir=cache,
                                              allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model"])
        commit = os.path.basename(os.path.normpath(args.model_folder))
        args.output_folder = os.path.join(args.hf_root, "content", "onnx", args.from_hub.replace("/", "--"), commit)
    elif not (args.model_folder and args.output_folder):
        parser.error("give <model_folder> <output_folder>, or --from-hub <repo_id>")
    os.makedirs(args.output_folder, exist_ok=True)
    # Companion files first: an exporter may rewrite one (depth_anything_3 extends config.json).
    for name in COMPANION_FILES:
        src = os.path.join(args.model_folder, name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(args.output_folder, name))
    kind = EXPORTERS[args.family](args.model_folder, args.output_folder, args.opset, args.tolerance)
    wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
    report = variants.finish(args.output_folder, args.family, wanted, fusion=args.fusion,
                             runs=max(1, args.timing_runs))
    if args.family in FINISHERS:
        FINISHERS[args.family](args.output_folder)
    marker = os.path.join(args.output_folder, "vision_models_api.json")
    info = {"family": args.family, "exporter": "tools/export/export.py"}
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
    info["optimization"] = report
    with open(marker, "w") as f:
        json.dump(info, f, indent=1)
    print(f"exported {kind} from {args.model_folder} to {args.output_folder}")


if __name__ == "__main__":
    main()
