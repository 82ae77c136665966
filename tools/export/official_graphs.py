"""Writes the shipped graphs (graphs/<name>/: model.onnx without weights + fingerprint.json) for the
official checkpoints' configurations, through tools/export/graph_only.py.

    python3 tools/export/official_graphs.py [graphs] [--only dinov3-vits16,...]

The configurations are built from the facts in ../shared/reference/official-checkpoints.md (the
values transformers' conversion scripts write), not read from the hub. Families: DINOv3, Depth Anything V2, GroundingDINO, SAM3, SAM 2.1, Depth Anything 3.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def dinov3_configs():
    from transformers import DINOv3ConvNextConfig, DINOv3ViTConfig

    vit = dict(patch_size=16, num_register_tokens=4, rope_theta=100.0, layerscale_value=1.0, layer_norm_eps=1e-5,
               key_bias=False, image_size=224)
    return {
        "dinov3-vits16": DINOv3ViTConfig(hidden_size=384, intermediate_size=1536, num_hidden_layers=12,
                                         num_attention_heads=6, hidden_act="gelu", use_gated_mlp=False, **vit),
        "dinov3-vitb16": DINOv3ViTConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                         num_attention_heads=12, hidden_act="gelu", use_gated_mlp=False, **vit),
        # The "plus" sizes use SwiGLU with ffn ratio 6: hidden 2/3 of 6 x width (1536 for S+, 5120 for H+).
        "dinov3-vits16plus": DINOv3ViTConfig(hidden_size=384, intermediate_size=1536, num_hidden_layers=12,
                                             num_attention_heads=6, hidden_act="silu", use_gated_mlp=True, **vit),
        "dinov3-vitl16": DINOv3ViTConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                         num_attention_heads=16, hidden_act="gelu", use_gated_mlp=False, **vit),
        "dinov3-vith16plus": DINOv3ViTConfig(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                                             num_attention_heads=20, hidden_act="silu", use_gated_mlp=True, **vit),
        "dinov3-convnext-tiny": DINOv3ConvNextConfig(depths=[3, 3, 9, 3], hidden_sizes=[96, 192, 384, 768]),
        "dinov3-convnext-small": DINOv3ConvNextConfig(depths=[3, 3, 27, 3], hidden_sizes=[96, 192, 384, 768]),
        "dinov3-convnext-base": DINOv3ConvNextConfig(depths=[3, 3, 27, 3], hidden_sizes=[128, 256, 512, 1024]),
        "dinov3-convnext-large": DINOv3ConvNextConfig(depths=[3, 3, 27, 3], hidden_sizes=[192, 384, 768, 1536],
                                                      layer_norm_eps=1e-6),
    }


def depth_anything_configs():
    """Depth Anything V2 as its conversion script builds it: a DINOv2 backbone (facebook/dinov2-*'s
    configuration with out_indices, apply_layernorm, no reshaping) under a DPT neck and head."""
    from transformers import DepthAnythingConfig, Dinov2Config

    def v2(hidden, heads, layers, out, fusion, neck):
        backbone = Dinov2Config(hidden_size=hidden, num_attention_heads=heads, num_hidden_layers=layers, mlp_ratio=4,
                                image_size=518, patch_size=14, layerscale_value=1.0, layer_norm_eps=1e-6,
                                out_indices=out, apply_layernorm=True, reshape_hidden_states=False)
        return DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=hidden, patch_size=14,
                                   reassemble_factors=[4, 2, 1, 0.5], neck_hidden_sizes=neck, fusion_hidden_size=fusion,
                                   head_hidden_size=32, depth_estimation_type="relative")

    return {
        "depth-anything-v2-small": v2(384, 6, 12, [3, 6, 9, 12], 64, [48, 96, 192, 384]),
        "depth-anything-v2-base": v2(768, 12, 12, [3, 6, 9, 12], 128, [96, 192, 384, 768]),
        "depth-anything-v2-large": v2(1024, 16, 24, [5, 12, 18, 24], 256, [256, 512, 1024, 1024]),
    }


def grounding_dino_configs():
    """As transformers' convert_grounding_dino_to_hf.py builds them: the default config (= tiny,
    Swin-T window 7) and base (Swin-B window 12 at 384, embed 128); BERT-base text encoder."""
    from transformers import GroundingDinoConfig, SwinConfig

    base = SwinConfig(window_size=12, image_size=384, embed_dim=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32],
                      out_indices=[2, 3, 4])
    return {"grounding-dino-tiny": GroundingDinoConfig(), "grounding-dino-base": GroundingDinoConfig(backbone_config=base)}


def sam3_configs():
    """facebook/sam3: the video wrapper (transformers' convert_sam3_video_to_hf.py) whose detector,
    a plain Sam3Config(), is what the sam3 family serves."""
    from transformers import Sam3VideoConfig

    return {"sam3": Sam3VideoConfig()}


def sam2_configs():
    """facebook/sam2.1-hiera-{tiny,small,base-plus,large} as transformers' convert_sam2_to_hf.py
    builds them (Hiera sizes; the prompt encoder and mask decoder at their defaults), and SAM3's
    tracker as facebook/sam3 holds it."""
    from transformers import Sam2Config, Sam2HieraDetConfig, Sam2VisionConfig, Sam3VideoConfig

    def sam2(channels=None, **hiera):
        vision = Sam2VisionConfig(backbone_config=Sam2HieraDetConfig(**hiera),
                                  **({"backbone_channel_list": channels} if channels else {}))
        return Sam2Config(vision_config=vision)

    return {
        "sam2.1-hiera-tiny": sam2(),
        "sam2.1-hiera-small": sam2(blocks_per_stage=[1, 2, 11, 2], global_attention_blocks=[7, 10, 13]),
        "sam2.1-hiera-base-plus": sam2([896, 448, 224, 112], hidden_size=112, embed_dim_per_stage=[112, 224, 448, 896],
                                       num_attention_heads_per_stage=[2, 4, 8, 16], blocks_per_stage=[2, 3, 16, 3],
                                       global_attention_blocks=[12, 16, 20],
                                       window_positional_embedding_background_size=[14, 14]),
        "sam2.1-hiera-large": sam2([1152, 576, 288, 144], hidden_size=144, embed_dim_per_stage=[144, 288, 576, 1152],
                                   num_attention_heads_per_stage=[2, 4, 8, 16], blocks_per_stage=[2, 6, 36, 4],
                                   global_attention_blocks=[23, 33, 43], window_positional_embedding_background_size=[7, 7],
                                   window_size_per_stage=[8, 4, 16, 8]),
        # The tracker inside facebook/sam3 (its sam3_video config; the tracker's keys under
        # tracker_model., its neck under tracker_neck., its backbone the detector's).
        "sam3-tracker": Sam3VideoConfig(),
    }


DA3_PRESETS = {"depth-anything-3-small": "da3-small", "depth-anything-3-base": "da3-base",
               "depth-anything-3-large": "da3-large", "depth-anything-3-giant": "da3-giant",
               "depth-anything-3-metric-large": "da3metric-large", "depth-anything-3-mono-large": "da3mono-large",
               "depth-anything-3-nested-giant-large": "da3nested-giant-large"}


def depth_anything_3_configs():
    """The depth-anything-3 package's presets, as the hub's config.json names them (`model_name`;
    the package builds the network from its own preset YAML)."""
    return {name: {"model_name": preset} for name, preset in DA3_PRESETS.items()}


CONFIGS = {"dinov3": dinov3_configs, "depth_anything": depth_anything_configs, "grounding_dino": grounding_dino_configs,
           "sam3": sam3_configs, "sam2": sam2_configs, "depth_anything_3": depth_anything_3_configs}
ARCHITECTURES = {"DINOv3ViTConfig": "DINOv3ViTModel", "DINOv3ConvNextConfig": "DINOv3ConvNextModel",
                 "DepthAnythingConfig": "DepthAnythingForDepthEstimation",
                 "GroundingDinoConfig": "GroundingDinoForObjectDetection", "Sam3VideoConfig": "Sam3VideoModel",
                 "Sam2Config": "Sam2Model"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", nargs="?", default=os.path.join(ROOT, "graphs"))
    parser.add_argument("--only", default="", help="comma-separated graph names")
    args = parser.parse_args()
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    for family, make in CONFIGS.items():
        for name, config in make().items():
            if only and name not in only:
                continue
            with tempfile.TemporaryDirectory() as folder:
                if isinstance(config, dict):
                    with open(os.path.join(folder, "config.json"), "w") as f:
                        json.dump(config, f)
                else:
                    config.architectures = [ARCHITECTURES[type(config).__name__]]
                    config.save_pretrained(folder)
                print(f"== {name}")
                subprocess.run([sys.executable, os.path.join(HERE, "graph_only.py"), family,
                                os.path.join(folder, "config.json"), os.path.join(args.output, name)], check=True)


if __name__ == "__main__":
    main()
