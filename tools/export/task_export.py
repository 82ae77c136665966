"""Exporters for the Hugging Face task families: image classification (`*ForImageClassification`,
`pixel_values` -> `logits`) and DETR-style object detection (`pixel_values`, `pixel_mask` ->
`logits`, `pred_boxes`), in the onnx-community layout (onnx/model.onnx). Each graph is checked
against PyTorch on random inputs (several sizes where the graph must follow the input size).
"""
import os
import sys

import torch


class _Logits(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model(pixel_values=pixel_values).logits


class _Detections(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values, pixel_mask):
        out = self.model(pixel_values=pixel_values, pixel_mask=pixel_mask)
        return out.logits, out.pred_boxes


def _size(src, fallback):
    import json

    for name in ("preprocessor_config.json", "processor_config.json"):
        path = os.path.join(src, name)
        if os.path.exists(path):
            with open(path) as f:
                size = json.load(f).get("size", {})
            if "height" in size:
                return size["height"], size["width"]
            if "shortest_edge" in size:
                return size["shortest_edge"], size.get("longest_edge", size["shortest_edge"])
    return fallback


def export_image_classification(src, dst, opset, tolerance, verify):
    from transformers import AutoModelForImageClassification

    model = AutoModelForImageClassification.from_pretrained(src).eval()
    kind = type(model).__name__
    if not kind.endswith("ForImageClassification"):
        sys.exit(f"{src} holds a {kind}, not an image classifier")
    h, w = _size(src, (224, 224))
    wrapper = _Logits(model).eval()
    path = os.path.join(dst, "onnx", "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    example = torch.randn(2, 3, h, w, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.onnx.export(wrapper, (example,), path, opset_version=opset, dynamo=False,
                          input_names=["pixel_values"], output_names=["logits"],
                          dynamic_axes={"pixel_values": {0: "batch_size"}, "logits": {0: "batch_size"}})
        for batch in (2, 1):
            x = torch.randn(batch, 3, h, w, generator=torch.Generator().manual_seed(batch))
            verify(path, {"pixel_values": x.numpy()}, [wrapper(x).numpy()], tolerance)
    return kind


def export_object_detection(src, dst, opset, tolerance, verify):
    from transformers import AutoModelForObjectDetection

    model = AutoModelForObjectDetection.from_pretrained(src).eval()
    kind = type(model).__name__
    if kind not in ("DetrForObjectDetection", "ConditionalDetrForObjectDetection", "DeformableDetrForObjectDetection",
                    "TableTransformerForObjectDetection"):
        sys.exit(f"{src} holds a {kind}; the object_detection exporter takes DETR-style detectors")
    shortest, longest = _size(src, (800, 1333))
    wrapper = _Detections(model).eval()
    path = os.path.join(dst, "onnx", "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)

    def inputs(batch, h, w, seed, pad=0):
        x = torch.randn(batch, 3, h, w, generator=torch.Generator().manual_seed(seed))
        mask = torch.ones(batch, h, w, dtype=torch.int64)
        if pad:
            mask[-1, :, w - pad:] = 0  # the last image padded on the right, as a batch of two sizes is
        return x, mask
    example = inputs(1, shortest, longest, 0)
    with torch.no_grad():
        torch.onnx.export(wrapper, example, path, opset_version=opset, dynamo=False,
                          input_names=["pixel_values", "pixel_mask"], output_names=["logits", "pred_boxes"],
                          dynamic_axes={"pixel_values": {0: "batch_size", 2: "height", 3: "width"},
                                        "pixel_mask": {0: "batch_size", 1: "height", 2: "width"},
                                        "logits": {0: "batch_size"}, "pred_boxes": {0: "batch_size"}})
        # The graph must follow the input size and the mask.
        for batch, h, w, pad in [(1, shortest, longest, 0), (1, longest, shortest, 0), (2, shortest + 8, shortest, 16)]:
            x, mask = inputs(batch, h, w, h + w, pad)
            verify(path, {"pixel_values": x.numpy(), "pixel_mask": mask.numpy()},
                   [t.numpy() for t in wrapper(x, mask)], tolerance)
    return kind
