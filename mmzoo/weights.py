"""Where downloaded weights live, whether a model's are there, and a quick look at whether the hub answers.

The cache checks are pure path logic on the libraries' documented layouts (no torch, no hub library
imported), so ``mmzoo models`` can say which models run now:

- Hugging Face hub (``hf`` weights, and open_clip tags, which open_clip fetches through the hub):
  ``$HF_HUB_CACHE``, else ``$HUGGINGFACE_HUB_CACHE``, else ``$HF_HOME/hub`` (``HF_HOME`` defaults to
  ``$XDG_CACHE_HOME/huggingface``, ``~/.cache/huggingface``); a file of ``org/name`` at a commit is
  ``models--org--name/snapshots/<commit>/<file>``, and a branch such as ``main`` names its commit in
  ``models--org--name/refs/main``.
- torch hub (torchaudio bundles, torchvision weights): ``$TORCH_HOME/hub/checkpoints/<file>``
  (``TORCH_HOME`` defaults to ``$XDG_CACHE_HOME/torch``, ``~/.cache/torch``).

When weights are not cached, :func:`unreachable` asks the server once with a short timeout before a
plugin calls the hub library, whose retries on a dead network take most of a minute.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .errors import WeightsUnavailable

HUB_SOURCES = ("hf", "open_clip", "torchaudio")  # weights downloaded on first use or by `mmzoo download`
# Any one of these in a snapshot is a transformers model's weights (what from_pretrained reads).
TRANSFORMERS_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                        "pytorch_model.bin.index.json")
OPEN_CLIP_WEIGHTS = "open_clip_pytorch_model.bin"  # open_clip's file when a tag's hf_hub names none
PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Status:
    """Whether a model can run now; if not, what is missing, how big the download is and the fix."""

    ready: bool
    text: str  # "ready", "needs tesseract", "needs pip install torch", "download 990 MB", "needs weights=DIR"
    missing: tuple[str, ...] = ()
    download_mb: float | None = None
    hint: str = ""  # how to get what is missing

    def __str__(self) -> str:
        return self.text


# -- where the caches are ------------------------------------------------------------------------


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache folder huggingface_hub uses in this process."""
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # already imported: it read the environment then, and that is what it uses
        return Path(constants.HF_HUB_CACHE)
    env = os.environ.get
    home = os.path.expanduser(env("HF_HOME") or os.path.join(env("XDG_CACHE_HOME") or "~/.cache", "huggingface"))
    hub = env("HF_HUB_CACHE") or env("HUGGINGFACE_HUB_CACHE") or os.path.join(home, "hub")
    return Path(os.path.expandvars(os.path.expanduser(hub)))


def torch_hub_checkpoints() -> Path:
    """Where torch.hub (torchaudio bundles, torchvision weights) keeps downloaded checkpoints."""
    env = os.environ.get
    home = env("TORCH_HOME") or os.path.join(env("XDG_CACHE_HOME") or "~/.cache", "torch")
    return Path(os.path.expanduser(home)) / "hub" / "checkpoints"


def hf_file(repo: str, revision: str | None, names: Iterable[str]) -> Path | None:
    """The first of ``names`` present in the cached snapshot of ``repo`` at ``revision`` (a commit or a
    branch; default ``main``), or None."""
    folder = hf_hub_cache() / f"models--{repo.replace('/', '--')}"
    commit = revision or "main"
    ref = folder / "refs" / commit
    if ref.is_file():
        commit = ref.read_text().strip()
    snapshot = folder / "snapshots" / commit
    return next((snapshot / name for name in names if (snapshot / name).is_file()), None)


# -- is a model's download there? ----------------------------------------------------------------


