"""Start-up times users feel: `mmzoo --help`, `mmzoo models`, and the app's cold start.

Prints the median wall time of each CLI command over several runs (target < 0.3 s, and no torch
import), and the seconds from launching `mmzoo demo` to its first HTTP answer.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

TARGET_S = 0.3
MMZOO = shutil.which("mmzoo", path=str(Path(sys.executable).parent)) or "mmzoo"


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def heavy_imports(args: list[str]) -> list[str]:
    probe = textwrap.dedent(f"""
        import sys
        from mmzoo.cli import cli
        try:
            cli.main({args!r}, prog_name="mmzoo", standalone_mode=False)
        except SystemExit:
            pass
        print("HEAVY=" + ",".join(m for m in ("torch", "gradio", "transformers") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().splitlines()[-1].removeprefix("HEAVY=").split(",") if m]


def app_cold_start(timeout: float = 120.0) -> float:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.perf_counter()
    server = subprocess.Popen([MMZOO, "demo", "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        while time.perf_counter() - start < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"the app did not answer within {timeout} s")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    print(f"{'command':<22}{'median s':>10}{'min s':>8}  target   heavy imports")
    for args in (["--help"], ["models"]):
        times = [wall([MMZOO, *args]) for _ in range(runs)]
        median = statistics.median(times)
        verdict = "ok" if median < TARGET_S else "SLOW"
        heavy = heavy_imports(args)
        print(f"{'mmzoo ' + ' '.join(args):<22}{median:>10.3f}{min(times):>8.3f}  <{TARGET_S} {verdict:<4} "
              f"{', '.join(heavy) or 'none'}")
    cold = [app_cold_start() for _ in range(3)]
    print(f"{'app cold start':<22}{statistics.median(cold):>10.3f}{min(cold):>8.3f}  (to first HTTP 200)")


if __name__ == "__main__":
    main()
