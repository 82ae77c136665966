"""Load on the committed tiny models (bench/fixture_server.py), with the standard library only.

    python3 bench/load.py flood    [--clients 64]  [--seconds 30]   # job submits: do workers keep up?
    python3 bench/load.py overload [--clients 200] [--seconds 60]   # sync inference past capacity

`flood`: CLIENTS clients submit DINOv3 jobs (one 8×8 PNG each) as fast as they are answered for
SECONDS; a sampler reads the queue's counts from /metrics every second. Reports submits/s, jobs
completed per second during the flood and after it (until nothing is pending), and the longest
stretch of the flood with no completion.

`overload`: CLIENTS clients call /inference/dinov3 in closed loops for SECONDS. Reports answers by
status, whether every 429 carried Retry-After, latency percentiles of the 200s, client-side
timeouts and connection resets (both must be 0), and the server's resident memory (VmRSS sampled
every 0.5 s, and VmHWM at the end).

Each run starts its own server; ENV=VALUE arguments go to it (e.g. INFERENCE_QUEUE_LIMIT=8).
Prints one JSON object and appends it to bench/out/load.jsonl.
"""
import argparse
import base64
import http.client
import json
import os
import re
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixture_server import FixtureServer  # noqa: E402

# The same 8×8 gradient PNG as the document's example image.
IMAGE = ("iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAbUlEQVR42hXOUREAUQhCUaMYhShEMcqNQhSi7Fs/OQzjzLCDBg83"
         "MGToMLPsosXLLSxZug/ECgmLE4iI6oFZI2NzBhNTPzj20OHjDo4cvQf/7Bt41Rf+F+h7YsIGBYfLHyc0D8oWFZfrX05p+QDeqGABtJu0bQAAAABJRU5ErkJggg==")
BODY = json.dumps({"images": [IMAGE], "tensor_format": "base64"}).encode()
assert base64.b64decode(IMAGE)[:4] == b"\x89PNG"


