"""Depth Anything 3 (PyPI `depth-anything-3`, not transformers): loading a model folder and
exporting it to one ONNX graph the server reads.

A model folder is what the package's `from_pretrained` reads: `config.json` naming one of the
package's presets (`{"model_name": "da3-small"}`) and `model.safetensors` (keys `model.*`).
A folder may also carry `"overrides"` in config.json, used for tiny test models:
`{"backbone": {"embed_dim", "num_heads", ["depth", "mlp_ratio"]}, "head": {...}, "cam_dec": {...}}`;
"backbone" sizes the DINOv2 encoder, the other keys are merged into the preset's YAML config.

The graph: `pixel_values` (B, 3, H, W; H and W multiples of 14) → `depth` (B, H, W),
`depth_conf` (B, H, W), `pose_enc` (B, 9: translation, quaternion xyzw, fov_h, fov_w). One view
per image (the package's single-image inference). The server turns `pose_enc` into extrinsics and
intrinsics exactly as `pose_encoding_to_extri_intri` + `affine_inverse` do.

Tracing needs the same computation written without Python numbers taken from shapes (they would
freeze the example's size into the graph); `traceable()` swaps those functions in while exporting.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from patching import swapped

# The package's presets this exporter serves: DualDPT depth head + camera decoder.
CAMERA_PRESETS = ("da3-small", "da3-base", "da3-large", "da3-giant")
# RoPE position table size in patches (images up to 14336 px a side).
MAX_PATCHES = 1024


def read_folder_config(folder):
    with open(os.path.join(folder, "config.json")) as f:
        return json.load(f)


def load_network(folder):
    """Builds the package's DepthAnything3Net for the folder and loads its weights (fp32, eval)
    as the package does: `save_pretrained` (huggingface_hub's mixin, safetensors' `save_model`)
    stores a tensor that modules share once, under one of its names (da3-small's
    `head.scratch.output_conv2_aux.{0,1,2,3}.2` are one module: only `.0.2` is in the file), and
    `from_pretrained` loads with safetensors' `load_model`, which fills the other names through the
    shared module. Here the same: a name absent from the file is accepted only when it shares its
    storage with a name that is there; any other missing or unexpected key is an error."""
    from safetensors.torch import load_file

    net, name = build_network(folder)
    path = os.path.join(folder, "model.safetensors")
    state = {k[len("model."):] if k.startswith("model.") else k: v for k, v in load_file(path).items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    tied = tied_names(net, set(state))
    really_missing = sorted(set(missing) - tied)
    if really_missing or unexpected:
        raise SystemExit(f"{path} does not fit {name}: missing {really_missing[:8]}"
                         f"{' ...' if len(really_missing) > 8 else ''}, unexpected {sorted(unexpected)[:8]}")
    return net.eval(), name


def tied_names(net, present):
    """State-dict names of `net` absent from `present` whose tensor is shared with a present name
    (same storage, offset and shape): loaded through that name."""
    groups = {}
    for key, tensor in net.state_dict(keep_vars=True).items():
        if tensor.numel() == 0:
            continue
        ident = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        groups.setdefault(ident, []).append(key)
    tied = set()
    for names in groups.values():
        if len(names) > 1 and any(n in present for n in names):
            tied.update(n for n in names if n not in present)
    return tied


def build_network(folder):
    """The package's DepthAnything3Net for folder/config.json, with its initial weights."""
    from omegaconf import OmegaConf

    from depth_anything_3.cfg import create_object, load_config
    from depth_anything_3.registry import MODEL_REGISTRY
    import depth_anything_3.model.dinov2.dinov2 as dinov2_module
    from depth_anything_3.model.dinov2.vision_transformer import DinoVisionTransformer

    spec = read_folder_config(folder)
    name = spec.get("model_name")
    if name not in MODEL_REGISTRY:
        raise SystemExit(f"{folder}/config.json names model {name!r}; the package knows {sorted(MODEL_REGISTRY)}")
    config = load_config(MODEL_REGISTRY[name])
    overrides = dict(spec.get("overrides") or {})
    backbone = overrides.pop("backbone", None)
    if overrides:
        config = OmegaConf.merge(config, OmegaConf.create(overrides))
    saved = {k: getattr(dinov2_module, k) for k in ("vit_small", "vit_base", "vit_large", "vit_giant2")}
    if backbone:
        def sized_encoder(patch_size=16, num_register_tokens=0, depth=12, **kwargs):
            return DinoVisionTransformer(patch_size=patch_size, embed_dim=backbone["embed_dim"],
                                         depth=backbone.get("depth", depth), num_heads=backbone["num_heads"],
                                         mlp_ratio=backbone.get("mlp_ratio", 4),
                                         num_register_tokens=num_register_tokens, **kwargs)
        for k in saved:
            setattr(dinov2_module, k, sized_encoder)
    try:
        net = create_object(config)
    finally:
        for k, v in saved.items():
            setattr(dinov2_module, k, v)
    return net.eval(), name


