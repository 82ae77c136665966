"""The server's resident memory over a model's load and two requests, phase by phase.

    ~/.venvs/vision-models-api/bin/python bench/memory_timeline.py --work DIR --family sam3 [ENV=VALUE ...]

DIR is a bench/table.py work folder (its built-<family>.json and root/ HF cache). The server
starts on that cache (offline, jobs off, SAM3 embedding cache off), `/models/load` loads the
model, then the family's bench request runs twice; VmRSS is sampled every 0.25 s. Prints the
high-water mark (VmHWM) and, per phase, the largest sample and the last one. Extra ENV=VALUE
arguments go to the server (e.g. ORT_CPU_MEM_ARENA=false).
"""
import argparse
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import table  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--family", default="sam3", choices=table.FAMILIES)
    parser.add_argument("env", nargs="*", help="ENV=VALUE for the server")
    args = parser.parse_args()
    with open(os.path.join(args.work, f"built-{args.family}.json")) as f:
        info = json.load(f)
    env = dict(a.split("=", 1) for a in args.env)
    env = dict({"SAM3_EMBEDDING_CACHE_MB": "0", "JOB_WORKERS": "0", "HF_HUB_OFFLINE": "1"}, **env)
    port = bench.free_port()
    proc, _, _ = bench.start_swift(os.path.join(args.work, "root"), port, env)
    samples, marks, done = [], [], threading.Event()
    t0 = time.perf_counter()

    def sample():
        while not done.is_set():
            try:
                with open(f"/proc/{proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            samples.append((time.perf_counter() - t0, int(line.split()[1]) / 1024))
            except OSError:
                pass
            time.sleep(0.25)
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        model_type = {"depth": "depth_anything"}.get(args.family, args.family)
        bench.post(conn, "/models/load", json.dumps({"model_type": model_type, "model_id": info["repo"]}).encode())
        marks.append(("load", time.perf_counter() - t0))
        path, body = table.request_body(args.family, info, bench.test_image(), None)
        for name in ("request 1", "request 2"):
            start = time.perf_counter()
            bench.post(conn, path, json.dumps(body).encode())
            marks.append((f"{name} ({time.perf_counter() - start:.1f} s)", time.perf_counter() - t0))
        peak = bench.peak_rss_mb(proc.pid)
    finally:
        done.set()
        sampler.join()
        proc.terminate()
        proc.wait()
    print(f"{info['repo']} {env}: peak (VmHWM) {peak:.0f} MB")
    previous = 0.0
    for name, t in marks:
        phase = [mb for s, mb in samples if previous <= s <= t] or [0.0]
        print(f"  {name}: largest sample {max(phase):.0f} MB, at the end {phase[-1]:.0f} MB")
        previous = t


if __name__ == "__main__":
    main()
