"""Writes the shipped graphs (graphs/<name>/: model.onnx without weights + fingerprint.json) for the
official checkpoints' configurations, through tools/export/graph_only.py.

    python3 tools/export/official_graphs.py [graphs] [--only dinov3-vits16,...]

The configurations are built from the facts in ../shared/reference/official-checkpoints.md (the
values transformers' conversion scripts write), not read from the hub. Families done so far: DINOv3.
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
        "dinov3-convnext-tiny": DINOv3ConvNextConfig(depths=[3, 3, 9, 3], hidden_sizes=[96, 192, 384, 768]),
    }


CONFIGS = {"dinov3": dinov3_configs}
ARCHITECTURES = {"DINOv3ViTConfig": "DINOv3ViTModel", "DINOv3ConvNextConfig": "DINOv3ConvNextModel"}


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
