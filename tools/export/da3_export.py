"""Depth Anything 3 (PyPI `depth-anything-3`, not transformers): loading a model folder and
exporting it to one ONNX graph the server reads.

A model folder is what the package's `from_pretrained` reads: `config.json` naming one of the
package's presets (`{"model_name": "da3-small"}`) and `model.safetensors` (keys `model.*`).
A folder may also carry `"overrides"` in config.json, used for tiny test models:
`{"backbone": {"embed_dim", "num_heads", ["depth", "mlp_ratio"]}, "head": {...}, "cam_dec": {...}}`;
"backbone" sizes the DINOv2 encoder, the other keys are merged into the preset's YAML config.

The graph: `pixel_values` (B scenes, N views, 3, H, W; H and W multiples of 14) → `depth`
(B, N, H, W), `depth_conf` (B, N, H, W), `pose_enc` (B, N, 9: translation, quaternion xyzw, fov_h,
fov_w). The views of a scene attend to each other (the package's `inference([...])` on a list of
images): one world frame, the package's "saddle_balanced" reference view chosen inside the graph
for N >= 3 (argmin over the views' class tokens, then a gather), views back in their order in the
outputs. config.json says `"scene_views": true`; earlier exports took (B, 3, H, W), one view per
image. The server turns `pose_enc` into extrinsics and intrinsics exactly as
`pose_encoding_to_extri_intri` + `affine_inverse` do.

Known cameras (the package's `inference(..., extrinsics, intrinsics)`): two more inputs,
`camera_pose` (B, N, 9), the given cameras as the package's camera encoder encodes them
(`extri_intri_to_pose_encoding` of the camera-to-world poses of the normalised extrinsics, with
the processed intrinsics; the server computes it), and `camera_given` (B) bool. For a scene with
`camera_given` the camera encoder's tokens replace the learned camera tokens at block alt_start
and no reference view is chosen (as the package, which selects only without cameras); otherwise
`camera_pose` is ignored. config.json says `"camera_input": true`.

With a Gaussian head (da3-giant, the nested preset's any-view branch) the graph also gives
`gs_raw` (B, N, H, W, C: the GSDPT head's raw Gaussian parameters) and `gs_density` (B, N, H, W),
computed only when the bool input `gaussians` ([1]) is true (an `If`; empty otherwise); config.json
`gaussians` holds the GaussianAdapter settings the server applies.

Tracing needs the same computation written without Python numbers taken from shapes (they would
freeze the example's size into the graph); `traceable()` swaps those functions in while exporting.
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from on_request import outputs_on_request
from patching import swapped

# The package's presets this exporter serves: DualDPT depth head + camera decoder (any-view), and
# the monocular DPT-head presets (depth + sky, no camera): relative and metric.
CAMERA_PRESETS = ("da3-small", "da3-base", "da3-large", "da3-giant")
MONO_PRESETS = {"da3mono-large": "relative", "da3metric-large": "metric"}
# Any-view giant + the metric model, aligned by least squares (the server does the alignment).
NESTED_PRESETS = ("da3nested-giant-large",)
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
    images, prediction, _ = package_scene_inference(net, [pil_image], process_res)
    return images, prediction


def package_scene_inference(net, pil_images, process_res=504):
    """The package's inference on a list of images as one scene (DepthAnything3.inference in fp32,
    its default "saddle_balanced" reference view): the processed views (N, 3, H, W; views of
    different sizes center-cropped to the smallest, as its InputProcessor does), the prediction,
    and the reference view the network chose (0 below 3 views)."""
    from depth_anything_3.model.dinov2 import vision_transformer
    from depth_anything_3.utils.io.input_processor import InputProcessor
    from depth_anything_3.utils.io.output_processor import OutputProcessor

    images, _, _ = InputProcessor()(list(pil_images), None, None, process_res, "upper_bound_resize", num_workers=1)
    chosen = []
    select = vision_transformer.select_reference_view

    def recording(x, strategy="saddle_balanced"):
        index = select(x, strategy=strategy)
        chosen.append(int(index[0]))
        return index

    vision_transformer.select_reference_view = recording
    try:
        with torch.no_grad():
            raw = net(images[None].float(), None, None, [], False, False, "saddle_balanced")
    finally:
        vision_transformer.select_reference_view = select
    return images, OutputProcessor()(raw), (chosen[0] if chosen else 0)


def package_camera_inference(net, pil_images, extrinsics=None, intrinsics=None, process_res=504, infer_gs=False):
    """DepthAnything3.inference(images, extrinsics (N, 4, 4), intrinsics (N, 3, 3)) in fp32 with
    its defaults (align_to_input_ext_scale): the InputProcessor scales the intrinsics with each
    resize and crop, the extrinsics are normalised (first view the identity, translations over
    their median distance), the network runs with them, and the prediction is aligned back (depth
    divided by the Umeyama scale between the input and predicted camera centres; the input
    cameras returned). Without cameras none of that; `infer_gs` runs the Gaussian branch too.
    Returns the processed views and the prediction."""
    from depth_anything_3.api import DepthAnything3
    from depth_anything_3.utils.io.input_processor import InputProcessor
    from depth_anything_3.utils.io.output_processor import OutputProcessor

    def copied(m):
        return None if m is None else m.copy()

    images, ex_t, in_t = InputProcessor()(list(pil_images), copied(extrinsics), copied(intrinsics), process_res,
                                          "upper_bound_resize", num_workers=1)
    ex_norm = None if ex_t is None else DepthAnything3._normalize_extrinsics(None, ex_t[None].clone())
    with torch.no_grad():
        raw = net(images[None].float(), ex_norm, None if in_t is None else in_t[None], [], infer_gs, False,
                  "saddle_balanced")
    prediction = OutputProcessor()(raw)
    prediction = DepthAnything3._align_to_input_extrinsics_intrinsics(None, ex_t, in_t, prediction, True)
    return images, prediction


def package_gs_ply(net, pil_images, export_dir, process_res=504, extrinsics=None, intrinsics=None):
    """The package's gs_ply export (DepthAnything3.inference(..., infer_gs=True,
    export_format="gs_ply") in fp32, with or without known cameras): `package_camera_inference`
    with the Gaussian branch, then `export_to_gs_ply`. Returns the prediction and the PLY's path."""
    from depth_anything_3.utils.export.gs import export_to_gs_ply

    _, prediction = package_camera_inference(net, pil_images, extrinsics, intrinsics, process_res, infer_gs=True)
    export_to_gs_ply(prediction, export_dir)
    return prediction, os.path.join(export_dir, "gs_ply", "0000.ply")


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


