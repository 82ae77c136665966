"""Writes the shipped graphs (graphs/<name>/: model.onnx without weights + fingerprint.json) for the
official checkpoints' configurations, through tools/export/graph_only.py.

    python3 tools/export/official_graphs.py [graphs] [--only dinov3-vits16,...]

The configurations are built from the facts in ../shared/reference/official-checkpoints.md (the
values transformers' conversion scripts write), not read from the hub. Families done so far: DINOv3, Depth Anything V2.
"""
import argparse
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
        "dinov3-vith16plus": DINOv3ViTConfig(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                                             num_attention_heads=20, hidden_act="silu", use_gated_mlp=True, **vit),
        "dinov3-convnext-tiny": DINOv3ConvNextConfig(depths=[3, 3, 9, 3], hidden_sizes=[96, 192, 384, 768]),
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


CONFIGS = {"dinov3": dinov3_configs, "depth_anything": depth_anything_configs}
ARCHITECTURES = {"DINOv3ViTConfig": "DINOv3ViTModel", "DINOv3ConvNextConfig": "DINOv3ConvNextModel",
                 "DepthAnythingConfig": "DepthAnythingForDepthEstimation"}


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
            config.architectures = [ARCHITECTURES[type(config).__name__]]
            with tempfile.TemporaryDirectory() as folder:
                config.save_pretrained(folder)
                print(f"== {name}")
                subprocess.run([sys.executable, os.path.join(HERE, "graph_only.py"), family,
                                os.path.join(folder, "config.json"), os.path.join(args.output, name)], check=True)


if __name__ == "__main__":
    main()
