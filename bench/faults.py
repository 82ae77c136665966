#!/usr/bin/env python3
"""PostgreSQL restarted under a submit flood, as an operator would try it (issue 25).

Starts a throwaway PostgreSQL server (scripts/postgres-test-server.sh) and the server binary on the
tiny DINOv3 fixture model, sends SUBMITS job submits from CLIENTS threads at RATE per second, each
with its own Idempotency-Key and retried with that key on 429/503 (after Retry-After, at most 2 s)
as the Python client does, and stops PostgreSQL (`pg_ctl -m fast`) for DOWN seconds OUTAGES times
mid-flood. Then: one more submit, every accepted job waited for, the counts checked, SIGTERM timed.

    python3 bench/faults.py --binary .build/release/vision-models-api

Standard library only; loopback only. Exits 1 when a check fails.
"""
import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "postgres-test-server.sh")
MODEL = "tests/dinov3-vit-tiny"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_root():
    """A HF_ROOT_FOLDER whose cache holds the tiny DINOv3 fixture as tests/dinov3-vit-tiny."""
    root = tempfile.mkdtemp(prefix="faults-root-")
    repo = os.path.join(root, "content", "hf_cache", "hub", "models--tests--dinov3-vit-tiny")
    commit = "f" * 40
    os.makedirs(os.path.join(repo, "refs"))
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write(commit)
    shutil.copytree(os.path.join(ROOT, "Tests", "Fixtures", "models", "dinov3-vit-tiny"),
                    os.path.join(repo, "snapshots", commit))
    return root


def request(port, method, path, body=None, headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=dict(headers or {}, **({"Content-Type": "application/json"} if body else {})))
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "vision-models-api"))
    parser.add_argument("--submits", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--outages", type=int, default=2)
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays down each time")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)

    pg = tempfile.mkdtemp(prefix="faults-pg-")
    # Its output into a file: the PostgreSQL server it starts would hold a pipe open.
    with tempfile.TemporaryFile("w+") as out:
        subprocess.run(["bash", SCRIPT, "start", pg], check=True, stdout=out, stdin=subprocess.DEVNULL)
        out.seek(0)
        url = out.read().strip()
    root = model_root()
    port = free_port()
    log = open(os.path.join(root, "server.log"), "w")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HF_ROOT_FOLDER": root, "HF_HUB_OFFLINE": "1",
           "JOBS_DATABASE_URL": url, "JOB_WORKERS": "2", "INTRA_OP_THREADS": "1"}
    server = subprocess.Popen([args.binary, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=root,
                              stdout=log, stderr=subprocess.STDOUT)
    failures = []
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/health/ready", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        image = base64.b64encode(open(os.path.join(ROOT, "Tests", "Fixtures", "preprocessing", "grey_41x67.png"), "rb").read()).decode()
        body = json.dumps({"images": [image], "model_id": MODEL}).encode()

        lock = threading.Lock()
        accepted, statuses, latencies, unanswered, first_tried = {}, {}, [], [0], {}
        start = time.monotonic()
        next_index = [0]

        def submit(key):
            began = time.monotonic()
            while time.monotonic() - began < 60:
                sent = time.monotonic()
                try:
                    status, headers, payload = request(port, "POST", "/jobs/submit/dinov3", body, {"Idempotency-Key": key})
                except OSError:
                    with lock:
                        unanswered[0] += 1
                    continue
                with lock:
                    latencies.append(time.monotonic() - sent)
                    statuses[status] = statuses.get(status, 0) + 1
                if status in (200, 202):
                    with lock:
                        accepted[key] = json.loads(payload)["job_id"]
                        first_tried[key] = began
                    return
                if status not in (429, 503, 507):
                    with lock:
                        failures.append(f"submit {key}: {status} {payload[:200]!r}")
                    return
                time.sleep(min(float(headers.get("Retry-After", "1")), 2.0))

        def client():
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= args.submits:
                    return
                delay = start + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                submit(f"drill-{i}")

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for t in threads:
            t.start()
        flood_seconds = args.submits / args.rate
        back_up = []
        for n in range(args.outages):
            time.sleep(max(0.0, start + (n + 1) * flood_seconds / (args.outages + 1) - args.down / 2 - time.monotonic()))
            subprocess.run(["bash", SCRIPT, "down", pg], check=True, stdin=subprocess.DEVNULL)
            time.sleep(args.down)
            subprocess.run(["bash", SCRIPT, "up", pg], check=True, stdin=subprocess.DEVNULL)
            back_up.append(time.monotonic())
        for t in threads:
            t.join()
        after = request(port, "POST", "/jobs/submit/dinov3", body, {"Idempotency-Key": "drill-after"})[0]
        ids = set(accepted.values())
        deadline = time.monotonic() + 180
        completed = 0
        while time.monotonic() < deadline:
            completed = json.loads(request(port, "GET", "/jobs?status=completed&limit=1")[2])["total"]
            if completed >= len(ids) + (1 if after in (200, 202) else 0):
                break
            time.sleep(0.5)
        total = json.loads(request(port, "GET", "/jobs?limit=1")[2])["total"]
        metrics = request(port, "GET", "/metrics")[2].decode()
        store_errors = [line for line in metrics.splitlines() if line.startswith("vma_job_store_errors_total")]
        began = time.monotonic()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        stopped = time.monotonic() - began
        logged = [line for line in open(log.name) if "job completed" in line]
        latencies.sort()
        after_each = [any(t > up for t in first_tried.values()) for up in back_up]

        print(f"submits {args.submits} from {args.clients} clients at {args.rate:g}/s, PostgreSQL down {args.down:g} s x {args.outages}")
        print(f"answers by status: {dict(sorted(statuses.items()))}; no answer within 30 s: {unanswered[0]}")
        print(f"answer latency: p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p99 "
              f"{latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, max {latencies[-1]:.2f} s")
        print(f"accepted keys {len(accepted)}, distinct jobs {len(ids)}, jobs stored {total}, completed {completed}, "
              f"completions logged {len(logged)}")
        print(f"a submit accepted after each outage: {after_each}; submit after the drill: {after}")
        print(f"SIGTERM to exit: {stopped:.2f} s")
        print("store errors: " + "; ".join(store_errors))
        checks = {
            "every submit answered": unanswered[0] == 0 and not failures,
            "answers within 30 s": latencies[-1] < 30,
            "one job per key": len(ids) == len(accepted) == args.submits,
            "stored = accepted (+1 after)": total == len(ids) + (1 if after in (200, 202) else 0),
            "all completed": completed == total,
            "none completed twice": len(logged) <= total,
            "accepted after each outage": all(after_each) and after in (200, 202),
            "SIGTERM within 20 s": stopped < 20,
        }
        for name, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
        for failure in failures[:5]:
            print("  " + failure)
        return 0 if all(checks.values()) else 1
    finally:
        if server.poll() is None:
            server.kill()
        subprocess.run(["bash", SCRIPT, "stop", pg], stdin=subprocess.DEVNULL)
        shutil.rmtree(pg, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