def _head_stages(head, feats, height, width):
    """A DPT-style head's four token maps projected and resized for fusion (sizes dynamic), and
    the fused map's output size."""
    batch, _, channels = feats[0].shape
    rows, cols = height // head.patch_size, width // head.patch_size
    resized = []
    for stage, take in enumerate(head.intermediate_layer_idx):
        x = head.norm(feats[take]).permute(0, 2, 1).reshape(batch, channels, rows, cols)
        x = head.projects[stage](x)
        if head.pos_embed:
            x = _uv_pos_embed(x, width, height)
        resized.append(head.resize_layers[stage](x))
    return resized, (rows * head.patch_size // head.down_ratio, cols * head.patch_size // head.down_ratio)


def _depth_head(head, feats, height, width):
    """DualDPT's main branch (depth and its confidence) with the output size kept dynamic."""
    resized, size = _head_stages(head, feats, height, width)
    fused, _ = head._fuse(resized)
    fused = F.interpolate(fused, size, mode="bilinear", align_corners=True)
    if head.pos_embed:
        fused = _uv_pos_embed(fused, width, height)
    fmap = head.scratch.output_conv2(fused).permute(0, 2, 3, 1)
    depth = head._apply_activation_single(fmap[..., :-1], head.activation).squeeze(-1)
    conf = head._apply_activation_single(fmap[..., -1], head.conf_activation)
    return depth, conf


def _mono_head(head, feats, height, width):
    """DPT's head (the mono and metric presets): depth and the sky head's output, sizes dynamic."""
    resized, size = _head_stages(head, feats, height, width)
    fused = head.scratch.output_conv1(head._fuse(resized))
    fused = F.interpolate(fused, size, mode="bilinear", align_corners=True)
    if head.pos_embed:
        fused = _uv_pos_embed(fused, width, height)
    depth = head._apply_activation_single(head.scratch.output_conv2(fused), head.activation).squeeze(1)
    sky = head._apply_sky_activation(head.scratch.sky_output_conv2(fused)).squeeze(1)
    return depth, sky


def _gs_head(head, feats, images, height, width):
    """GSDPT (the Gaussian head of da3-giant): the raw Gaussian parameters (N, H, W, C - 1) and the
    density (N, H, W), sizes dynamic; `images` are the views' pixel values (N, 3, H, W)."""
    from depth_anything_3.model.utils.head_utils import activate_head_gs

    resized, size = _head_stages(head, feats, height, width)
    fused = head.scratch.output_conv1(head._fuse(resized))
    fused = F.interpolate(fused, size, mode="bilinear", align_corners=True)
    fused = fused + head.images_merger(images)
    if head.pos_embed:
        fused = _uv_pos_embed(fused, width, height)
    raw, density = activate_head_gs(head.scratch.output_conv2(fused), activation=head.activation,
                                    conf_activation=head.conf_activation, conf_dim=head.conf_dim)
    return raw, density


def _interpolate(x, size=None, scale_factor=None, mode="bilinear", align_corners=True):
    """head_utils.custom_interpolate without `int()` on the scaled size (the fusion blocks' 2x)."""
    if size is None and float(scale_factor).is_integer():
        size = (x.shape[-2] * int(scale_factor), x.shape[-1] * int(scale_factor))
    if size is None:
        return F.interpolate(x, scale_factor=scale_factor, mode=mode, align_corners=align_corners)
    return F.interpolate(x, size=size, mode=mode, align_corners=align_corners)


def _view_positions(tokens):
    """(B, S) long: 0, 1, ..., S-1 per scene, from the tensor (the view count stays dynamic)."""
    return torch.ones_like(tokens[:, :, 0, 0], dtype=torch.long).cumsum(1) - 1


def _reference_view(tokens):
    """The package's "saddle_balanced" reference view from the class tokens (B, S): the view whose
    mean similarity to the others, class-token norm and variance sit closest to the middle of
    their ranges; 0 for scenes of fewer than 3 views (the package selects only from 3 on)."""
    cls = tokens[:, :, 0]
    unit = cls / cls.norm(dim=-1, keepdim=True)
    views = torch.ones_like(cls[:, :, 0]).sum(1, keepdim=True)  # S, as a tensor
    similarity = (torch.matmul(unit, unit.transpose(1, 2)).sum(-1) - 1) / (views - 1)

    def spread(m):
        low, high = m.min(dim=1, keepdim=True).values, m.max(dim=1, keepdim=True).values
        return (m - low) / (high - low + 1e-8)

    score = ((spread(similarity) - 0.5).abs() + (spread(cls.norm(dim=-1)) - 0.5).abs()
             + (spread(unit.var(dim=-1)) - 0.5).abs())
    chosen = score.argmin(dim=1)
    return torch.where(views[:, 0] >= 3, chosen, torch.zeros_like(chosen))


def _gather_views(x, order):
    return torch.gather(x, 1, order.reshape(order.shape[0], order.shape[1], 1, 1).expand_as(x))


def _to_reference_first(x, ref):
    """Views reordered [ref, 0, ..., ref-1, ref+1, ...] (the package's reorder_by_reference)."""
    pos = _view_positions(x)
    r = ref[:, None]
    order = torch.where((pos > 0) & (pos <= r), pos - 1, pos)
    return _gather_views(x, torch.where(pos == 0, r.expand_as(pos), order))


def _to_original_order(x, ref):
    """The inverse of _to_reference_first."""
    pos = _view_positions(x)
    r = ref[:, None]
    order = torch.where(pos < r, pos + 1, torch.where(pos == r, torch.zeros_like(pos), pos))
    return _gather_views(x, order)


def _scene_layers(self, x, n=1, export_feat_layers=[], **kwargs):
    """DinoVisionTransformer's layer loop for scenes of views with the view count dynamic: the
    reference view chosen in the graph (before block alt_start - 1, as the package does), views
    reordered with it first for the global blocks and put back in their order in the outputs."""
    _, _, _, height, width = x.shape
    tokens = self.prepare_tokens_with_masks(x)
    views = _view_positions(tokens)
    given, known = kwargs.get("camera_given"), kwargs.get("cam_token")
    pos, pos_nodiff = self._prepare_rope(tokens.shape[0], tokens.shape[1], height, width, tokens.device)
    take = range(len(self.blocks) - n, len(self.blocks)) if isinstance(n, int) else n
    outputs, ref, local = [], None, tokens
    for i, block in enumerate(self.blocks):
        g_pos, l_pos = (None, None) if (i < self.rope_start or self.rope is None) else (pos_nodiff, pos)
        if self.alt_start != -1 and i == self.alt_start - 1:
            ref = _reference_view(tokens)
            if given is not None:
                ref = torch.where(given, torch.zeros_like(ref), ref)
            tokens, local = _to_reference_first(tokens, ref), _to_reference_first(local, ref)
        if self.alt_start != -1 and i == self.alt_start:
            first, rest = self.camera_token[:, :1], self.camera_token[:, 1:]
            camera = torch.where((views == 0)[..., None], first, rest)
            if given is not None:
                camera = torch.where(given[:, None, None], known, camera)
            tokens = torch.cat([camera[:, :, None], tokens[:, :, 1:]], dim=2)
        if self.alt_start != -1 and i >= self.alt_start and i % 2 == 1:
            tokens = self.process_attention(tokens, block, "global", pos=g_pos)
        else:
            tokens = self.process_attention(tokens, block, "local", pos=l_pos)
            local = tokens
        if i in take:
            out = torch.cat([local, tokens], dim=-1) if self.cat_token else tokens
            if ref is not None:
                out = _to_original_order(out, ref)
            outputs.append((out[:, :, 0], out))
    return outputs, []


def traceable():
    from depth_anything_3.model import dpt
    from depth_anything_3.model.dinov2 import vision_transformer
    from depth_anything_3.model.dinov2.layers import rope

    swaps = [(dpt, "custom_interpolate", _interpolate),
             (vision_transformer.DinoVisionTransformer, "interpolate_pos_encoding", _interpolate_pos_encoding),
             (rope.PositionGetter, "__call__", _grid_positions),
             (rope.RotaryPositionEmbedding2D, "forward", _rope_forward),
             (vision_transformer.DinoVisionTransformer, "_get_intermediate_layers_not_chunked", _scene_layers)]
    return swapped(swaps)


def _encode_camera(cam_enc, pose):
    """CameraEnc.forward from the pose encoding on (its first step, extrinsics and intrinsics to
    the encoding, is the server's)."""
    tokens = cam_enc.token_norm(cam_enc.pose_branch(pose))
    return cam_enc.trunk_norm(cam_enc.trunk(tokens))


class SceneGraphWrapper(torch.nn.Module):
    """Scenes of views: pixel_values (B, N, 3, H, W), camera_pose (B, N, 9), camera_given (B) →
    depth, depth_conf (B, N, H, W), pose_enc (B, N, 9); the N views of a scene attend to each
    other and share one world frame."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, pixel_values, camera_pose, camera_given):
        height, width = pixel_values.shape[-2], pixel_values.shape[-1]
        known = _encode_camera(self.net.cam_enc, camera_pose)
        # Views reach the camera-token step as (B, N, C); the encoder's tokens are (B, N, C).
        feats, _ = self.net.backbone(pixel_values, cam_token=known, camera_given=camera_given, export_feat_layers=[],
                                     ref_view_strategy="saddle_balanced")
        tokens = [f[0].flatten(0, 1) for f in feats]
        depth, conf = _depth_head(self.net.head, tokens, height, width)
        camera = feats[-1][1]
        pose_enc = self.net.cam_dec(camera.flatten(0, 1)[:, None])[:, 0]
        scenes = pixel_values.shape[0]
        outputs = (depth.reshape(scenes, -1, depth.shape[-2], depth.shape[-1]),
                   conf.reshape(scenes, -1, conf.shape[-2], conf.shape[-1]),
                   pose_enc.reshape(scenes, -1, 9))
        if self.net.gs_head is None:
            return outputs
        raw, density = _gs_head(self.net.gs_head, tokens, pixel_values.flatten(0, 1), height, width)
        return outputs + (raw.reshape(scenes, -1, raw.shape[1], raw.shape[2], raw.shape[3]),
                          density.reshape(scenes, -1, density.shape[-2], density.shape[-1]))


class MonoGraphWrapper(torch.nn.Module):
    """The mono and metric presets: pixel_values (B, N, 3, H, W; each view alone, these presets
    have no cross-view attention) → depth, sky (B, N, H, W), the heads' outputs before the
    package's sky handling (which the server does)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, pixel_values):
        height, width = pixel_values.shape[-2], pixel_values.shape[-1]
        feats, _ = self.net.backbone(pixel_values, cam_token=None, export_feat_layers=[], ref_view_strategy="first")
        depth, sky = _mono_head(self.net.head, [f[0].flatten(0, 1) for f in feats], height, width)
        scenes = pixel_values.shape[0]
        return (depth.reshape(scenes, -1, depth.shape[-2], depth.shape[-1]),
                sky.reshape(scenes, -1, sky.shape[-2], sky.shape[-1]))


def mono_reference_outputs(net, pixel_values):
    """The unpatched package network's head outputs (depth, sky) for (B, N, 3, H, W)."""
    with torch.no_grad():
        feats, _ = net.backbone(pixel_values, cam_token=None, export_feat_layers=[], ref_view_strategy="first")
        out = net.head(feats, pixel_values.shape[-2], pixel_values.shape[-1], patch_start_idx=0)
    return [out["depth"].numpy(), out["sky"].numpy()]


def scene_reference_outputs(net, pixel_values, extrinsics=None, intrinsics=None):
    """The unpatched package network on scenes (B, N, 3, H, W), its default reference view
    strategy; with known cameras (extrinsics (B, N, 4, 4), intrinsics (B, N, 3, 3)) as
    DepthAnything3Net.forward feeds them to its camera encoder."""
    with torch.no_grad():
        cam_token = None if extrinsics is None else net.cam_enc(extrinsics, intrinsics, pixel_values.shape[-2:])
        feats, _ = net.backbone(pixel_values, cam_token=cam_token, export_feat_layers=[],
                                ref_view_strategy="saddle_balanced")
        out = net.head(feats, pixel_values.shape[-2], pixel_values.shape[-1], patch_start_idx=0)
        pose_enc = net.cam_dec(feats[-1][1])
        expected = [out["depth"].numpy(), out["depth_conf"].numpy(), pose_enc.numpy()]
        if net.gs_head is not None:
            gs = net.gs_head(feats=feats, H=pixel_values.shape[-2], W=pixel_values.shape[-1], patch_start_idx=0,
                             images=pixel_values)
            expected += [gs.raw_gs.numpy(), gs.raw_gs_conf.numpy()]
    return expected


def export(src, dst, opset, tolerance, verify):
    """One folder the package loads → onnx/model.onnx (+ onnx/metric.onnx for the nested preset)
    and config.json saying what the graphs are."""
    net, name = load_network(src)
    onnx_dir = os.path.join(dst, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)
    extra = {}
    if name in MONO_PRESETS:
        _export_mono_graph(net, os.path.join(onnx_dir, "model.onnx"), opset, tolerance, verify)
        extra = {"outputs": ["depth", "sky"], "scene_views": False, "depth_kind": MONO_PRESETS[name]}
    elif name in NESTED_PRESETS:
        # The any-view branch (depth, confidence, camera) and the metric branch that scales it.
        _export_scene_graph(net.da3, os.path.join(onnx_dir, "model.onnx"), opset, tolerance, verify)
        _export_mono_graph(net.da3_metric, os.path.join(onnx_dir, "metric.onnx"), opset, tolerance, verify)
        extra = {"outputs": ["depth", "depth_conf", "pose_enc"], "scene_views": True, "camera_input": True,
                 "depth_kind": "nested", "metric_graph": "onnx/metric.onnx", **_gaussian_config(net.da3)}
    elif name in CAMERA_PRESETS and net.cam_dec is not None:
        _export_scene_graph(net, os.path.join(onnx_dir, "model.onnx"), opset, tolerance, verify)
        extra = {"outputs": ["depth", "depth_conf", "pose_enc"], "scene_views": True, "camera_input": True,
                 **_gaussian_config(net)}
    else:
        raise SystemExit(f"{name}: exported presets are {', '.join(CAMERA_PRESETS + tuple(MONO_PRESETS) + NESTED_PRESETS)}")
    spec = read_folder_config(src)
    spec.setdefault("process_res", 504)
    spec.update({"architecture": "DepthAnything3", "patch_size": 14, "process_res_method": "upper_bound_resize",
                 "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}, **extra)
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(spec, f, indent=1)
    return f"DepthAnything3 ({name})"


def _gaussian_config(net):
    """config.json's `gaussians` for a network with a Gaussian head (da3-giant, the nested
    preset's any-view branch): the GaussianAdapter settings the server applies to `gs_raw`."""
    if net.gs_head is None:
        return {}
    a = net.gs_adapter
    return {"gaussians": {"outputs": GS_OUTPUTS, "sh_degree": a.sh_degree, "pred_color": a.pred_color,
                          "pred_offset_depth": a.pred_offset_depth, "pred_offset_xy": a.pred_offset_xy,
                          "scale_min": a.gaussian_scale_min, "scale_max": a.gaussian_scale_max}}


MAPS = {0: "scenes", 1: "views", 2: "height", 3: "width"}
# da3-giant's Gaussian head: raw parameters (B, N, H, W, C) and density (B, N, H, W).
GS_OUTPUTS = ["gs_raw", "gs_density"]
PIXELS_AXES = {0: "scenes", 1: "views", 3: "height", 4: "width"}


def camera_feeds(scenes, views, extrinsics=None, intrinsics=None, size=None):
    """camera_pose and camera_given for the graph: the package's encoding of known cameras
    (extrinsics (B, N, 4, 4) world-to-camera, intrinsics (B, N, 3, 3) at `size` (H, W)), or
    placeholders the graph ignores (camera_given false)."""
    from depth_anything_3.model.utils.transform import extri_intri_to_pose_encoding
    from depth_anything_3.utils.geometry import affine_inverse

    if extrinsics is None:
        return {"camera_pose": torch.zeros(scenes, views, 9).numpy(), "camera_given": torch.zeros(scenes, dtype=torch.bool).numpy()}
    pose = extri_intri_to_pose_encoding(affine_inverse(extrinsics), intrinsics, size)
    return {"camera_pose": pose.numpy(), "camera_given": torch.ones(scenes, dtype=torch.bool).numpy()}


def random_cameras(scenes, views, height, width, seed):
    """Plausible cameras for checking the graph: rotations from random quaternions, translations
    near the origin (the first view's the identity, as after the package's normalisation), focal
    lengths near the image size, principal points near the centre."""
    from depth_anything_3.model.utils.transform import quat_to_mat

    g = torch.Generator().manual_seed(seed)
    q = torch.randn(scenes, views, 4, generator=g)
    ext = torch.eye(4).repeat(scenes, views, 1, 1)
    ext[..., :3, :3] = quat_to_mat(q / q.norm(dim=-1, keepdim=True))
    ext[..., :3, 3] = torch.randn(scenes, views, 3, generator=g)
    ext[:, 0] = torch.eye(4)
    ixt = torch.zeros(scenes, views, 3, 3)
    focal = (0.8 + 0.4 * torch.rand(scenes, views, 2, generator=g)) * torch.tensor([width, height])
    ixt[..., 0, 0], ixt[..., 1, 1] = focal[..., 0], focal[..., 1]
    ixt[..., 0, 2], ixt[..., 1, 2], ixt[..., 2, 2] = width / 2 + 1.5, height / 2 - 2.0, 1.0
    return ext, ixt


def _export_scene_graph(net, path, opset, tolerance, verify):
    """An any-view network: pixel_values [B, N, 3, H, W], camera_pose [B, N, 9], camera_given [B]
    → depth, depth_conf [B, N, H, W], pose_enc [B, N, 9]."""
    example = torch.randn(1, 3, 3, 98, 140, generator=torch.Generator().manual_seed(0))
    ext, ixt = random_cameras(1, 3, 98, 140, 0)
    feeds = camera_feeds(1, 3, ext, ixt, (98, 140))
    gs = net.gs_head is not None
    with traceable(), torch.no_grad():
        torch.onnx.export(
            SceneGraphWrapper(net).eval(),
            (example, torch.from_numpy(feeds["camera_pose"]), torch.from_numpy(feeds["camera_given"])), path,
            opset_version=opset, dynamo=False,
            input_names=["pixel_values", "camera_pose", "camera_given"],
            output_names=["depth", "depth_conf", "pose_enc"] + (GS_OUTPUTS if gs else []),
            dynamic_axes={"pixel_values": PIXELS_AXES, "camera_pose": {0: "scenes", 1: "views"},
                          "camera_given": {0: "scenes"}, "depth": MAPS, "depth_conf": MAPS,
                          "pose_enc": {0: "scenes", 1: "views"},
                          **({"gs_raw": MAPS, "gs_density": MAPS} if gs else {})},
        )
    asked = {"gaussians": np.array([True])} if gs else {}  # an input from finish() on
    # Compared with the unpatched package network on scene and image sizes other than the traced
    # one: one view, two (no reference selection), three to five (the reference view chosen);
    # then with known cameras (no reference selection, the camera encoder's tokens).
    for shape in [(1, 1, 3, 98, 140), (2, 1, 3, 154, 84), (1, 2, 3, 56, 56), (1, 4, 3, 70, 84), (2, 3, 3, 56, 84)]:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)))
        verify(path, {"pixel_values": x.numpy(), **camera_feeds(shape[0], shape[1]), **asked},
               scene_reference_outputs(net, x), tolerance)
    for shape in [(1, 1, 3, 70, 56), (1, 2, 3, 56, 84), (2, 4, 3, 84, 70)]:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape) + 1))
        ext, ixt = random_cameras(shape[0], shape[1], shape[3], shape[4], sum(shape))
        verify(path, {"pixel_values": x.numpy(), **camera_feeds(shape[0], shape[1], ext, ixt, shape[3:]), **asked},
               scene_reference_outputs(net, x, ext, ixt), tolerance)



