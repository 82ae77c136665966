"""Image–text dual encoders (transformers' CLIPModel, SiglipModel) to ONNX in the layout
transformers.js's split export writes, so the server reads both alike:

    onnx/vision_model.onnx  pixel_values [B, 3, S, S] -> image_embeds [B, D] (CLIP; pooler_output for SigLIP)
    onnx/text_model.onnx    input_ids [B, L] -> text_embeds [B, D] (CLIP; pooler_output for SigLIP, which
                            also takes attention_mask [B, L]: transformers' SigLIP pipeline masks the
                            padding, which transformers.js's input_ids-only graph cannot)

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
    size = model.config.vision_config.image_size
    image_out, text_out = ("pooler_output", "pooler_output") if siglip else ("image_embeds", "text_embeds")
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    texts = ["a photo of a cat", "two dogs playing in the snow", "a red car"]
    kwargs = {"padding": "max_length", "max_length": 64, "truncation": True} if siglip else {"padding": True}
    encoded = processor.tokenizer(texts, return_tensors="pt", **kwargs)
    ids, mask = encoded["input_ids"], encoded["attention_mask"]
    text_inputs = ["input_ids", "attention_mask"] if siglip else ["input_ids"]
    pixels = torch.randn(3, 3, size, size, generator=g)
    vision, text = Vision(model).eval(), Text(model).eval()
    vision_path, text_path = os.path.join(onnx_dir, "vision_model.onnx"), os.path.join(onnx_dir, "text_model.onnx")
    with torch.no_grad():
        torch.onnx.export(vision, (pixels[:1],), vision_path, opset_version=opset, dynamo=False,
                          input_names=["pixel_values"], output_names=[image_out],
                          dynamic_axes={"pixel_values": {0: "batch_size"}, image_out: {0: "batch_size"}})
        text_args = (ids[:1], mask[:1]) if siglip else (ids[:1],)
        torch.onnx.export(text, text_args, text_path, opset_version=opset, dynamo=False,
                          input_names=text_inputs, output_names=[text_out],
                          dynamic_axes=dict({n: {0: "batch_size", 1: "sequence_length"} for n in text_inputs},
                                            **{text_out: {0: "batch_size"}}))
        for n in (1, 3):
            checks.check_outputs(f"vision_model (batch {n})", vision_path, {"pixel_values": pixels[:n].numpy()},
                                 [vision(pixels[:n]).numpy()], tolerance)
            feeds = {"input_ids": ids[:n].numpy(), "attention_mask": mask[:n].numpy()}
            want = text(ids[:n], mask[:n]) if siglip else text(ids[:n])
            checks.check_outputs(f"text_model (batch {n})", text_path, feeds, [want.numpy()], tolerance)
    bias = getattr(model, "logit_bias", None)
    with open(os.path.join(dst, "vision_models_api.json"), "w") as f:
        json.dump({"family": "embeddings", "exporter": "tools/export/export.py", "image_size": size,
                   "logit_scale": float(model.logit_scale.detach().reshape(-1)[0]),
                   "logit_bias": None if bias is None else float(bias.detach().reshape(-1)[0]),
                   "graphs": {"vision_model": "onnx/vision_model.onnx", "text_model": "onnx/text_model.onnx"}}, f, indent=1)
    return type(model).__name__
