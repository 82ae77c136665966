"""Starts the server on the committed tiny test models, each installed in a temporary hub cache
under its family's default model id, so every route answers without a download. Used by
bench/fuzz.sh and bench/load.py; no torch needed.

    python3 bench/fixture_server.py [--port 8123] [--binary .build/debug/vision-models-api] [ENV=VALUE ...]

Prints the base URL and the cache folder, then serves until interrupted.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools", "export"))
from install_in_cache import install  # noqa: E402

MODELS = os.path.join(ROOT, "Tests", "Fixtures", "models")
# fixture folder -> the hub ids it answers for (each family's default first).
INSTALLS = {
    "dinov3-convnext-tiny": ["facebook/dinov3-convnext-tiny-pretrain-lvd1689m"],
    "dinov3-vit-tiny": ["facebook/dinov3-vits16-pretrain-lvd1689m"],
    "depth-anything-3-tiny": ["depth-anything/da3-base"],
    "depth-anything-3-metric-tiny": ["depth-anything/da3metric-large"],
    "depth-anything-3-nested-tiny": ["depth-anything/da3nested-giant-large"],
    "depth-anything-v2-tiny": ["depth-anything/Depth-Anything-V2-Small-hf"],
    "grounding-dino-tiny": ["IDEA-Research/grounding-dino-base", "IDEA-Research/grounding-dino-tiny"],
    "sam3-tiny": ["facebook/sam3"],
    "sam2.1-tiny": ["onnx-community/sam2.1-hiera-tiny-ONNX"],
    "sam3-tracker-tiny": ["onnx-community/sam3-tracker-ONNX"],
    "vit-classifier-tiny": ["Xenova/vit-base-patch16-224"],
    "detr-tiny": ["Xenova/detr-resnet-50"],
    "clip-tiny": ["Xenova/clip-vit-base-patch32"],
    "siglip2-tiny": ["onnx-community/siglip2-base-patch16-224-ONNX"],
}


def prepare_cache(root):
    hub = os.path.join(root, "content", "hf_cache", "hub")  # HF_ROOT_FOLDER/content/hf_cache, as the original
    os.makedirs(hub, exist_ok=True)
    for folder, ids in INSTALLS.items():
        for repo in ids:
            install(os.path.join(MODELS, folder), repo, hub)
    return root


def wait_ready(url, process, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/health/live", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


class FixtureServer:
    """A server process on a fresh fixture cache; `with FixtureServer(...) as s:` gives s.url and s.pid."""

    def __init__(self, port=8123, binary=None, env=None, log=None):
        self.port = port
        self.binary = os.path.abspath(binary) if binary else os.path.join(ROOT, ".build", "release", "vision-models-api")
        if not os.path.exists(self.binary):
            self.binary = os.path.join(ROOT, ".build", "debug", "vision-models-api")
        self.env = env or {}
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self):
        self.root = tempfile.mkdtemp(prefix="vma-fixtures-")
        prepare_cache(self.root)
        env = dict(os.environ, HF_ROOT_FOLDER=self.root, HF_HUB_OFFLINE="1", HOST="127.0.0.1", PORT=str(self.port),
                   JOBS_DATABASE_PATH=os.path.join(self.root, "jobs.sqlite"), LOG_LEVEL="warning")
        env.update(self.env)
        out = open(self.log, "w") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen([self.binary, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                        cwd=self.root)
        self.pid = self.process.pid
        wait_ready(self.url, self.process)
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--binary")
    parser.add_argument("env", nargs="*", help="ENV=VALUE settings for the server")
    args = parser.parse_args()
    env = dict(item.split("=", 1) for item in args.env)
    # SIGTERM ends the run like Ctrl-C, so the server is stopped and the cache removed either way.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with FixtureServer(args.port, args.binary, env) as server:
        print(server.url, server.root, flush=True)
        try:
            server.process.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