def finish(dst):
    """After fusion and variants (whose optimisers do not keep an `If`'s branches intact): in every
    graph with the Gaussian head, the head runs only when the bool input `gaussians` is true
    (ONNX Runtime would otherwise run it, and fill gs_raw, on every request); model.onnx checked
    again against PyTorch with and without it."""
    import onnx

    import checks

    onnx_dir = os.path.join(dst, "onnx")
    for name in sorted(os.listdir(onnx_dir)):
        path = os.path.join(onnx_dir, name)
        if not name.endswith(".onnx"):
            continue
        if not set(GS_OUTPUTS) <= {o.name for o in onnx.load(path, load_external_data=False).graph.output}:
            continue
        outputs_on_request(path, GS_OUTPUTS, "gaussians")
        for check in checks.recorded(path):
            check.compare(path, check.feeds, check.expected)
            without = dict(check.feeds, gaussians=np.array([False]))
            got = checks.run_named(path, without)
            if any(v.size for n, v in got if n in GS_OUTPUTS):
                raise SystemExit(f"{path}: the Gaussian outputs were computed without being asked for")
            check.compare(path, without, check.expected[:3])


def _export_mono_graph(net, path, opset, tolerance, verify):
    """A monocular network: pixel_values [B, N, 3, H, W] → depth, sky [B, N, H, W]."""
    example = torch.randn(1, 1, 3, 98, 140, generator=torch.Generator().manual_seed(0))
    with traceable(), torch.no_grad():
        torch.onnx.export(MonoGraphWrapper(net).eval(), (example,), path, opset_version=opset, dynamo=False,
                          input_names=["pixel_values"], output_names=["depth", "sky"],
                          dynamic_axes={"pixel_values": PIXELS_AXES, "depth": MAPS, "sky": MAPS})
    for shape in [(1, 1, 3, 98, 140), (2, 1, 3, 154, 84), (1, 2, 3, 56, 70)]:
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(sum(shape)))
        verify(path, {"pixel_values": x.numpy()}, mono_reference_outputs(net, x), tolerance)
