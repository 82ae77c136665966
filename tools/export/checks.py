"""The export checks (an ONNX graph against PyTorch on fixed inputs), recorded per graph file so
that graphs derived from it later (fused, quantized, fp16) can be held to the same check or
measured on the same inputs.

An exporter calls `record(path, feeds, expected, compare)`: the check runs at once (as before) and
is kept. `compare(graph_path, feeds, expected)` raises SystemExit when the graph is off.
"""
import os

import numpy as np

_CHECKS = {}


class Check:
    def __init__(self, feeds, expected, compare):
        self.feeds = feeds
        self.expected = expected
        self.compare = compare


def record(path, feeds, expected, compare):
    """Runs `compare` on `path` now and remembers it for the graphs derived from `path`."""
    check = Check(feeds, expected, compare)
    _CHECKS.setdefault(os.path.abspath(path), []).append(check)
    compare(path, feeds, expected)


def recorded(path):
    """The checks recorded for `path`, in the order they ran."""
    return list(_CHECKS.get(os.path.abspath(path), []))


def run_named(path, feeds, session_options=None):
    """Runs the graph on the feeds it lists (a graph may drop unused inputs): [(output name, value)]."""
    import onnxruntime as ort

    session = ort.InferenceSession(path, session_options, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    values = session.run(None, {k: v for k, v in feeds.items() if k in wanted})
    return list(zip([o.name for o in session.get_outputs()], values))


def run_graph(path, feeds, session_options=None):
    """Every output of the graph, in order, on the feeds it lists."""
    return [value for _, value in run_named(path, feeds, session_options)]


def accuracy(path, original):
    """How far `path` is from PyTorch on the checks recorded for `original`: per output, the worst
    relative error (max |a - b| / max |b|) and the lowest cosine similarity, over finite values."""
    report = {}
    for check in recorded(original):
        got = run_graph(path, check.feeds)
        for i, (a, b) in enumerate(zip(got, check.expected)):
            a = np.asarray(a, dtype=np.float64)
            b = np.asarray(b, dtype=np.float64)
            if a.shape != b.shape or not b.size:
                continue
            finite = np.isfinite(a) & np.isfinite(b)
            a, b = a[finite], b[finite]
            if not b.size:
                continue
            rel = float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(b)))))
            cos = float(np.dot(a, b) / max(1e-24, float(np.linalg.norm(a) * np.linalg.norm(b))))
            worst = report.setdefault(i, {"max_relative_error": 0.0, "min_cosine": 1.0})
            worst["max_relative_error"] = max(worst["max_relative_error"], rel)
            worst["min_cosine"] = min(worst["min_cosine"], cos)
    return report


def check_outputs(name, path, feeds, expected, tolerance):
    """ONNX Runtime against PyTorch within `tolerance` (relative to the output's largest value), recorded
    for the graphs derived from this one. A graph drops inputs it never uses: it is fed what it lists."""
    record(path, feeds, expected, lambda p, f, e: compare_outputs(name, run_graph(p, f), e, tolerance))


def compare_outputs(name, got, expected, tolerance):
    for i, (a, b) in enumerate(zip(got, expected)):
        if a.shape != b.shape:
            raise SystemExit(f"export check failed: {name} output {i} has shape {list(a.shape)}, PyTorch {list(b.shape)}")
        diff = float(np.max(np.abs(a - b))) if a.size else 0.0
        scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
        print(f"  {name}[{i}]: shape {list(a.shape)}, max |onnx - torch| = {diff:.2e}")
        if not diff <= tolerance * scale:
            raise SystemExit(f"export check failed: {name} output {i} differs by {diff}")
