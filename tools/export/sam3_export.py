"""SAM3 (transformers' Sam3Model, text prompts) to ONNX: a split export and the single graph.

    onnx/vision_encoder.onnx  pixel_values [B, 3, S, S] → fpn_hidden_states_{0,1,2},
                              fpn_position_encoding_{0,1,2} (the three FPN levels the detector uses)
    onnx/text_encoder.onnx    input_ids, attention_mask [P, 32] → text_features [P, 32, D]
    onnx/decoder.onnx         the six vision tensors (batch = prompts), text_features,
                              attention_mask → pred_logits [P, Q], pred_boxes [P, Q, 4] (x1 y1 x2 y2,
                              relative), pred_masks [P, Q, h, w], presence_logits [P, 1]
    onnx/box_decoder.onnx     the decoder's inputs and input_boxes [P, K, 4] (cx cy w h relative to
                              the original image, as Sam3Processor makes them), input_boxes_labels
                              [P, K] (1 positive, 0 negative, -10 padding) → the same four outputs:
                              box exemplars through the geometry encoder, with or without text
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

from patching import swapped

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


class _RoiAlign(torch.autograd.Function):
    """torchvision's roi_align (spatial scale 1, adaptive sampling, aligned=False) on rois [R, 4]
    with their batch index [R]: eager through torchvision's pure-PyTorch version (not its lazily
    compiled wrapper, which tracing cannot enter), in the graph as ONNX's RoiAlign with the same
    legacy coordinates ("output_half_pixel") and adaptive sampling (sampling_ratio 0)."""

    @staticmethod
    def forward(ctx, features, rois, batch_index, height, width):
        import importlib

        module = importlib.import_module("torchvision.ops.roi_align")  # the module, not the function it exports
        impl = getattr(module._roi_align, "__wrapped__", module._roi_align)
        return impl(features, torch.cat([batch_index[:, None].to(rois.dtype), rois], dim=1), 1.0, height, width, -1,
                    False)

    @staticmethod
    def symbolic(g, features, rois, batch_index, height, width):
        return g.op("RoiAlign", features, rois, batch_index, output_height_i=height, output_width_i=width,
                    sampling_ratio_i=0, spatial_scale_f=1.0, mode_s="avg",
                    coordinate_transformation_mode_s="output_half_pixel")


def _encode_boxes(self, boxes, boxes_mask, boxes_labels, vision_features):
    """Sam3GeometryEncoder._encode_boxes with the ROI pooling over [B·K] rois and their batch
    indices taken from the tensors (the batch and box counts stay dynamic in the graph)."""
    from transformers.models.sam3.modeling_sam3 import box_cxcywh_to_xyxy

    height, width = vision_features.shape[-2:]
    embed = self.boxes_direct_project(boxes)
    scale = torch.stack([torch.ones_like(boxes[0, 0, 0]) * width, torch.ones_like(boxes[0, 0, 0]) * height] * 2)
    corners = box_cxcywh_to_xyxy(boxes) * scale
    batch_index = (torch.ones_like(boxes[..., 0], dtype=torch.long).cumsum(0) - 1).reshape(-1)
    size = self.roi_size if isinstance(self.roi_size, (tuple, list)) else (self.roi_size, self.roi_size)
    pooled = _RoiAlign.apply(vision_features, corners.reshape(-1, 4), batch_index, int(size[0]), int(size[1]))
    embed = embed + self.boxes_pool_project(pooled).reshape(embed.shape)
    cx, cy, w, h = boxes.unbind(-1)
    position = self._encode_box_coordinates(cx.flatten(), cy.flatten(), w.flatten(), h.flatten())
    embed = embed + self.boxes_pos_enc_project(position.reshape(boxes.shape[0], boxes.shape[1], -1))
    return self.label_embed(boxes_labels.long()) + embed, boxes_mask


def traceable():
    from transformers.models.sam3 import modeling_sam3

    return swapped([(modeling_sam3.Sam3GeometryEncoder, "_encode_boxes", _encode_boxes)])


class BoxDecoder(torch.nn.Module):
    """The decoder with visual exemplars: the geometry encoder's prompt tokens after the text's."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, h0, h1, h2, p0, p1, p2, text_features, attention_mask, input_boxes, input_boxes_labels):
        from transformers.models.sam3.modeling_sam3 import Sam3VisionEncoderOutput

        vision = Sam3VisionEncoderOutput(fpn_hidden_states=(h0, h1, h2, h2), fpn_position_encoding=(p0, p1, p2, p2))
        out = self.model(vision_embeds=vision, text_embeds=BaseModelOutputWithPooling(pooler_output=text_features),
                         attention_mask=attention_mask, input_boxes=input_boxes, input_boxes_labels=input_boxes_labels)
        return _outputs(out)