def missing_files(weights: Any) -> list[str]:
    """The downloaded files a model needs that are not cached (empty for system engines, shipped weights
    and cached downloads). ``weights`` is a :class:`mmzoo.registry.Weights` (not imported: the registry
    imports this module); ``weights.files`` overrides the usual file names; all of them must be there."""
    if weights.source == "hf" and weights.repo:
        return _missing_in_snapshot(weights.repo, weights.revision, weights.files, TRANSFORMERS_WEIGHTS)
    if weights.source == "open_clip":
        if not weights.hf_hub:  # a tag open_clip fetches from a URL: its cache is not looked up
            return [f"open_clip weights {weights.repo}"]
        # open_clip's layout: hf_hub is "org/name/" (its default file) or "org/name/file", fetched at main,
        # and a .bin/.pth file's safetensors twin is taken first when the repository has one.
        repo, file = os.path.split(weights.hf_hub)
        file = file or OPEN_CLIP_WEIGHTS
        names = (("open_clip_model.safetensors", file) if file == OPEN_CLIP_WEIGHTS else
                 (file[:-4] + ".safetensors", file) if file.endswith((".bin", ".pth")) else (file,))
        return _missing_in_snapshot(repo, "main", weights.files, names)
    if weights.source == "torchaudio":
        if not weights.files:
            return [f"torchaudio bundle {weights.repo}"]
        checkpoints = torch_hub_checkpoints()
        return [str(checkpoints / name) for name in weights.files if not (checkpoints / name).is_file()]
    return []


def _missing_in_snapshot(repo: str, revision: str | None, files: tuple[str, ...] | None,
                         usual: tuple[str, ...]) -> list[str]:
    """Each of ``files`` not in the snapshot; without ``files``, whether any one of ``usual`` is there."""
    at = f"{repo}@{revision or 'main'}"
    if files:
        return [f"{at}/{name}" for name in files if hf_file(repo, revision, (name,)) is None]
    return [] if hf_file(repo, revision, usual) else [f"{at} weights ({' / '.join(usual)})"]


# -- failing fast when the hub cannot be reached ----------------------------------------------------


def unreachable(url: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why a download cannot start now, or None when the server answers within ``timeout`` seconds.

    Without ``url`` it asks the Hugging Face hub (``HF_ENDPOINT``) through huggingface_hub's own HTTP
    session, and honours ``HF_HUB_OFFLINE``; a ``url`` (e.g. a torch hub download) is asked with urllib.
    Any HTTP answer counts as reachable: then the library downloads as it always does. Call it only when
    the weights are not cached.
    """
    import urllib.error
    import urllib.request  # here, not at the top: it imports ssl, a tenth of `mmzoo models`' time

    if url is None:
        from huggingface_hub import constants
        from huggingface_hub.utils import get_session

        if constants.HF_HUB_OFFLINE:
            return "offline mode: HF_HUB_OFFLINE=1"
        url = constants.ENDPOINT

        def ask() -> None:
            get_session().head(url, timeout=timeout)
    else:
        def ask() -> None:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout).close()

    answer: list[str | None] = []

    def probe() -> None:
        try:
            ask()
            answer.append(None)
        except urllib.error.HTTPError:  # an HTTP error status: the server is there
            answer.append(None)
        except Exception as exc:  # no DNS, refused, timed out, proxy or TLS failure
            answer.append(f"{url} unreachable: {first_line(exc)}")

    # A thread, because a DNS lookup is not bounded by the socket timeout.
    thread = threading.Thread(target=probe, name="mmzoo-hub-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return answer[0] if answer else f"no answer from {url} within {timeout:.0f} s"


def download_fix(model_id: str | None, size_mb: float | None, local: str) -> str:
    """The two ways to get missing weights: ``mmzoo download`` where there is internet, or ``weights=``."""
    size = f" (about {size_mb:.0f} MB)" if size_mb else ""
    fetch = f"run `mmzoo download {model_id}`{size}" if model_id else f"fetch them{size}"
    return f"{fetch} where there is internet, or pass weights=<{local}>"


def weights_unavailable(model_id: str | None, what: str, reason: str, *, size_mb: float | None, local: str,
                        cache: Path | None = None) -> WeightsUnavailable:
    """The error for weights that are neither cached nor downloadable now: the model, what is missing,
    where it looked, why, its size and the fixes."""
    label = f"{model_id}: " if model_id else ""
    return WeightsUnavailable(f"{label}{what} is not in the local cache ({cache or hf_hub_cache()}) and cannot be "
                              f"downloaded now ({reason}); {download_fix(model_id, size_mb, local)}")


def first_line(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message, cut to ``limit`` characters."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[:limit] + "..."
