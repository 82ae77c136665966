"""Click-to-segment models (transformers' Sam2Model for SAM 2 / 2.1, Sam3TrackerModel for the tracker
inside facebook/sam3) to ONNX in the onnx-community layout transformers.js reads:

    onnx/vision_encoder.onnx               pixel_values [B, 3, S, S] -> image_embeddings.0/1/2 (the
                                           model's get_image_embeddings: high-resolution features
                                           already projected, the last level with the no-memory
                                           embedding added)
    onnx/prompt_encoder_mask_decoder.onnx  input_points [B, P, N, 2] (pixels of the S x S input),
                                           input_labels [B, P, N] (1 positive, 0 negative, -10
                                           padding), input_boxes [B, P or 0, 4] and the three
                                           embeddings -> iou_scores [B, P, 3], pred_masks
                                           [B, P, 3, h, w] (logits), object_score_logits [B, P, 1]

The decoder takes the calling convention of transformers.js's Sam2Model: points only with
input_boxes [B, 0, 4]; boxes only with input_points [B, 1, 0, 2] and input_labels [B, P, 0]; both
with one box per object. Inside, a box is its two corners as points labelled 2 and 3 and every
object ends with the "not a point" padding token: the same embeddings transformers'
Sam2PromptEncoder makes for each of the three cases (checked below against Sam2Model's forward).
"""
import json
import os

import checks
import numpy as np
import torch

OUTPUTS = ["iou_scores", "pred_masks", "object_score_logits"]


class VisionEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return tuple(self.model.get_image_embeddings(pixel_values))


class PromptEncoderMaskDecoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_points, input_labels, input_boxes, emb0, emb1, emb2):
        model = self.model
        batch = emb2.shape[0]
        objects = torch.maximum(torch.tensor(input_points.shape[1]), torch.tensor(input_boxes.shape[1]))
        objects = torch.maximum(objects, torch.tensor(input_labels.shape[1]))
        points = input_points.expand(batch, objects, input_points.shape[2], 2)
        labels = input_labels.to(torch.int64).expand(batch, objects, input_labels.shape[2])
        # A box as its two corners (labels 2 and 3); no boxes: no corners.
        corners = input_boxes.reshape(batch, objects, -1, 2)
        corner_labels = (torch.arange(corners.shape[2]) % 2 + 2).reshape(1, 1, -1).expand(batch, objects, -1)
        points = torch.cat([points, corners], dim=2)
        labels = torch.cat([labels, corner_labels], dim=2)
        sparse = model.prompt_encoder._embed_points(points, labels, pad=True)
        size = model.prompt_encoder.image_embedding_size
        dense = model.prompt_encoder.no_mask_embed.weight.reshape(1, -1, 1, 1).expand(batch, -1, size[0], size[1])
        positional = model.get_image_wide_positional_embeddings().repeat(batch, 1, 1, 1)
        masks, iou, _, object_scores = model.mask_decoder(
            image_embeddings=emb2, image_positional_embeddings=positional, sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense, multimask_output=True, high_resolution_features=[emb0, emb1])
        return iou, masks, object_scores


def prompt_cases(size):
    """(name, points, labels, boxes) in the decoder's convention, and the same for Sam2Model."""
    s = float(size)
    pts = torch.tensor([[[[0.3 * s, 0.4 * s], [0.6 * s, 0.5 * s]], [[0.7 * s, 0.2 * s], [-10.0, -10.0]]]])
    lab = torch.tensor([[[1, 0], [1, -10]]])
    boxes = torch.tensor([[[0.1 * s, 0.2 * s, 0.6 * s, 0.7 * s], [0.4 * s, 0.1 * s, 0.9 * s, 0.5 * s]]])
    one_pt = torch.tensor([[[[0.45 * s, 0.5 * s]]]])
    one_lab = torch.tensor([[[1]]])
    one_box = torch.tensor([[[0.2 * s, 0.25 * s, 0.8 * s, 0.75 * s]]])
    return [
        ("points", (pts, lab, torch.zeros(1, 0, 4)), dict(input_points=pts, input_labels=lab)),
        ("boxes", (torch.zeros(1, 1, 0, 2), torch.zeros(1, 2, 0, dtype=torch.int64), boxes), dict(input_boxes=boxes)),
        ("points+box", (one_pt, one_lab, one_box), dict(input_points=one_pt, input_labels=one_lab, input_boxes=one_box)),
    ]


def export(src, dst, opset, tolerance):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(src).eval()
    size = model.config.prompt_encoder_config.image_size
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    pixels = torch.randn(1, 3, size, size, generator=g)
    vision, decoder = VisionEncoder(model).eval(), PromptEncoderMaskDecoder(model).eval()
    embedding_names = [f"image_embeddings.{i}" for i in range(3)]
    vision_path = os.path.join(onnx_dir, "vision_encoder.onnx")
    decoder_path = os.path.join(onnx_dir, "prompt_encoder_mask_decoder.onnx")
    with torch.no_grad():
        embeddings = vision(pixels)
        torch.onnx.export(vision, (pixels,), vision_path, opset_version=opset, dynamo=False,
                          input_names=["pixel_values"], output_names=embedding_names,
                          dynamic_axes={n: {0: "batch_size"} for n in ["pixel_values"] + embedding_names})
        _, example, _ = prompt_cases(size)[0]
        torch.onnx.export(decoder, example + tuple(embeddings), decoder_path, opset_version=opset, dynamo=False,
                          input_names=["input_points", "input_labels", "input_boxes"] + embedding_names,
                          output_names=OUTPUTS,
                          dynamic_axes=dict({n: {0: "batch_size"} for n in embedding_names},
                                            input_points={0: "batch_size", 1: "point_batch_size", 2: "num_points"},
                                            input_labels={0: "batch_size", 1: "point_batch_size", 2: "num_points"},
                                            input_boxes={0: "batch_size", 1: "num_boxes"},
                                            iou_scores={0: "batch_size", 1: "point_batch_size"},
                                            pred_masks={0: "batch_size", 1: "point_batch_size"},
                                            object_score_logits={0: "batch_size", 1: "point_batch_size"}))
        pixels2 = torch.randn(1, 3, size, size, generator=g)
        emb = model.get_image_embeddings(pixels2)
        checks.check_outputs("vision_encoder", vision_path, {"pixel_values": pixels2.numpy()}, [t.numpy() for t in emb], tolerance)
        # Each prompt form against transformers' own forward from the same embeddings.
        for name, (p, lab, b), kwargs in prompt_cases(size):
            out = model(image_embeddings=emb, multimask_output=True, **kwargs)
            want = [out.iou_scores.numpy(), out.pred_masks.numpy(), out.object_score_logits.numpy()]
            feeds = {"input_points": p.numpy(), "input_labels": lab.numpy(), "input_boxes": b.numpy()}
            feeds.update({n: t.numpy() for n, t in zip(embedding_names, emb)})
            checks.check_outputs(f"prompt_encoder_mask_decoder ({name})", decoder_path, feeds, want, tolerance)
    with open(os.path.join(dst, "vision_models_api.json"), "w") as f:
        json.dump({"family": "sam2", "exporter": "tools/export/export.py", "image_size": size,
                   "graphs": {"vision_encoder": "onnx/vision_encoder.onnx",
                              "prompt_encoder_mask_decoder": "onnx/prompt_encoder_mask_decoder.onnx"}}, f, indent=1)
    return type(model).__name__