class SingleGraph(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values, input_ids, attention_mask):
        return _outputs(self.model(pixel_values=pixel_values, input_ids=input_ids, attention_mask=attention_mask))


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
        example_boxes = torch.tensor([[[0.5, 0.5, 0.4, 0.3], [0.3, 0.6, 0.2, 0.2]]])
        example_labels = torch.tensor([[1, 0]])
        box_inputs = ["input_boxes", "input_boxes_labels"]
        with traceable():
            torch.onnx.export(BoxDecoder(model).eval(), tuple(feats) + (text_features, mask, example_boxes, example_labels),
                          os.path.join(onnx_dir, "box_decoder.onnx"), opset_version=max(opset, 16), dynamo=False,
                          input_names=level_names + ["text_features", "attention_mask"] + box_inputs, output_names=OUTPUTS,
                          dynamic_axes=dict({n: {0: "batch_size"} for n in level_names + ["text_features", "attention_mask"] + OUTPUTS},
                                            input_boxes={0: "batch_size", 1: "boxes"},
                                            input_boxes_labels={0: "batch_size", 1: "boxes"}))
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
        checks.check_outputs("vision_encoder", os.path.join(onnx_dir, "vision_encoder.onnx"), {"pixel_values": pixels3.numpy()},
               [t.numpy() for t in feats1], tolerance)
        t3 = text_enc(ids3, mask3)
        checks.check_outputs("text_encoder", os.path.join(onnx_dir, "text_encoder.onnx"),
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
        checks.check_outputs("decoder", os.path.join(onnx_dir, "decoder.onnx"), feeds, expected, tolerance)
        # Box exemplars: three boxes (a negative among them) on the three prompts, then one box alone.
        for boxes, labels in [([[0.5, 0.5, 0.4, 0.3], [0.3, 0.6, 0.2, 0.2], [0.7, 0.3, 0.3, 0.5]], [1, 0, 1]),
                              ([[0.4, 0.4, 0.5, 0.5]], [1])]:
            b = torch.tensor([boxes] * 3, dtype=torch.float32)
            lab = torch.tensor([labels] * 3, dtype=torch.int64)
            want = [t.numpy() for t in _outputs(model(vision_embeds=vision, input_ids=ids3, attention_mask=mask3,
                                                      input_boxes=b, input_boxes_labels=lab))]
            checks.check_outputs(f"box_decoder ({len(boxes)} boxes)", os.path.join(onnx_dir, "box_decoder.onnx"),
                   dict(feeds, input_boxes=b.numpy(), input_boxes_labels=lab.numpy()), want, tolerance)
        if single_graph:
            single = [t.numpy() for t in SingleGraph(model)(pixels3, ids3[:1], mask3[:1])]
            checks.check_outputs("model", os.path.join(onnx_dir, "model.onnx"),
                   {"pixel_values": pixels3.numpy(), "input_ids": ids3[:1].numpy(), "attention_mask": mask3[:1].numpy()},
                   single, tolerance)
    with open(os.path.join(dst, "vision_models_api.json"), "w") as f:
        json.dump({"family": "sam3", "exporter": "tools/export/export.py", "image_size": size, "text_length": 32,
                   "graphs": dict({"vision_encoder": "onnx/vision_encoder.onnx", "text_encoder": "onnx/text_encoder.onnx",
                                   "decoder": "onnx/decoder.onnx", "box_decoder": "onnx/box_decoder.onnx"},
                                  **({"single": "onnx/model.onnx"} if single_graph else {}))},
                  f, indent=1)
    return type(model).__name__
