"""Downloading and unpacking dataset files: canonical mirrors, a tqdm progress bar (plain lines
on stderr without tqdm), MD5 verification and atomic writes (a temporary file in the target
folder, then os.replace, so an interrupted or corrupt download never leaves a file that looks
complete).

When no mirror can be reached, or what arrived fails its checksum, the RuntimeError names the
file, the URLs tried and the exact path to place a copy at, so offline users can proceed.
"""

import gzip
import hashlib
import lzma
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

_TIMEOUT = 30.0  # seconds per network operation
_CHUNK = 1 << 20
_USER_AGENT = "ember"


def calculate_md5(fpath, chunk_size=_CHUNK):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(fpath, md5=None):
    """Whether the file exists and, when md5 is given, has that checksum."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or calculate_md5(fpath) == md5


class _PlainProgress:
    """Without tqdm: a line on stderr at each tenth of the file (each 8 MiB when its size is
    unknown), and one when it is complete."""

    def __init__(self, total, name):
        self.total, self.name, self.done, self.shown = total, name, 0, 0

    def _line(self, note=""):
        mib = f"{self.done / 2**20:.1f}" + (f"/{self.total / 2**20:.1f}" if self.total else "")
        pct = f"{100 * self.done // self.total}% " if self.total else ""
        sys.stderr.write(f"Downloading {self.name}: {pct}({mib} MiB){note}\n")
        sys.stderr.flush()

    def update(self, n):
        self.done += n
        step = self.total / 10 if self.total else 8 * 2**20
        if self.done - self.shown >= step and (not self.total or self.done < self.total):
            self.shown = self.done
            self._line()

    def close(self):
        self._line(" done")


def _progress(total, name):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainProgress(total, name)
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                leave=False)


def _fetch(url, out):
    """Stream url into the open file `out`."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        size = response.headers.get("Content-Length")
        bar = _progress(int(size) if size else None, os.path.basename(url))
        try:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()


def _place_hint(fpath, md5):
    check = f" (MD5 {md5})" if md5 else ""
    return (f"If this machine is offline, download the file on another machine and place it "
            f"at {fpath}{check}, then run again.")


def download_url(urls, root, filename=None, md5=None):
    """Download the first reachable of `urls` to root/filename; a no-op when a verified copy is
    already there."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    root = os.path.expanduser(os.fspath(root))
    filename = filename or os.path.basename(urls[0])
    fpath = os.path.join(root, filename)
    if check_integrity(fpath, md5):
        return fpath
    stale = os.path.isfile(fpath)
    os.makedirs(root, exist_ok=True)
    errors = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", suffix=".partial", dir=root)
        try:
            with os.fdopen(fd, "wb") as out:
                _fetch(url, out)
            if md5 is not None and (got := calculate_md5(tmp)) != md5:
                raise RuntimeError(
                    f"The file {filename} downloaded from {url} is corrupted: its MD5 is {got}, "
                    f"expected {md5}. It was not saved. {_place_hint(fpath, md5)}")
            os.replace(tmp, fpath)
            return fpath
        except (urllib.error.URLError, OSError, ValueError) as e:
            errors.append(f"{url} ({getattr(e, 'reason', e)})")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    found = (f" The existing {fpath} does not match its MD5 checksum." if stale else "")
    raise RuntimeError(f"Could not download {filename} from " + ", ".join(errors) + "." + found
                       + " " + _place_hint(fpath, md5))


def _atomic_copy_stream(src, dest):
    fd, tmp = tempfile.mkstemp(prefix=".extract.", suffix=".partial",
                               dir=os.path.dirname(dest) or ".")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Unpack .tar(.gz|.bz2|.xz)/.tgz/.zip into to_path, or decompress a single .gz/.xz file.
    A damaged archive raises RuntimeError naming it."""
    to_path = os.path.dirname(from_path) if to_path is None else to_path
    name = from_path.lower()
    try:
        if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz")):
            with tarfile.open(from_path) as tar:
                _safe_extract(tar, to_path)
        elif name.endswith(".zip"):
            with zipfile.ZipFile(from_path) as z:
                z.extractall(to_path)
        elif name.endswith((".gz", ".xz")):
            opener = gzip.open if name.endswith(".gz") else lzma.open
            dest = os.path.join(to_path, os.path.basename(from_path)[:-3])
            with opener(from_path, "rb") as src:
                _atomic_copy_stream(src, dest)
        else:
            raise RuntimeError(f"Unsupported archive type: {from_path}")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, lzma.LZMAError) as e:
        raise RuntimeError(f"The archive {from_path} is damaged and could not be extracted "
                           f"({e}). Delete it and download it again.") from e
    if remove_finished:
        os.remove(from_path)
    return to_path


def _safe_extract(tar, to_path):
    if hasattr(tarfile, "data_filter"):  # refuses absolute paths, .. and device files
        tar.extractall(to_path, filter="data")
        return
    root = os.path.realpath(to_path)
    for member in tar.getmembers():
        target = os.path.realpath(os.path.join(to_path, member.name))
        if os.path.commonpath([root, target]) != root:
            raise RuntimeError(f"Refusing to extract {member.name} outside {to_path}")
    tar.extractall(to_path)


def download_and_extract_archive(urls, download_root, extract_root=None, filename=None,
                                 md5=None, remove_finished=False):
    download_root = os.path.expanduser(os.fspath(download_root))
    extract_root = download_root if extract_root is None else extract_root
    urls = [urls] if isinstance(urls, str) else list(urls)
    filename = filename or os.path.basename(urls[0])
    archive = download_url(urls, download_root, filename, md5)
    extract_archive(archive, extract_root, remove_finished)