def package_inference(net, pil_image, process_res=504):
    """The package's own single-image inference in fp32: its InputProcessor, the network, its
    OutputProcessor (DepthAnything3.inference without the autocast and the export step)."""
    from depth_anything_3.utils.io.input_processor import InputProcessor
    from depth_anything_3.utils.io.output_processor import OutputProcessor

    images, _, _ = InputProcessor()([pil_image], None, None, process_res, "upper_bound_resize", num_workers=1)
    with torch.no_grad():
        raw = net(images[None].float(), None, None, [], False, False, "first")
    return images, OutputProcessor()(raw)


# --- traceable replacements ---------------------------------------------------------------------

def _bicubic_weights(out_size, in_size, scale):
    """(out, in) matrix of torch's bicubic upsampling (A = -0.75, half-pixel source index computed
    with the given scale factor, border taps clamped), built from tensors so sizes stay dynamic."""
    i = torch.arange(out_size).float()
    src = (i + 0.5) / scale - 0.5
    base = torch.floor(src)
    t = src - base
    a = -0.75

    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    columns = torch.arange(in_size)
    matrix = torch.zeros(())
    for k, w in enumerate((far(t + 1), near(t), near(1 - t), far(2 - t))):
        index = (base.long() - 1 + k).clamp(0, in_size - 1)
        matrix = matrix + (index[:, None] == columns[None, :]).float() * w[:, None]
    return matrix


def _interpolate_pos_encoding(self, x, height, width):
    # Called as (x, w, h) with the package's names swapped: `w` is the image height.
    previous = x.dtype
    pos = self.pos_embed.float()
    grid_size = int(math.sqrt(pos.shape[1] - 1))  # from the weights: a constant
    patch_pos = pos[0, 1:].reshape(grid_size, grid_size, -1)
    rows = height // self.patch_size
    cols = width // self.patch_size
    wy = _bicubic_weights(rows, grid_size, (rows + self.interpolate_offset) / grid_size)
    wx = _bicubic_weights(cols, grid_size, (cols + self.interpolate_offset) / grid_size)
    resized = torch.einsum("ha,abd,wb->hwd", wy, patch_pos, wx).reshape(1, -1, pos.shape[-1])
    return torch.cat((pos[:, :1], resized), dim=1).to(previous)


