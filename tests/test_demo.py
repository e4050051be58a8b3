"""The README's promises: `mmzoo demo` serves on 127.0.0.1:7860, and the API tour runs."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request



def test_demo_command_serves_on_loopback_7860():
    server = subprocess.Popen([sys.executable, "-m", "mmzoo", "demo"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:7860/config", timeout=2) as answer:
                    config = answer.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the app did not answer on 127.0.0.1:7860"
                time.sleep(0.3)
        assert '"title":"mmzoo"' in config.replace(" ", "") and "Text to speech" in config
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_api_tour_runs(pytestconfig):
    out = subprocess.run([sys.executable, str(pytestconfig.rootpath / "demos" / "api_tour.py")], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "quick brown fox" in out.stdout and "bad input is a typed error: text is empty" in out.stdout