class Client:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, port, timeout):
        self.port, self.timeout, self.connection = port, timeout, None

    def request(self, method, path, body=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = self.connection.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def metrics(port):
    """The queue's gauges and counters from /metrics."""
    c = Client(port, 10)
    try:
        _, _, data = c.request("GET", "/metrics")
    finally:
        c.close()
    out = {}
    for line in data.decode().splitlines():
        m = re.match(r'vma_jobs\{status="(\w+)"\} (\d+)', line)
        if m:
            out[m.group(1)] = int(m.group(2))
        m = re.match(r'vma_jobs_finished_total\{outcome="(\w+)"\} (\d+)', line)
        if m:
            out["finished_" + m.group(1)] = int(m.group(2))
    return out


def resident_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_clients(client, count, seconds, stop, every, sample):
    """Runs `count` threads of `client` for `seconds`, calling `sample()` every `every` seconds;
    then sets `stop`, joins them and returns the seconds elapsed."""
    start = time.time()
    threads = [threading.Thread(target=client) for _ in range(count)]
    for t in threads:
        t.start()
    while time.time() - start < seconds:
        time.sleep(every)
        sample()
    stop.set()
    for t in threads:
        t.join()
    return time.time() - start


def flood(server, args):
    stop = threading.Event()
    submitted, refused, errors = [0], [0], []
    lock = threading.Lock()

    def client():
        c = Client(server.port, 60)
        while not stop.is_set():
            try:
                status, _, _ = c.request("POST", "/jobs/submit/dinov3", BODY)
            except Exception as e:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(type(e).__name__)
                continue
            with lock:
                if status == 202:
                    submitted[0] += 1
                elif status == 429:
                    refused[0] += 1
                else:
                    errors.append(f"HTTP {status}")
        c.close()

    samples = []
    start = time.time()
    flood_end = run_clients(client, args.clients, args.seconds, stop, 1.0,
                            lambda: samples.append((time.time() - start, metrics(server.port))))
    at_end = samples[-1][1] if samples else {}
    # Drain: until nothing is pending or running (or 10 minutes).
    while time.time() - start < flood_end + 600:
        m = metrics(server.port)
        samples.append((time.time() - start, m))
        if m.get("pending", 0) == 0 and m.get("running", 0) == 0:
            break
        time.sleep(1)
    drain_end = samples[-1][0]

    def done(m):
        return m.get("finished_completed", m.get("completed", 0))

    during = done(at_end)
    after = done(samples[-1][1]) - during
    longest, last_time, last_done = 0.0, 0.0, 0
    for t, m in samples:
        if t > flood_end:
            break
        if done(m) > last_done:
            last_time, last_done = t, done(m)
        longest = max(longest, t - last_time)
    return {
        "mode": "flood", "clients": args.clients, "seconds": args.seconds,
        "submitted": submitted[0], "submits_per_s": round(submitted[0] / flood_end, 1), "refused_429": refused[0],
        "client_errors": len(errors), "client_error_kinds": sorted(set(errors))[:5],
        "completed_during": during, "completed_per_s_during": round(during / flood_end, 1),
        "completed_after": after,
        "completed_per_s_after": round(after / max(drain_end - flood_end, 1e-9), 1) if after else 0.0,
        "drain_seconds": round(drain_end - flood_end, 1),
        "longest_gap_without_completion_s": round(longest, 1),
        "failed": samples[-1][1].get("finished_failed", 0),
    }


def overload(server, args):
    stop = threading.Event()
    lock = threading.Lock()
    statuses, latencies, missing_retry_after, timeouts, resets, other = {}, [], [0], [0], [0], []

    def client():
        c = Client(server.port, args.timeout)
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                status, headers, _ = c.request("POST", "/inference/dinov3", BODY)
            except (socket.timeout, TimeoutError):
                with lock:
                    timeouts[0] += 1
                continue
            except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
                with lock:
                    resets[0] += 1
                continue
            except Exception as e:  # noqa: BLE001 - counted and reported
                with lock:
                    other.append(type(e).__name__)
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
                if status == 429 and "retry-after" not in headers:
                    missing_retry_after[0] += 1
            if status == 429:
                # A well-behaved client waits as told (capped so the run keeps its pressure).
                retry = headers.get("retry-after", "1")
                time.sleep(min(float(retry) if retry.isdigit() else 1.0, args.max_backoff))
        c.close()

    rss = []
    elapsed = run_clients(client, args.clients, args.seconds, stop, 0.5, lambda: rss.append(resident_kb(server.pid)))
    alive = server.process.poll() is None
    hwm = resident_kb(server.pid, "VmHWM") if alive else 0
    latencies.sort()

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None

    return {
        "mode": "overload", "clients": args.clients, "seconds": args.seconds,
        "answers": {str(k): v for k, v in sorted(statuses.items())},
        "ok_per_s": round(statuses.get(200, 0) / elapsed, 1),
        "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99),
        "429_without_retry_after": missing_retry_after[0], "timeouts": timeouts[0], "resets": resets[0],
        "other_errors": sorted(set(other))[:5],
        "rss_mb_first": round(rss[0] / 1024, 1) if rss else None,
        "rss_mb_max": round(max(rss) / 1024, 1) if rss else None,
        "rss_mb_last": round(rss[-1] / 1024, 1) if rss else None,
        "vm_hwm_mb": round(hwm / 1024, 1), "server_alive": alive,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["flood", "overload"])
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--timeout", type=float, default=30, help="client socket timeout (overload)")
    parser.add_argument("--max-backoff", type=float, default=1.0, help="longest Retry-After wait honoured (overload)")
    parser.add_argument("--port", type=int, default=8141)
    parser.add_argument("--binary")
    parser.add_argument("env", nargs="*", help="ENV=VALUE settings for the server")
    args = parser.parse_intermixed_args()
    args.clients = args.clients or (64 if args.mode == "flood" else 200)
    args.seconds = args.seconds or (30 if args.mode == "flood" else 60)
    env = dict(item.split("=", 1) for item in args.env)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with FixtureServer(args.port, binary=args.binary, env=env, log=os.path.join(HERE, "out", f"load-{args.mode}.log")) as server:
        # One warm-up request loads the model, so the run measures serving, not loading.
        status, _, _ = Client(server.port, 120).request("POST", "/inference/dinov3", BODY)
        assert status == 200, status
        result = (flood if args.mode == "flood" else overload)(server, args)
    result["binary"] = os.path.basename(os.path.dirname(server.binary))
    result["env"] = env
    line = json.dumps(result)
    print(line)
    with open(os.path.join(HERE, "out", "load.jsonl"), "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
