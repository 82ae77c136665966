"""Image–text dual encoders (transformers' CLIPModel, SiglipModel, Siglip2Model) to ONNX in the
layout transformers.js's split export writes, so the server reads both alike:

    onnx/vision_model.onnx  pixel_values [B, 3, S, S] -> image_embeds [B, D] (CLIP; pooler_output for SigLIP)
                            SigLIP 2 NaFlex: pixel_values [B, N, 3·P·P] (patches), pixel_attention_mask
                            [B, N] and spatial_shapes [B, 2] -> pooler_output [B, D]
    onnx/text_model.onnx    input_ids [B, L] -> text_embeds [B, D] (CLIP; pooler_output for SigLIP, which
                            also takes attention_mask [B, L] when its tokenizer returns one:
                            transformers' SigLIP pipeline then masks the padding, which transformers.js's
                            input_ids-only graph cannot; SigLIP 2's Gemma tokenizer returns none)

The trained logit scale (before exp) and bias go into vision_models_api.json (the split graphs do
not carry them). Each graph is checked against the model's get_image_features / get_text_features
at batch sizes 1 and 3.
"""
import json
import os

import checks
import torch


def _pooled(out):
    return out.pooler_output if hasattr(out, "pooler_output") else out


class Vision(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return _pooled(self.model.get_image_features(pixel_values=pixel_values))


class NaFlexVision(torch.nn.Module):
    """SigLIP 2's vision tower on the NaFlex processor's outputs (patches padded to N, their mask
    and each image's patch grid; transformers resizes the position embeddings to the grid with
    tensor arithmetic, so the grid stays an input of the graph)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values, pixel_attention_mask, spatial_shapes):
        return _pooled(self.model.get_image_features(pixel_values=pixel_values, pixel_attention_mask=pixel_attention_mask,
                                                     spatial_shapes=spatial_shapes))


def _naflex_images(processor):
    """Random images of three shapes through the NaFlex processor: patches, mask and grids differ per image."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in ((90, 151), (160, 96), (37, 53))]
    return processor.image_processor(images=images, return_tensors="pt")


def _export_naflex_vision(model, processor, path, opset, tolerance):
    vision = NaFlexVision(model).eval()
    batch = _naflex_images(processor)
    names = ["pixel_values", "pixel_attention_mask", "spatial_shapes"]
    values = [batch[n] for n in names]
    torch.onnx.export(vision, tuple(v[:1] for v in values), path, opset_version=opset, dynamo=False,
                      input_names=names, output_names=["pooler_output"],
                      dynamic_axes={"pixel_values": {0: "batch_size", 1: "num_patches"},
                                    "pixel_attention_mask": {0: "batch_size", 1: "num_patches"},
                                    "spatial_shapes": {0: "batch_size"}, "pooler_output": {0: "batch_size"}})
    for n in (1, 3):
        checks.check_outputs(f"vision_model (batch {n})", path, {k: v[:n].numpy() for k, v in zip(names, values)},
                             [vision(*(v[:n] for v in values)).numpy()], tolerance)


class Text(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask=None):
        return _pooled(self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask))


def export(src, dst, opset, tolerance):
    from transformers import AutoModel, AutoProcessor

    model = AutoModel.from_pretrained(src).eval()
    processor = AutoProcessor.from_pretrained(src)
    siglip = model.config.model_type.startswith("siglip")
    naflex = model.config.model_type == "siglip2"
    size = None if naflex else model.config.vision_config.image_size
    image_out, text_out = ("pooler_output", "pooler_output") if siglip else ("image_embeds", "text_embeds")
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    texts = ["a photo of a cat", "two dogs playing in the snow", "a red car"]
    kwargs = {"padding": "max_length", "max_length": 64, "truncation": True} if siglip else {"padding": True}
    encoded = processor.tokenizer(texts, return_tensors="pt", **kwargs)
    ids = encoded["input_ids"]
    # The text graph takes the mask when the pipeline passes one (its tokenizer returns it).
    masked = siglip and "attention_mask" in encoded
    mask = encoded["attention_mask"] if masked else None
    text_inputs = ["input_ids", "attention_mask"] if masked else ["input_ids"]
    vision, text = Vision(model).eval(), Text(model).eval()
    vision_path, text_path = os.path.join(onnx_dir, "vision_model.onnx"), os.path.join(onnx_dir, "text_model.onnx")
    with torch.no_grad():
        if naflex:
            _export_naflex_vision(model, processor, vision_path, opset, tolerance)
        else:
            pixels = torch.randn(3, 3, size, size, generator=g)
            torch.onnx.export(vision, (pixels[:1],), vision_path, opset_version=opset, dynamo=False,
                              input_names=["pixel_values"], output_names=[image_out],
                              dynamic_axes={"pixel_values": {0: "batch_size"}, image_out: {0: "batch_size"}})
        text_args = (ids[:1], mask[:1]) if masked else (ids[:1],)
        torch.onnx.export(text, text_args, text_path, opset_version=opset, dynamo=False,
                          input_names=text_inputs, output_names=[text_out],
                          dynamic_axes=dict({n: {0: "batch_size", 1: "sequence_length"} for n in text_inputs},
                                            **{text_out: {0: "batch_size"}}))
        for n in (1, 3):
            if not naflex:
                checks.check_outputs(f"vision_model (batch {n})", vision_path, {"pixel_values": pixels[:n].numpy()},
                                     [vision(pixels[:n]).numpy()], tolerance)
            feeds = {"input_ids": ids[:n].numpy()}
            if masked:
                feeds["attention_mask"] = mask[:n].numpy()
            want = text(ids[:n], mask[:n]) if masked else text(ids[:n])
            checks.check_outputs(f"text_model (batch {n})", text_path, feeds, [want.numpy()], tolerance)
    bias = getattr(model, "logit_bias", None)
    with open(os.path.join(dst, "vision_models_api.json"), "w") as f:
        json.dump({"family": "embeddings", "exporter": "tools/export/export.py", "image_size": size,
                   "logit_scale": float(model.logit_scale.detach().reshape(-1)[0]),
                   "logit_bias": None if bias is None else float(bias.detach().reshape(-1)[0]),
                   "graphs": {"vision_model": "onnx/vision_model.onnx", "text_model": "onnx/text_model.onnx"}}, f, indent=1)
    return type(model).__name__
