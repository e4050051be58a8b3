"""Helpers the tests import (not fixtures): the repository root and a served app.

They live here rather than in conftest.py because each plugin's test folder has a conftest.py of
its own, and ``from conftest import ...`` would get whichever pytest loaded last.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_app() -> Iterator[str]:
    """Serve the app on a free loopback port for the duration of a block; yield its URL."""
    from mmzoo.app import launch

    port = free_port()
    blocks = launch(port=port, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        blocks.close()
