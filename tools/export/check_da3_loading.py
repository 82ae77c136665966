"""The exporter loads a Depth Anything 3 checkpoint written by the `depth-anything-3` package's own
`save_pretrained` (the way the hub's checkpoints are written), tensor for tensor as the package's
`from_pretrained` does, and still refuses a checkpoint with a key that is really missing.

    ~/.venvs/vision-models-api/bin/python tools/export/check_da3_loading.py [--model da3-small]

Needs torch and the package (tools/setup-venv.sh); not run by CI. Prints one line per check.
"""
import argparse
import os
import sys
import tempfile

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import da3_export  # noqa: E402

CHECKS = []


def check(name, ok, detail=""):
    if not ok:
        print(f"FAIL {name}: {detail}")
        sys.exit(1)
    CHECKS.append(name)
    print(f"ok   {name}")


def same_tensors(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="da3-small", help="a preset of the package with tied modules")
    args = parser.parse_args()
    from depth_anything_3.api import DepthAnything3

    torch.manual_seed(0)
    package = DepthAnything3(model_name=args.model)
    with torch.no_grad():  # weights unlike the initial ones, so a skipped tensor shows
        for p in package.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    with tempfile.TemporaryDirectory() as folder:
        package.save_pretrained(folder)
        path = os.path.join(folder, "model.safetensors")
        saved = load_file(path)
        expected = package.model.state_dict()
        absent = sorted(k for k in expected if "model." + k not in saved)
        check(f"save_pretrained stores tied tensors once ({len(absent)} names absent from the file)",
              len(absent) > 0, "nothing is tied in this preset")

        strict = da3_export.build_network(folder)[0]
        state = {k[len("model."):]: v for k, v in saved.items()}
        try:
            strict.load_state_dict(state, strict=True)
            check("a strict load refuses the file (the exporter's old failure)", False, "it loaded")
        except RuntimeError as error:
            check("a strict load refuses the file (the exporter's old failure)", "Missing key" in str(error))

        net, name = da3_export.load_network(folder)
        loaded = net.state_dict()
        check(f"the exporter loads {name} as saved: every tensor equal", same_tensors(loaded, expected),
              [k for k in expected if not torch.equal(loaded[k], expected[k])][:5])
        reloaded = DepthAnything3.from_pretrained(folder).model.state_dict()
        check("the package's from_pretrained gives the same tensors", same_tensors(loaded, reloaded))

        groups = {}
        for key, tensor in package.model.state_dict(keep_vars=True).items():
            groups.setdefault((tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape)),
                              []).append(key)
        tied = {n for names in groups.values() if len(names) > 1 for n in names}
        lonely = next(k for k in saved if k.endswith(".weight") and k[len("model."):] not in tied)
        save_file({k: v for k, v in saved.items() if k != lonely}, path)
        try:
            da3_export.load_network(folder)
            check("a really missing key is still an error", False, "it loaded")
        except SystemExit as error:
            check("a really missing key is still an error", lonely[len("model."):] in str(error), str(error))

        kept = next("model." + n for names in groups.values() if len(names) > 1 for n in names if "model." + n in saved)
        save_file({k: v for k, v in saved.items() if k != kept}, path)
        try:
            da3_export.load_network(folder)
            check("a tied group with none of its names in the file is an error", False, "it loaded")
        except SystemExit as error:
            check("a tied group with none of its names in the file is an error", kept[len("model."):] in str(error),
                  str(error))
    print(f"check_da3_loading: {len(CHECKS)} checks passed")


if __name__ == "__main__":
    main()
