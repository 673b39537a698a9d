"""ember.vision.datasets on files the tests write in each format (IDX, CIFAR pickles, image
folders), plus downloads: offline errors, checksum and archive checks, atomic writes."""

import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import sys
import tarfile
import threading

import numpy as np
import pytest

import ember
import ember.utils.data as ed
from ember.vision import datasets
from ember.vision.datasets import _download

Image = pytest.importorskip("PIL.Image")

CLOSED_PORT = "http://127.0.0.1:9/"  # the discard port: refused at once, online or not


# ---- writers for the formats ---------------------------------------------------------------------

def write_idx(path, array, compress=False):
    codes = {np.uint8: 8, np.int8: 9, np.int16: 11, np.int32: 12, np.float32: 13,
             np.float64: 14}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(payload)


def make_mnist(root, name="MNIST", n_train=5, n_test=3, compress=False, prefix=""):
    raw = os.path.join(root, name, "raw")
    os.makedirs(raw, exist_ok=True)
    rng = np.random.default_rng(0)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        ext = ".gz" if compress else ""
        write_idx(os.path.join(raw, f"{prefix}{split}-images-idx3-ubyte{ext}"), images, compress)
        write_idx(os.path.join(raw, f"{prefix}{split}-labels-idx1-ubyte{ext}"), labels, compress)
        out[split] = images, labels
    return out


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a URL fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("tried to use the network")
    monkeypatch.setattr(_download.urllib.request, "urlopen", refuse)


# ---- MNIST family --------------------------------------------------------------------------------

@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, no_network, compress):
    ref = make_mnist(tmp_path, compress=compress)
    ds = datasets.MNIST(str(tmp_path), train=True, download=True)  # present: no download
    assert len(ds) == 5 and ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (5, 28, 28)
    assert ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), ref["train"][0])
    assert ds.targets.tolist() == ref["train"][1].tolist()
    img, target = ds[3]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    np.testing.assert_array_equal(np.array(img), ref["train"][0][3])
    assert target == int(ref["train"][1][3]) and type(target) is int
    test = datasets.MNIST(tmp_path, train=False,
                          transform=lambda im: np.array(im).sum(),
                          target_transform=lambda t: t + 100)
    assert len(test) == 3
    assert test[1] == (int(ref["t10k"][0][1].astype(np.int64).sum()),
                       int(ref["t10k"][1][1]) + 100)
    assert test.class_to_idx["3 - three"] == 3 and len(test.classes) == 10
    assert repr(test).splitlines()[:4] == ["Dataset MNIST", "    Number of datapoints: 3",
                                           f"    Root location: {tmp_path}",
                                           "    Split: Test"]


