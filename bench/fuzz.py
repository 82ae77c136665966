"""Fuzzes the server with schemathesis against its own /openapi.json, on the committed tiny models.

    bash bench/fuzz.sh [--cases 50] [--seconds 240] [--keys] [--seed N]

(bench/fuzz.sh makes the venv with schemathesis and builds the server; this script starts the server
through bench/fixture_server.py and runs schemathesis with every check: no 5xx, status codes,
content types, headers and bodies as documented, schema-valid requests accepted and schema-invalid
ones refused, links followed from job submit to poll and cancel.) `--keys` sets API_KEYS and sends
the key, so the document declares the key schemes and the auth checks run too. Settings that no
schema can carry are in bench/schemathesis.toml.

Writes a JUnit report under bench/out/fuzz/ and prints the case count and result; exit status 0
only when every generated case passed.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fixture_server import FixtureServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=50, help="most generated cases per operation and phase")
    parser.add_argument("--seconds", type=int, default=240, help="time budget of the run")
    parser.add_argument("--keys", action="store_true", help="serve with API_KEYS and authenticate")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--port", type=int, default=8131)
    parser.add_argument("--schemathesis", default="schemathesis")
    parser.add_argument("--binary", help="the server binary (default: release if built, else debug)")
    args = parser.parse_args()
    out = os.path.join(HERE, "out", "fuzz")
    os.makedirs(out, exist_ok=True)
    mode = "keys" if args.keys else "open"
    key = "fuzz-key-" + os.urandom(8).hex()
    env = {"API_KEYS": key} if args.keys else {}
    log = os.path.join(out, f"server-{mode}.log")
    with FixtureServer(args.port, binary=args.binary, env=env, log=log) as server:
        command = [args.schemathesis, "--config-file", os.path.join(HERE, "schemathesis.toml"), "run",
                   server.url + "/openapi.json", "--checks", "all",
                   # Every check but use-after-free: DELETE of a pending job cancels it and keeps its
                   # record by design (see bench/schemathesis.toml).
                   "--exclude-checks", "use_after_free", "--max-examples", str(args.cases),
                   "--max-time", str(args.seconds), "--continue-on-failure", "--workers", "2",
                   "--generation-database", "none", "--no-color",
                   "--report", "junit", "--report-junit-path", os.path.join(out, f"junit-{mode}.xml")]
        if args.keys:
            command += ["--header", f"Authorization: Bearer {key}"]
        if args.seed is not None:
            command += ["--seed", str(args.seed)]
        run = subprocess.run(command, capture_output=True, text=True)
        alive = server.process.poll() is None
    text = run.stdout + run.stderr
    with open(os.path.join(out, f"schemathesis-{mode}.txt"), "w") as f:
        f.write(text)
    summary = re.search(r"(\d+) generated, (.*)", text)
    print(text[text.find("=== SUMMARY"):] if "=== SUMMARY" in text else text[-4000:])
    generated = int(summary.group(1)) if summary else 0
    print(f"mode={mode} generated={generated} result='{summary.group(2).strip() if summary else '?'}' "
          f"schemathesis_rc={run.returncode} server_alive_at_end={alive}")
    if generated < 1000:
        print("fewer than 1000 cases were generated: raise --seconds or --cases", file=sys.stderr)
        return 1
    return 0 if run.returncode == 0 and alive else 1


if __name__ == "__main__":
    sys.exit(main())
