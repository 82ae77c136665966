"""GroundingDINO (transformers' GroundingDinoForObjectDetection) to one ONNX graph that is right
for any number of phrases and any image size.

Inputs and outputs are those of the onnx-community export: `pixel_values`, `input_ids`,
`token_type_ids`, `attention_mask`, `pixel_mask` → `logits` (B, queries, max_text_len),
`pred_boxes` (B, queries, 4: cx, cy, w, h relative).

What a plain trace gets wrong, and what is traced instead (same computation, written so the
tracer records it from tensors):
- the phrase-block attention mask and per-phrase position ids: transformers 5 builds them with
  `torch.isin` and `cummax`/`cummin`, which opset 17 lacks (older versions used a Python loop whose
  trip count froze to the example's phrase count, the community export's defect). Here: the
  delimiters by comparison, the previous/next delimiter of each position by a masked min/max over
  an L×L grid.
- Swin's padding branches (`if width % patch != 0`, `if height % 2 == 1`, `if pad > 0`) froze
  the example's padding: the padding amounts are always applied (zero when not needed).
- the feature-map sizes (`torch.as_tensor` of the per-level shapes) froze into constants: built
  by stacking the traced sizes instead.
Not captured: Swin clamps its window to feature maps smaller than the window (an image whose
short side ends under 32 × window_size pixels, i.e. aspect ratios beyond ~6:1 at 800/1333);
`max_text_len` truncation (the server refuses longer prompts).

The folder also gets `vision_models_api.json` saying the graph handles several phrases; the
server runs graphs without it (e.g. onnx-community's) one phrase per pass.
"""
import json
import os

import checks
import numpy as np
import torch
import torch.nn.functional as F

from patching import swapped

INPUTS = ["pixel_values", "input_ids", "token_type_ids", "attention_mask", "pixel_mask"]
OUTPUTS = ["logits", "pred_boxes"]
# Any batch, image size and prompt length.
AXES = {"pixel_values": {0: "batch_size", 2: "height", 3: "width"},
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "token_type_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "sequence_length"},
        "pixel_mask": {0: "batch_size", 1: "height", 2: "width"},
        "logits": {0: "batch_size"}, "pred_boxes": {0: "batch_size"}}


def _phrase_blocks(input_ids, special_tokens):
    """Per token: the index of the next and of the previous special token, and whether the token
    is in a phrase (a block ended by a special token that is neither the first nor the last)."""
    seq_len = input_ids.shape[1]
    special = (input_ids.unsqueeze(-1) == special_tokens).any(-1)  # (B, L)
    idx = torch.arange(seq_len, device=input_ids.device)
    at_or_after = idx.view(1, -1) >= idx.view(-1, 1)  # [i, j]: j >= i
    before = idx.view(1, -1) < idx.view(-1, 1)  # [i, j]: j < i
    candidates = special.unsqueeze(1)  # over j
    none_after = torch.zeros_like(input_ids).unsqueeze(1) + seq_len
    next_special = torch.where(candidates & at_or_after, idx.view(1, 1, -1), none_after).min(-1)[0]
    prev_special = torch.where(candidates & before, idx.view(1, 1, -1), torch.full_like(none_after, -1)).max(-1)[0]
    valid_block = (next_special != 0) & (next_special != seq_len - 1) & (next_special != seq_len)
    return idx, next_special, prev_special, valid_block


def phrase_masks(input_ids, special_tokens):
    """transformers' generate_masks_with_special_tokens_and_transfer_map, without isin/cummax."""
    idx, next_special, prev_special, valid_block = _phrase_blocks(input_ids, special_tokens)
    mask = (next_special.unsqueeze(2) == next_special.unsqueeze(1)) & valid_block.unsqueeze(1)
    mask = (idx.view(1, -1) == idx.view(-1, 1)).unsqueeze(0) | mask
    position_ids = idx.unsqueeze(0) - prev_special - 1
    position_ids = torch.where(valid_block, position_ids, torch.zeros_like(position_ids))
    return mask, torch.clamp(position_ids, min=0).to(torch.long)


def one_phrase_masks(input_ids, special_tokens):
    """The masks of a graph whose phrase loop was frozen at one phrase: every phrase token in one
    block, positions counted from the first; equal to `phrase_masks` for a one-phrase prompt."""
    idx, _, _, valid_block = _phrase_blocks(input_ids, special_tokens)
    mask = (valid_block.unsqueeze(2) & valid_block.unsqueeze(1)) | (idx.view(1, -1) == idx.view(-1, 1)).unsqueeze(0)
    position_ids = torch.where(valid_block, idx.unsqueeze(0) - 1, torch.zeros_like(input_ids))
    return mask, torch.clamp(position_ids, min=0).to(torch.long)