def test_mnist_expands_home_and_feeds_a_dataloader(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    ref = make_mnist(tmp_path / "data", n_train=10)
    ds = datasets.MNIST("~/data", transform=lambda im: ember.tensor(np.array(im)))
    assert ds.root == str(tmp_path / "data")
    ember.manual_seed(0)
    batches = list(ed.DataLoader(ds, batch_size=4, shuffle=True))
    assert [tuple(x.shape) for x, _ in batches] == [(4, 28, 28), (4, 28, 28), (2, 28, 28)]
    order = [6, 7, 1, 4, 2, 0, 9, 8, 3, 5]  # torch's order for manual_seed(0), n=10
    np.testing.assert_array_equal(batches[0][0].numpy(), ref["train"][0][order[:4]])
    assert batches[2][1].tolist() == ref["train"][1][order[8:]].tolist()


def test_fashion_kmnist_emnist_qmnist_layouts(tmp_path, no_network):
    make_mnist(tmp_path, name="FashionMNIST")
    make_mnist(tmp_path, name="KMNIST", compress=True)
    assert datasets.FashionMNIST(tmp_path).classes[9] == "Ankle boot"
    assert len(datasets.KMNIST(tmp_path, train=False)) == 3
    raw = tmp_path / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "emnist-letters-test-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(raw / "emnist-letters-test-labels-idx1-ubyte", np.array([1, 26], np.uint8))
    em = datasets.EMNIST(tmp_path, split="letters", train=False)
    assert em.targets.tolist() == [1, 26] and em.classes[26] == "z"
    with pytest.raises(ValueError, match="Unknown value 'nope' for argument split"):
        datasets.EMNIST(tmp_path, split="nope")
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    records = np.arange(24, dtype=np.int32).reshape(3, 8)
    write_idx(raw / "qmnist-test-images-idx3-ubyte", np.ones((3, 28, 28), np.uint8))
    write_idx(raw / "qmnist-test-labels-idx2-int", records)
    q = datasets.QMNIST(tmp_path, what="test")
    assert q.targets.dtype == ember.int64 and q.targets.tolist() == records.tolist()
    assert q[2][1] == 16
    assert datasets.QMNIST(tmp_path, what="test", compat=False)[1][1].tolist() == \
        records[1].tolist()


def test_missing_dataset_and_missing_pillow(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        datasets.MNIST(tmp_path)
    make_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        ds[0]


# ---- downloads -----------------------------------------------------------------------------------

def test_offline_download_names_file_url_and_path(tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "_TIMEOUT", 2.0)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [CLOSED_PORT])
    with pytest.raises(RuntimeError) as e:
        datasets.MNIST(tmp_path, download=True)
    msg = str(e.value)
    target = os.path.join(str(tmp_path), "MNIST", "raw", "train-images-idx3-ubyte.gz")
    assert "train-images-idx3-ubyte.gz" in msg and CLOSED_PORT + "train-images" in msg
    assert f"place it at {target}" in msg and "f68b3c2dcbeaaa9fbdd348bbdeb94873" in msg
    assert os.listdir(tmp_path / "MNIST" / "raw") == []  # nothing half-written


class _Server:
    """A local HTTP server for the files of one folder."""

    def __init__(self, folder):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=folder)
        handler.log_message = lambda *a: None
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    s = _Server(str(folder))
    s.folder = folder
    yield s
    s.close()


def cifar_batch(n, seed, fine=False):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).tolist()
    return {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            ("fine_labels" if fine else "labels"): labels, "batch_label": "b"}


def make_cifar10(folder):
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batches[name] = cifar_batch(2, i)
        (folder / name).write_bytes(pickle.dumps(batches[name], protocol=2))
    meta = {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog",
                            "horse", "ship", "truck"]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return batches


def test_cifar10_reads_pickled_batches(tmp_path, no_network):
    batches = make_cifar10(tmp_path / "cifar-10-batches-py")
    ds = datasets.CIFAR10(tmp_path, train=True, download=True)
    assert ds.data.shape == (10, 32, 32, 3) and ds.data.dtype == np.uint8
    first = batches["data_batch_1"]
    np.testing.assert_array_equal(ds.data[1, :, :, 2], first["data"][1, 2048:].reshape(32, 32))
    assert ds.targets[:2] == first["labels"] and len(ds.targets) == 10
    assert ds.classes[3] == "cat" and ds.class_to_idx["truck"] == 9
    img, target = ds[0]
    assert img.mode == "RGB" and np.array(img).tolist() == ds.data[0].tolist()
    test = datasets.CIFAR10(tmp_path, train=False)
    assert len(test) == 2 and test.targets == batches["test_batch"]["labels"]


def test_cifar100_and_unsafe_pickle(tmp_path):
    folder = tmp_path / "cifar-100-python"
    folder.mkdir()
    (folder / "train").write_bytes(pickle.dumps(cifar_batch(3, 1, fine=True), protocol=4))
    (folder / "test").write_bytes(pickle.dumps(cifar_batch(1, 2, fine=True), protocol=5))
    (folder / "meta").write_bytes(pickle.dumps({"fine_label_names": [f"c{i}" for i in
                                                                      range(100)]}))
    ds = datasets.CIFAR100(tmp_path)
    assert len(ds) == 3 and ds.classes[99] == "c99"
    assert len(datasets.CIFAR100(tmp_path, train=False)) == 1
    (folder / "test").write_bytes(pickle.dumps({"data": os.system}))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        datasets.CIFAR100(tmp_path, train=False)


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_download_verifies_extracts_and_is_atomic(tmp_path, server, monkeypatch):
    src = tmp_path / "src"
    make_cifar10(src / "cifar-10-batches-py")
    archive = _tar_gz({f"cifar-10-batches-py/{p.name}": p.read_bytes()
                       for p in (src / "cifar-10-batches-py").iterdir()})
    (server.folder / "cifar.tgz").write_bytes(archive)
    root = tmp_path / "root"
    monkeypatch.setattr(datasets.CIFAR10, "url", server.url + "cifar.tgz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(archive) [::-1])  # wrong checksum
    with pytest.raises(RuntimeError, match="cifar-10-python.tar.gz downloaded from .* is "
                                           "corrupted: its MD5 is"):
        datasets.CIFAR10(root, download=True)
    assert os.listdir(root) == []  # the bad download was not kept
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(archive))
    ds = datasets.CIFAR10(root, download=True, train=False)
    assert len(ds) == 2 and (root / "cifar-10-python.tar.gz").read_bytes() == archive
    (server.folder / "cifar.tgz").unlink()
    assert len(datasets.CIFAR10(root, download=True)) == 10  # present: no second download


