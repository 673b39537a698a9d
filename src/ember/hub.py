"""torch.hub: the download cache for pretrained weights.

ember keeps torch's cache location -- `$TORCH_HOME/hub`, else `$XDG_CACHE_HOME/torch/hub`, else
`~/.cache/torch/hub` -- so weights torch already downloaded are found (a checkpoint torch
saved is one ember loads), and `TORCH_HOME` moves both. Checkpoints land in
`<hub dir>/checkpoints/<file name>` as torch's do. `hub.load`, `hub.list` and `hub.help` are
refused: they import and run a GitHub repository's hubconf.py, third-party code written against
torch itself.
"""

import hashlib
import os
import re
import shutil
import sys
import tempfile
import uuid
import warnings
import zipfile
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
READ_DATA_CHUNK = 128 * 1024
_hub_dir = None


def _get_torch_home():
    xdg = os.getenv("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    return os.path.expanduser(os.getenv("TORCH_HOME", os.path.join(xdg, "torch")))


def get_dir():
    """The hub cache directory (set_dir's, else $TORCH_HUB (deprecated), else torch's
    default)."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


class _Progress:
    """A byte counter on stderr (torch shows a tqdm bar when tqdm is installed)."""

    def __init__(self, total, enabled):
        self.total, self.done, self.enabled = total, 0, enabled

    def update(self, n):
        self.done += n
        if self.enabled:
            shown = f"{100 * self.done // self.total}%" if self.total else f"{self.done}B"
            sys.stderr.write(f"\r{shown} ({self.done}/{self.total or '?'} bytes)")

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")


def _progress_bar(total, enabled):
    """tqdm's bar as torch shows it when tqdm is installed, else the plain byte counter."""
    try:
        from tqdm import tqdm
    except ImportError:
        return _Progress(total, enabled)
    return tqdm(total=total, disable=not enabled, unit="B", unit_scale=True, unit_divisor=1024)


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Downloads `url` to `dst` (through a temporary file beside it, moved into place at the
    end); with `hash_prefix`, the SHA-256 hex digest must start with it."""
    req = Request(url, headers={"User-Agent": "torch.hub"})
    u = urlopen(req)
    meta = u.info()
    length = meta.get_all("Content-Length") if hasattr(meta, "get_all") else None
    file_size = int(length[0]) if length else None
    dst = os.path.expanduser(dst)
    for _ in range(tempfile.TMP_MAX):
        tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            f = open(tmp_dst, "w+b")
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(2, "No usable temporary file name found")
    try:
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        bar = _progress_bar(file_size, progress)
        with u:
            while True:
                buffer = u.read(READ_DATA_CHUNK)
                if not buffer:
                    break
                f.write(buffer)
                if sha256 is not None:
                    sha256.update(buffer)
                bar.update(len(buffer))
        bar.close()
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def _is_legacy_zip_format(filename):
    if zipfile.is_zipfile(filename):
        infolist = zipfile.ZipFile(filename).infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    from .serialization import load as _load
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in "
                  "favor of default zipfile format introduced in 1.6. Please redo torch.save() "
                  "to save it in the new zipfile format.", stacklevel=3)
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        f.extractall(model_dir)
        extracted = os.path.join(model_dir, members[0].filename)
    return _load(extracted, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """Downloads the checkpoint at `url` into the hub cache (once) and loads it."""
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = os.path.basename(urlparse(url).path)
    if file_name is not None:
        filename = file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    from .serialization import load as _load
    return _load(cached_file, map_location=map_location, weights_only=weights_only)


def _refuse(api, repo_or_dir):
    from ._args import EmberNotImplementedError
    raise EmberNotImplementedError(
        f"ember does not implement torch.hub.{api}(repo_or_dir={repo_or_dir!r}): it runs the "
        f"repository's hubconf.py, code written for torch; load the weights with "
        f"torch.hub.load_state_dict_from_url instead")


def load(repo_or_dir, model, *args, **kwargs):
    _refuse("load", repo_or_dir)


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):
    _refuse("list", github)


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):
    _refuse("help", github)
