"""The real server on the committed tiny models (bench/fixture_server.py), shared by the tests."""
import os
import socket
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))
from fixture_server import FixtureServer  # noqa: E402

BINARY = os.environ.get("VMA_BINARY")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixture_server(**env):
    """A server on a free port (env: extra settings)."""
    return FixtureServer(port=free_port(), binary=BINARY, env=env or None)


@pytest.fixture(scope="module")
def server():
    with fixture_server() as s:
        yield s