def test_damaged_archive_is_rejected(tmp_path, server, monkeypatch):
    archive = _tar_gz({"cifar-10-batches-py/data_batch_1": b"x" * 5000})[:-40]  # truncated
    (server.folder / "cifar.tgz").write_bytes(archive)
    monkeypatch.setattr(datasets.CIFAR10, "url", server.url + "cifar.tgz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(archive))
    with pytest.raises(RuntimeError, match="cifar-10-python.tar.gz is damaged"):
        datasets.CIFAR10(tmp_path, download=True)


def test_archive_placed_by_hand_is_used(tmp_path, no_network, monkeypatch):
    src = tmp_path / "src"
    make_cifar10(src / "cifar-10-batches-py")
    archive = _tar_gz({f"cifar-10-batches-py/{p.name}": p.read_bytes()
                       for p in (src / "cifar-10-batches-py").iterdir()})
    root = tmp_path / "root"
    root.mkdir()
    (root / "cifar-10-python.tar.gz").write_bytes(archive)
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", _md5(archive))
    assert len(datasets.CIFAR10(root, download=True)) == 10  # verified: extracted, not fetched


def test_placed_archive_with_bad_checksum(tmp_path, monkeypatch):
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"not the archive")
    monkeypatch.setattr(datasets.CIFAR10, "url", CLOSED_PORT + "cifar-10-python.tar.gz")
    with pytest.raises(RuntimeError, match="does not match its MD5 checksum"):
        datasets.CIFAR10(tmp_path, download=True)


def test_svhn_needs_scipy(tmp_path, monkeypatch):
    (tmp_path / "test_32x32.mat").write_bytes(b"MATLAB")
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    with pytest.raises(ImportError, match="pip install scipy"):
        datasets.SVHN(tmp_path, split="test")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.SVHN(tmp_path, split="train")


# ---- image folders -------------------------------------------------------------------------------

def make_folder(root):
    rng = np.random.default_rng(1)
    pixels = {}
    for cls, names in (("dog", ["b.png", "a.jpg", "sub/c.bmp"]), ("cat", ["z.png"])):
        for name in names:
            path = root / cls / name
            path.parent.mkdir(parents=True, exist_ok=True)
            arr = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
            img = Image.fromarray(arr)
            img.save(path, quality=100) if name.endswith("jpg") else img.save(path)
            pixels[str(path)] = arr
    (root / "dog" / "notes.txt").write_text("not an image")
    return pixels


def test_image_folder(tmp_path):
    pixels = make_folder(tmp_path)
    ds = datasets.ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == \
        ["cat/z.png", "dog/a.jpg", "dog/b.png", "dog/sub/c.bmp"]
    assert ds.targets == [0, 1, 1, 1] and ds.imgs == ds.samples
    img, target = ds[2]
    assert img.mode == "RGB" and target == 1
    np.testing.assert_array_equal(np.array(img), pixels[ds.samples[2][0]])
    only_png = datasets.ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".png"))
    assert len(only_png) == 2
    texts = datasets.DatasetFolder(tmp_path, loader=lambda p: open(p).read(),
                                   extensions=(".txt",), allow_empty=True)
    assert texts[0] == ("not an image", 1)


def test_folder_errors(tmp_path):
    (tmp_path / "empty_class").mkdir()
    make_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"Found no valid file for the classes "
                                                r"empty_class\. Supported extensions are: "
                                                r"\.jpg, \.jpeg, \.png"):
        datasets.ImageFolder(tmp_path)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(tmp_path / "cat")
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        datasets.DatasetFolder(tmp_path, loader=open)
