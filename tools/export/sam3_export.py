"""SAM3 (transformers' Sam3Model, text prompts) to ONNX: a split export and the single graph.

    onnx/vision_encoder.onnx  pixel_values [B, 3, S, S] → fpn_hidden_states_{0,1,2},
                              fpn_position_encoding_{0,1,2} (the three FPN levels the detector uses)
    onnx/text_encoder.onnx    input_ids, attention_mask [P, 32] → text_features [P, 32, D]
    onnx/decoder.onnx         the six vision tensors (batch = prompts), text_features,
                              attention_mask → pred_logits [P, Q], pred_boxes [P, Q, 4] (x1 y1 x2 y2,
                              relative), pred_masks [P, Q, h, w], presence_logits [P, 1]
    onnx/model.onnx           pixel_values, input_ids, attention_mask → the same four outputs

So N prompts on one image cost one vision pass, one text pass per distinct prompt and one decoder
pass for all prompts (the image features repeated per prompt). Each graph is checked against
transformers at batch sizes 1 and 3; the image size is the model's (fixed).
"""
import json
import os

import checks
import numpy as np
import torch
from transformers.modeling_outputs import BaseModelOutputWithPooling

LEVELS = 3
OUTPUTS = ["pred_logits", "pred_boxes", "pred_masks", "presence_logits"]


class VisionEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        out = self.model.vision_encoder(pixel_values)
        return tuple(out.fpn_hidden_states[:LEVELS]) + tuple(out.fpn_position_encoding[:LEVELS])


class TextEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.get_text_features(input_ids=input_ids, attention_mask=attention_mask).pooler_output


def _outputs(out):
    return out.pred_logits, out.pred_boxes, out.pred_masks, out.presence_logits


class Decoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, h0, h1, h2, p0, p1, p2, text_features, attention_mask):
        from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

        # The model drops the last FPN level; a placeholder stands in for it.
        vision = Sam3VisionEncoderOutput(fpn_hidden_states=(h0, h1, h2, h2), fpn_position_encoding=(p0, p1, p2, p2))
        out = self.model(vision_embeds=vision, text_embeds=BaseModelOutputWithPooling(pooler_output=text_features),
                         attention_mask=attention_mask)
        return _outputs(out)


class SingleGraph(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values, input_ids, attention_mask):
        return _outputs(self.model(pixel_values=pixel_values, input_ids=input_ids, attention_mask=attention_mask))


def _check(name, path, feeds, expected, tolerance):
    """ONNX Runtime against PyTorch, recorded for the graphs derived from this one (checks.py). A
    graph drops inputs it never uses (the decoder reads only some FPN levels): it is fed what it lists."""
    checks.record(path, feeds, expected, lambda p, f, e: _compare(name, checks.run_graph(p, f), e, tolerance))


def _compare(name, got, expected, tolerance):
    for i, (a, b) in enumerate(zip(got, expected)):
        if a.shape != b.shape:
            raise SystemExit(f"export check failed: {name} output {i} has shape {list(a.shape)}, PyTorch {list(b.shape)}")
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
        print(f"  {name}[{i}]: shape {list(a.shape)}, max |onnx - torch| = {diff:.2e}")
        if not diff <= tolerance * scale:
            raise SystemExit(f"export check failed: {name} output {i} differs by {diff}")


