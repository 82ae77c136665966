"""The server's end-to-end time over the raw ONNX Runtime session's, alternated in one run.

    ~/.venvs/vision-models-api/bin/python bench/overhead.py --work bench/out/table-work \
        [--families dinov3,depth,grounding_dino,sam3] [--rounds 5] [--per-round 3]

bench/table.py times each system in its own process one after another, so on a shared machine the
ratio of two rows also carries whatever the machine did in between. Here one server (fp32, the
table's request) and one raw session of the same graph (the table's raw ORT row: the processor's
tensors, model only) run in turns, `--per-round` calls each, `--rounds` times, after a warm-up;
the medians and their ratio are printed per family.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import table  # noqa: E402


def measure(family, work, rounds, per_round):
    with open(os.path.join(work, f"built-{family}.json")) as f:
        info = json.load(f)
    image = bench.test_image()
    port = bench.free_port()
    proc, _, _ = bench.start_swift(os.path.join(work, "root"), port,
                                   {"SAM3_EMBEDDING_CACHE_MB": "0", "JOB_WORKERS": "0", "HF_HUB_OFFLINE": "1"})
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        path, body = table.request_body(family, info, image, None)
        data = json.dumps(body).encode()
        bench.post(conn, path, data)
        raw = table.raw_ort(family, info, image)
        raw()
        server_ms, raw_ms = [], []
        for _ in range(rounds):
            for _ in range(per_round):
                start = time.perf_counter()
                bench.post(conn, path, data)
                server_ms.append((time.perf_counter() - start) * 1000)
            for _ in range(per_round):
                start = time.perf_counter()
                raw()
                raw_ms.append((time.perf_counter() - start) * 1000)
    finally:
        proc.terminate()
        proc.wait()
    return statistics.median(server_ms), statistics.median(raw_ms), len(server_ms)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--families", default=",".join(table.FAMILIES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=3)
    args = parser.parse_args()
    for family in args.families.split(","):
        server, raw, n = measure(family, args.work, args.rounds, args.per_round)
        print(f"{family}: server {server:.0f} ms, raw session {raw:.0f} ms, {server / raw:.3f}x raw "
              f"(medians of {n} each, alternated)", flush=True)


if __name__ == "__main__":
    main()