def _patch_embedding_pad(self, pixel_values, height, width):
    pad_w = (self.patch_size[1] - width % self.patch_size[1]) % self.patch_size[1]
    pad_h = (self.patch_size[0] - height % self.patch_size[0]) % self.patch_size[0]
    return F.pad(pixel_values, (0, pad_w, 0, pad_h))


def _patch_merging_pad(self, input_feature, height, width):
    return F.pad(input_feature, (0, 0, 0, width % 2, 0, height % 2))


def _swin_layer_forward(self, hidden_states, input_dimensions, always_partition=False, **kwargs):
    """SwinLayer.forward with the crop after window attention always applied (a no-op when no
    padding was added) and without the window clamp for tiny feature maps."""
    from transformers.models.swin import modeling_swin as swin

    height, width = input_dimensions
    batch_size, _, channels = hidden_states.size()
    shortcut = hidden_states
    hidden_states = self.layernorm_before(hidden_states).view(batch_size, height, width, channels)
    hidden_states, _ = self.maybe_pad(hidden_states, height, width)
    _, height_pad, width_pad, _ = hidden_states.shape
    windows = swin.window_partition(self.cyclic_shift(hidden_states), self.window_size)
    windows = windows.view(-1, self.window_size * self.window_size, channels)
    attn_mask = self.get_attn_mask(height_pad, width_pad, dtype=hidden_states.dtype, device=windows.device)
    attention_output, attn_weights = self.attention(windows, attn_mask, **kwargs)
    attention_windows = attention_output.view(-1, self.window_size, self.window_size, channels)
    attention_windows = self.cyclic_shift(
        swin.window_reverse(attention_windows, self.window_size, height_pad, width_pad), reverse=True)
    attention_windows = attention_windows[:, :height, :width, :].contiguous().view(batch_size, height * width, channels)
    hidden_states = shortcut + self.drop_path(attention_windows)
    hidden_states = self.dropout(self.mlp(self.layernorm_after(hidden_states))) + hidden_states
    return hidden_states, attn_weights


def traceable(frozen=False):
    from transformers.models.grounding_dino import modeling_grounding_dino as gd
    from transformers.models.swin import modeling_swin as swin

    original_as_tensor = torch.as_tensor

    def as_tensor(data, *args, **kwargs):
        # The per-level (height, width) list: stack the traced sizes instead of freezing them.
        if isinstance(data, list) and data and isinstance(data[0], tuple) and torch.is_tensor(data[0][0]):
            rows = [torch.stack([original_as_tensor(v) for v in row]) for row in data]
            return torch.stack(rows).to(kwargs.get("dtype") or torch.long)
        return original_as_tensor(data, *args, **kwargs)

    masks = one_phrase_masks if frozen else phrase_masks
    swaps = [(gd, "generate_masks_with_special_tokens_and_transfer_map", masks),
             (swin.SwinPatchEmbeddings, "maybe_pad", _patch_embedding_pad),
             (swin.SwinPatchMerging, "maybe_pad", _patch_merging_pad),
             (swin.SwinLayer, "forward", _swin_layer_forward),
             (torch, "as_tensor", as_tensor)]
    return swapped(swaps)


class GraphWrapper(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values, input_ids, token_type_ids, attention_mask, pixel_mask):
        out = self.model(pixel_values=pixel_values, input_ids=input_ids, token_type_ids=token_type_ids,
                         attention_mask=attention_mask, pixel_mask=pixel_mask)
        return out.logits, out.pred_boxes


def example_inputs(processor, sizes, text, seed):
    from PIL import Image

    rng = np.random.default_rng(seed)
    images = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for h, w in sizes]
    encoded = processor(images=images, text=[text] * len(images), return_tensors="pt")
    return [encoded[name] for name in INPUTS]


def _row_distance(a, b):
    """Largest difference between two query rows, -inf columns (past the text) matching as equal."""
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    with np.errstate(invalid="ignore"):
        return float(np.max(np.where(both_inf, 0, np.abs(a - b))))


