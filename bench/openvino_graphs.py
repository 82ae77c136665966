"""Which of the project's graphs OpenVINO takes: every ONNX graph under the given folders (default:
the test fixtures' models, the project exporter's and the community layouts, tiny but of the same
structure as real size) read and compiled by OpenVINO's CPU plugin at f32, the same OpenVINO the
execution provider plugin carries (`pip install openvino==2026.4.*` into the tools venv). A graph
whose inputs are all float images or token ids of known rank is also run on one input and compared
with ONNX Runtime's CPU provider (max |OpenVINO - ONNX Runtime| / max |ONNX Runtime|).

    ~/.venvs/vision-models-api/bin/python bench/openvino_graphs.py [FOLDER ...]

Output: a Markdown table on stdout.
"""
import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def example(inputs, size):
    """One input per graph input at image side `size` when each is an image [B, 3, H, W], a pixel
    mask [B, H, W] or an integer sequence [B, L]; else None."""
    feeds = {}
    rng = np.random.default_rng(0)
    for i in inputs:
        shape = [d if isinstance(d, int) else None for d in i.shape]
        if i.type == "tensor(float)" and len(shape) == 4 and shape[1] in (3, None):
            feeds[i.name] = rng.standard_normal((1, 3, shape[2] or size, shape[3] or size)).astype(np.float32)
        elif i.type == "tensor(int64)" and len(shape) == 3:
            feeds[i.name] = np.ones((1, shape[1] or size, shape[2] or size), np.int64)
        elif i.type == "tensor(int64)" and len(shape) == 2:
            feeds[i.name] = np.ones((1, shape[1] or 8), np.int64)
        else:
            return None
    return feeds


def reference(session):
    """Inputs ONNX Runtime runs (the first image side that works) and its outputs; None when none does."""
    for size in (64, 32, 56, 98):
        feeds = example(session.get_inputs(), size)
        if feeds is None:
            return None
        try:
            return feeds, session.run(None, feeds)
        except Exception:
            continue
    return None


def main(folders):
    import onnxruntime as ort
    import openvino as ov

    core = ov.Core()
    rows = []
    for folder in folders:
        for path in sorted(glob.glob(os.path.join(folder, "**", "*.onnx"), recursive=True)):
            name = os.path.relpath(path, ROOT)
            try:
                compiled = core.compile_model(core.read_model(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
            except Exception as error:  # the reason OpenVINO gives, first line
                rows.append((name, "refused", str(error).strip().splitlines()[-1][:140]))
                continue
            session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            ran = reference(session)
            if ran is None:
                rows.append((name, "compiles", "prompt inputs not generated here"))
                continue
            feeds, want = ran
            try:
                got = compiled(feeds)
                errors = [float(np.abs(np.asarray(got[i]) - w).max() / max(1e-12, float(np.abs(w).max())))
                          for i, w in enumerate(want) if np.issubdtype(w.dtype, np.floating) and w.size]
                rows.append((name, "runs", f"max relative difference {max(errors or [0]):.1e}"))
            except Exception as error:
                rows.append((name, "compiles, fails to run", str(error).strip().splitlines()[-1][:140]))
    print(f"OpenVINO {ov.__version__}, ONNX Runtime {ort.__version__}\n")
    print("| graph | OpenVINO | detail |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    taken = sum(1 for r in rows if r[1] in ("runs", "compiles"))
    print(f"\n{taken} of {len(rows)} graphs taken")


if __name__ == "__main__":
    main(sys.argv[1:] or [os.path.join(ROOT, "Tests", "Fixtures", "models")])