def _grid_positions(self, batch_size, height, width, device):
    ys, xs = torch.meshgrid(torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij")
    positions = torch.stack((ys.reshape(-1), xs.reshape(-1)), dim=-1)
    return positions.view(1, -1, 2).expand(batch_size, -1, -1).clone()


def _rope_forward(self, tokens, positions):
    feature_dim = tokens.size(-1) // 2
    cos_comp, sin_comp = self._compute_frequency_components(feature_dim, MAX_PATCHES, tokens.device, tokens.dtype)
    vertical, horizontal = tokens.chunk(2, dim=-1)
    vertical = self._apply_1d_rope(vertical, positions[..., 0], cos_comp, sin_comp)
    horizontal = self._apply_1d_rope(horizontal, positions[..., 1], cos_comp, sin_comp)
    return torch.cat((vertical, horizontal), dim=-1)


def _linspace(start, end, steps):
    step = (end - start) / (steps - 1).clamp(min=1) if torch.is_tensor(steps) else (end - start) / max(steps - 1, 1)
    return start + torch.arange(steps).float() * step


def _uv_pos_embed(x, width, height, ratio=0.1):
    from depth_anything_3.model.utils.head_utils import position_grid_to_embed

    grid_w, grid_h = x.shape[-1], x.shape[-2]
    aspect = width / height
    diag = (aspect ** 2 + 1.0) ** 0.5
    span_x, span_y = aspect / diag, 1.0 / diag
    xs = _linspace(-span_x * (grid_w - 1) / grid_w, span_x * (grid_w - 1) / grid_w, grid_w)
    ys = _linspace(-span_y * (grid_h - 1) / grid_h, span_y * (grid_h - 1) / grid_h, grid_h)
    uu, vv = torch.meshgrid(xs, ys, indexing="xy")
    embed = position_grid_to_embed(torch.stack((uu, vv), dim=-1), x.shape[1]) * ratio
    return x + embed.permute(2, 0, 1)[None].expand(x.shape[0], -1, -1, -1).to(x.dtype)


def _depth_head(head, feats, height, width):
    """DualDPT's main branch (depth and its confidence) with the output size kept dynamic."""
    batch, _, channels = feats[0].shape
    rows, cols = height // head.patch_size, width // head.patch_size
    resized = []
    for stage, take in enumerate(head.intermediate_layer_idx):
        x = head.norm(feats[take]).permute(0, 2, 1).reshape(batch, channels, rows, cols)
        x = head.projects[stage](x)
        if head.pos_embed:
            x = _uv_pos_embed(x, width, height)
        resized.append(head.resize_layers[stage](x))
    fused, _ = head._fuse(resized)
    size = (rows * head.patch_size // head.down_ratio, cols * head.patch_size // head.down_ratio)
    fused = F.interpolate(fused, size, mode="bilinear", align_corners=True)
    if head.pos_embed:
        fused = _uv_pos_embed(fused, width, height)
    fmap = head.scratch.output_conv2(fused).permute(0, 2, 3, 1)
    depth = head._apply_activation_single(fmap[..., :-1], head.activation).squeeze(-1)
    conf = head._apply_activation_single(fmap[..., -1], head.conf_activation)
    return depth, conf


def _interpolate(x, size=None, scale_factor=None, mode="bilinear", align_corners=True):
    """head_utils.custom_interpolate without `int()` on the scaled size (the fusion blocks' 2x)."""
    if size is None and float(scale_factor).is_integer():
        size = (x.shape[-2] * int(scale_factor), x.shape[-1] * int(scale_factor))
    if size is None:
        return F.interpolate(x, scale_factor=scale_factor, mode=mode, align_corners=align_corners)
    return F.interpolate(x, size=size, mode=mode, align_corners=align_corners)


def traceable():
    from depth_anything_3.model import dpt
    from depth_anything_3.model.dinov2 import vision_transformer
    from depth_anything_3.model.dinov2.layers import rope

    swaps = [(dpt, "custom_interpolate", _interpolate),
             (vision_transformer.DinoVisionTransformer, "interpolate_pos_encoding", _interpolate_pos_encoding),
             (rope.PositionGetter, "__call__", _grid_positions),
             (rope.RotaryPositionEmbedding2D, "forward", _rope_forward)]
    return swapped(swaps)


class GraphWrapper(torch.nn.Module):
    """One view per image: pixel_values (B,3,H,W) → depth, depth_conf (B,H,W), pose_enc (B,9)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, pixel_values):
        height, width = pixel_values.shape[-2], pixel_values.shape[-1]
        feats, _ = self.net.backbone(pixel_values[:, None], cam_token=None, export_feat_layers=[],
                                     ref_view_strategy="first")
        batch = pixel_values.shape[0]
        tokens = [f[0].reshape(batch, -1, f[0].shape[-1]) for f in feats]
        depth, conf = _depth_head(self.net.head, tokens, height, width)
        pose_enc = self.net.cam_dec(feats[-1][1])[:, 0]
        return depth, conf, pose_enc


def reference_outputs(net, pixel_values):
    """What the package's network gives for the same input, unpatched: depth, conf, pose_enc."""
    from depth_anything_3.model.utils.transform import extri_intri_to_pose_encoding  # noqa: F401

    with torch.no_grad():
        feats, _ = net.backbone(pixel_values[:, None], cam_token=None, export_feat_layers=[], ref_view_strategy="first")
        out = net.head(feats, pixel_values.shape[-2], pixel_values.shape[-1], patch_start_idx=0)
        pose_enc = net.cam_dec(feats[-1][1])[:, 0]
    return [out["depth"][:, 0].numpy(), out["depth_conf"][:, 0].numpy(), pose_enc.numpy()]


def export(src, dst, opset, tolerance, verify):
    net, name = load_network(src)
    if name not in CAMERA_PRESETS or net.cam_dec is None:
        raise SystemExit(f"{name}: only the any-view presets with a camera decoder are exported "
                         f"({', '.join(CAMERA_PRESETS)}); metric, mono and nested models are not supported yet")
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    path = os.path.join(onnx_dir, "model.onnx")
    example = torch.randn(1, 3, 98, 140, generator=torch.Generator().manual_seed(0))
    with traceable(), torch.no_grad():
        torch.onnx.export(
            GraphWrapper(net).eval(), (example,), path, opset_version=opset, dynamo=False,
            input_names=["pixel_values"], output_names=["depth", "depth_conf", "pose_enc"],
            dynamic_axes={"pixel_values": {0: "batch_size", 2: "height", 3: "width"},
                          "depth": {0: "batch_size", 1: "height", 2: "width"},
                          "depth_conf": {0: "batch_size", 1: "height", 2: "width"},
                          "pose_enc": {0: "batch_size"}},
        )
    # Compared with the unpatched package network on sizes other than the traced one.
    for shape in [(1, 3, 98, 140), (2, 3, 154, 84), (1, 3, 56, 56)]:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
        verify(path, {"pixel_values": x.numpy()}, reference_outputs(net, x), tolerance)
    spec = read_folder_config(src)
    spec.setdefault("process_res", 504)
    spec.update({"architecture": "DepthAnything3", "patch_size": 14, "process_res_method": "upper_bound_resize",
                 "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
                 "outputs": ["depth", "depth_conf", "pose_enc"]})
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(spec, f, indent=1)
    return f"DepthAnything3 ({name})"