def check(path, inputs, expected, tolerance):
    """ONNX Runtime against PyTorch, recorded for the graphs derived from this one (checks.py)."""
    feeds = {name: t.numpy() for name, t in zip(INPUTS, inputs)}
    checks.record(path, feeds, expected, lambda p, f, e: compare(p, f, e, tolerance))


def compare(path, feeds, expected, tolerance):
    """The graph at `path` against PyTorch's outputs (see compare_outputs)."""
    compare_outputs(checks.run_graph(path, feeds), expected, tolerance)


def compare_outputs(got, expected, tolerance):
    """The decoder's queries are the encoder's top-k tokens: scores a rounding error apart can trade
    places (and one can trade in or out at the k-th place), so rows that differ are looked up among
    all rows; at most 1% may be missing."""
    for name, a, b in zip(OUTPUTS, got, expected):
        if a.shape != b.shape:
            raise SystemExit(f"export check failed: {name} has shape {list(a.shape)}, PyTorch gives {list(b.shape)}")
    finite = expected[0][np.isfinite(expected[0])]
    scale = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
    moved = missing = worst = 0
    for image in range(got[0].shape[0]):
        rows_a = np.concatenate([got[0][image], got[1][image]], axis=-1)
        rows_b = np.concatenate([expected[0][image], expected[1][image]], axis=-1)
        for q in range(rows_a.shape[0]):
            d = _row_distance(rows_a[q], rows_b[q])
            if d <= tolerance * scale:
                worst = max(worst, d)
                continue
            best = min(_row_distance(rows_a[q], r) for r in rows_b)
            if best <= tolerance * scale:
                moved += 1
            else:
                missing += 1
    total = got[0].shape[0] * got[0].shape[1]
    print(f"  logits, pred_boxes: shape {list(got[0].shape)}, max |onnx - torch| = {worst:.2e} (values up to "
          f"{scale:.3g}); {moved} of {total} queries in another order, {missing} traded at the top-k edge")
    if missing > max(1, total // 100):
        raise SystemExit(f"export check failed: {missing} of {total} queries differ from PyTorch")


def export(src, dst, opset, tolerance):
    """With GDINO_EXPORT_FROZEN_PHRASES=1 the phrase mask is traced as transformers computes it, so
    it freezes at the example's one phrase: the kind of graph other exporters produce, made on
    purpose for the server's graph-probe tests (its marker says multi_phrase false)."""
    from transformers import AutoProcessor, GroundingDinoForObjectDetection

    frozen = os.environ.get("GDINO_EXPORT_FROZEN_PHRASES") == "1"
    model = GroundingDinoForObjectDetection.from_pretrained(src).eval()  # default (sdpa) attention, as the fixtures
    processor = AutoProcessor.from_pretrained(src)
    size = processor.image_processor.size
    short, long = size.get("shortest_edge", 800), size.get("longest_edge", 1333)
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    path = os.path.join(onnx_dir, "model.onnx")
    example = example_inputs(processor, [(short, short * 4 // 3)], "a cat." if frozen else "a cat. a dog.", 0)
    with traceable(frozen=frozen), torch.no_grad():
        torch.onnx.export(GraphWrapper(model).eval(), tuple(example), path, opset_version=opset, dynamo=False,
                          input_names=INPUTS, output_names=OUTPUTS, dynamic_axes=AXES)
    # Against the unpatched model: other sizes and aspect ratios, 1 to 3 phrases, a padded batch.
    wrapper = GraphWrapper(model).eval()
    cases = [([(short, short * 4 // 3)], "a cat."), ([(long, short)], "remote control. a cat. a dog."),
             ([(short + 37, short + 90), (short, short - 20)], "a dog. a red ball.")]
    # A frozen graph is right for one phrase only: checked on that, and on sizes.
    for sizes, text in ([(s, "a dog.") for s, _ in cases] if frozen else cases):
        inputs = example_inputs(processor, sizes, text, 1)
        with torch.no_grad():
            expected = [t.numpy() for t in wrapper(*inputs)]
        check(path, inputs, expected, tolerance)
    with open(os.path.join(dst, "vision_models_api.json"), "w") as f:
        json.dump({"family": "grounding_dino", "exporter": "tools/export/export.py", "multi_phrase": not frozen,
                   "note": "phrase mask frozen at one phrase (GDINO_EXPORT_FROZEN_PHRASES, for tests)" if frozen
                   else "phrase mask computed in the graph for any number of phrases"}, f, indent=1)
    return type(model).__name__