def export(src, dst, opset, tolerance, single_graph=True):
    from transformers import AutoProcessor, Sam3Model

    model = Sam3Model.from_pretrained(src).eval()
    processor = AutoProcessor.from_pretrained(src)
    size = model.config.vision_config.backbone_config.image_size
    size = size if isinstance(size, int) else size[0]
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)

    def text(prompts):
        enc = processor.tokenizer(prompts, padding="max_length", max_length=32, return_tensors="pt")
        return enc["input_ids"], enc["attention_mask"]

    pixels = torch.randn(1, 3, size, size, generator=g)
    ids, mask = text(["a cat"])
    vision, text_enc, decoder = VisionEncoder(model).eval(), TextEncoder(model).eval(), Decoder(model).eval()
    level_names = [f"fpn_hidden_states_{i}" for i in range(LEVELS)] + [f"fpn_position_encoding_{i}" for i in range(LEVELS)]
    batch = {"0": "batch_size"}
    with torch.no_grad():
        feats = vision(pixels)
        text_features = text_enc(ids, mask)
        torch.onnx.export(vision, (pixels,), os.path.join(onnx_dir, "vision_encoder.onnx"), opset_version=opset,
                          dynamo=False, input_names=["pixel_values"], output_names=level_names,
                          dynamic_axes={n: {0: "batch_size"} for n in ["pixel_values"] + level_names})
        torch.onnx.export(text_enc, (ids, mask), os.path.join(onnx_dir, "text_encoder.onnx"), opset_version=opset,
                          dynamo=False, input_names=["input_ids", "attention_mask"], output_names=["text_features"],
                          dynamic_axes={n: {0: "batch_size"} for n in ["input_ids", "attention_mask", "text_features"]})
        torch.onnx.export(decoder, tuple(feats) + (text_features, mask), os.path.join(onnx_dir, "decoder.onnx"),
                          opset_version=opset, dynamo=False, input_names=level_names + ["text_features", "attention_mask"],
                          output_names=OUTPUTS,
                          dynamic_axes={n: {0: "batch_size"} for n in level_names + ["text_features", "attention_mask"] + OUTPUTS})
        if single_graph:
            torch.onnx.export(SingleGraph(model).eval(), (pixels, ids, mask), os.path.join(onnx_dir, "model.onnx"),
                              opset_version=opset, dynamo=False,
                              input_names=["pixel_values", "input_ids", "attention_mask"], output_names=OUTPUTS,
                              dynamic_axes={n: {0: "batch_size"}
                                            for n in ["pixel_values", "input_ids", "attention_mask"] + OUTPUTS})
        del batch
        # Checks at batch 3 (three prompts on one image: vision features repeated, as the server runs it).
        prompts = ["a cat", "remote control", "the red ball on a table"]
        ids3, mask3 = text(prompts)
        pixels3 = torch.randn(1, 3, size, size, generator=g)
        feats1 = vision(pixels3)
        _check("vision_encoder", os.path.join(onnx_dir, "vision_encoder.onnx"), {"pixel_values": pixels3.numpy()},
               [t.numpy() for t in feats1], tolerance)
        t3 = text_enc(ids3, mask3)
        _check("text_encoder", os.path.join(onnx_dir, "text_encoder.onnx"),
               {"input_ids": ids3.numpy(), "attention_mask": mask3.numpy()}, [t3.numpy()], tolerance)
        feats3 = [f.expand(3, *f.shape[1:]).contiguous() for f in feats1]
        feeds = {n: f.numpy() for n, f in zip(level_names, feats3)}
        feeds.update({"text_features": t3.numpy(), "attention_mask": mask3.numpy()})
        # transformers' own forward from the same image embedding (vision_embeds) and each prompt's ids.
        from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput
        full = model.vision_encoder(pixels3)
        vision = Sam3VisionEncoderOutput(fpn_hidden_states=tuple(f.expand(3, *f.shape[1:]) for f in full.fpn_hidden_states),
                                         fpn_position_encoding=tuple(f.expand(3, *f.shape[1:])
                                                                     for f in full.fpn_position_encoding))
        expected = [t.numpy() for t in _outputs(model(vision_embeds=vision, input_ids=ids3, attention_mask=mask3))]
        _check("decoder", os.path.join(onnx_dir, "decoder.onnx"), feeds, expected, tolerance)
        if single_graph:
            single = [t.numpy() for t in SingleGraph(model)(pixels3, ids3[:1], mask3[:1])]
            _check("model", os.path.join(onnx_dir, "model.onnx"),
                   {"pixel_values": pixels3.numpy(), "input_ids": ids3[:1].numpy(), "attention_mask": mask3[:1].numpy()},
                   single, tolerance)
    with open(os.path.join(dst, "vision_models_api.json"), "w") as f:
        json.dump({"family": "sam3", "exporter": "tools/export/export.py", "image_size": size, "text_length": 32,
                   "graphs": dict({"vision_encoder": "onnx/vision_encoder.onnx", "text_encoder": "onnx/text_encoder.onnx",
                                   "decoder": "onnx/decoder.onnx"}, **({"single": "onnx/model.onnx"} if single_graph else {}))},
                  f, indent=1)
    return type(model).__name__
