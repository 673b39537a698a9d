"""MNIST and its relatives (FashionMNIST, KMNIST, EMNIST, QMNIST) in torchvision's on-disk layout:
`root/<ClassName>/raw/<name>-ubyte`, the IDX files of LeCun's format (a `.gz` copy alone is read
as well). `data` is a uint8 Tensor (N, 28, 28), `targets` an int64 Tensor; samples are
(PIL image of mode 'L', int).
"""

import gzip
import lzma
import os
import shutil
import string

import numpy as np

from ..._tensor import _wrap
from ._download import download_and_extract_archive, extract_archive
from .vision import VisionDataset, _pil_image

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "QMNIST", "read_sn3_pascalvincent_tensor"]

_IDX_TYPES = {8: ">u1", 9: ">i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}


def _read_bytes(path):
    """The file's bytes; `path.gz` / `path.xz` are decompressed when `path` itself is missing."""
    if os.path.isfile(path):
        opener = gzip.open if path.endswith(".gz") else lzma.open if path.endswith(".xz") \
            else open
        with opener(path, "rb") as f:
            return f.read()
    for ext, opener in ((".gz", gzip.open), (".xz", lzma.open)):
        if os.path.isfile(path + ext):
            with opener(path + ext, "rb") as f:
                return f.read()
    raise FileNotFoundError(path)


def read_sn3_pascalvincent_tensor(path, strict=True):
    """Read an IDX ("SN3 Pascal Vincent") file: a big-endian header of type and dims, then data."""
    raw = _read_bytes(path)
    magic = int.from_bytes(raw[0:4], "big")
    nd, ty = magic % 256, magic // 256
    if not 1 <= nd <= 3 or ty not in _IDX_TYPES:
        raise RuntimeError(f"{path} is not an IDX file (magic number {magic:#010x})")
    dims = [int.from_bytes(raw[4 * (i + 1):4 * (i + 2)], "big") for i in range(nd)]
    flat = np.frombuffer(raw, _IDX_TYPES[ty], offset=4 * (nd + 1))
    if strict and flat.size != int(np.prod(dims)):
        raise RuntimeError(f"{path}: {flat.size} values for shape {tuple(dims)}")
    return _wrap(flat.astype(flat.dtype.newbyteorder("=")).reshape(dims))


def read_label_file(path):
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype.name != "uint8":
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.dim() != 1:
        raise ValueError(f"x should have 1 dimension instead of {x.dim()}")
    return x.long()


def read_image_file(path):
    x = read_sn3_pascalvincent_tensor(path, strict=False)
    if x.dtype.name != "uint8":
        raise TypeError(f"x should be of dtype torch.uint8 instead of {x.dtype}")
    if x.dim() != 3:
        raise ValueError(f"x should have 3 dimension instead of {x.dim()}")
    return x


class MNIST(VisionDataset):
    """Matches torchvision.datasets.MNIST."""

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        self.data, self.targets = self._load_data()

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def processed_folder(self):
        return os.path.join(self.root, type(self).__name__, "processed")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _raw_files(self):
        return [os.path.join(self.raw_folder, os.path.splitext(name)[0])
                for name, _ in self.resources]

    def _check_exists(self):
        return all(os.path.isfile(f) or os.path.isfile(f + ".gz") for f in self._raw_files())

    def _check_legacy_exist(self):
        return all(os.path.isfile(os.path.join(self.processed_folder, f))
                   for f in (self.training_file, self.test_file))

    def _load_legacy_data(self):
        from ... import load  # the processed/*.pt files old torchvision versions wrote
        name = self.training_file if self.train else self.test_file
        return load(os.path.join(self.processed_folder, name))

    def _load_data(self):
        prefix = "train" if self.train else "t10k"
        data = read_image_file(os.path.join(self.raw_folder, f"{prefix}-images-idx3-ubyte"))
        targets = read_label_file(os.path.join(self.raw_folder, f"{prefix}-labels-idx1-ubyte"))
        return data, targets

    def download(self):
        """Fetch the missing files from the mirrors (nothing happens when they are present)."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            urls = [mirror + filename for mirror in self.mirrors]
            download_and_extract_archive(urls, self.raw_folder, filename=filename, md5=md5)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        img = _pil_image().fromarray(img.numpy())  # 2-d uint8: mode 'L'
        return self._apply(img, target)

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class FashionMNIST(MNIST):
    """Matches torchvision.datasets.FashionMNIST."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Matches torchvision.datasets.KMNIST."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
        ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
        ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
        ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134"),
    ]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


def _verify_str_arg(value, arg, valid):
    if value not in valid:
        raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are "
                         f"{{{', '.join(repr(v) for v in valid)}}}.")
    return value


_MERGED = set("cijklmopsuvwxyz")
_ALL = set(string.digits + string.ascii_letters)


class EMNIST(MNIST):
    """Matches torchvision.datasets.EMNIST (images are stored transposed, as torchvision's)."""

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    classes_split_dict = {
        "byclass": sorted(_ALL),
        "bymerge": sorted(_ALL - _MERGED),
        "balanced": sorted(_ALL - _MERGED),
        "letters": ["N/A"] + list(string.ascii_lowercase),
        "digits": list(string.digits),
        "mnist": list(string.digits),
    }

    def __init__(self, root, split, **kwargs):
        self.split = _verify_str_arg(split, "split", self.splits)
        self.training_file = f"training_{split}.pt"
        self.test_file = f"test_{split}.pt"
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    def _raw_files(self):
        prefix = f"emnist-{self.split}-{'train' if self.train else 'test'}"
        return [os.path.join(self.raw_folder, f"{prefix}-{kind}")
                for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]

    def _load_data(self):
        images, labels = self._raw_files()
        return read_image_file(images), read_label_file(labels)

    def download(self):
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        download_and_extract_archive(self.url, self.raw_folder, md5=self.md5)
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for name in os.listdir(gzip_folder):
            if name.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, name), self.raw_folder)
        shutil.rmtree(gzip_folder)


_QMNIST_BASE = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"


class QMNIST(MNIST):
    """Matches torchvision.datasets.QMNIST (targets are the (N, 8) int64 QMNIST records; with
    compat=True a sample's target is the class number)."""

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test",
               "nist": "nist"}
    resources = {
        "train": [(_QMNIST_BASE + "qmnist-train-images-idx3-ubyte.gz",
                   "ed72d4157d28c017586c42bc6afe6370"),
                  (_QMNIST_BASE + "qmnist-train-labels-idx2-int.gz",
                   "0058f8dd561b90ffdd0f734c6a30e5e4")],
        "test": [(_QMNIST_BASE + "qmnist-test-images-idx3-ubyte.gz",
                  "1394631089c404de565df7b7aeaf9412"),
                 (_QMNIST_BASE + "qmnist-test-labels-idx2-int.gz",
                  "5b5b05890a5e13444e108efe57b788aa")],
        "nist": [(_QMNIST_BASE + "xnist-images-idx3-ubyte.xz",
                  "7f124b3b8ab81486c9d8c2749c17f834"),
                 (_QMNIST_BASE + "xnist-labels-idx2-int.xz",
                  "5ed0e788978e45d4a8bd4b7caec3d79d")],
    }

    def __init__(self, root, what=None, compat=True, train=True, **kwargs):
        if what is None:
            what = "train" if train else "test"
        self.what = _verify_str_arg(what, "what", tuple(self.subsets))
        self.compat = compat
        self.data_file = what + ".pt"
        self.training_file = self.test_file = self.data_file
        super().__init__(root, train, **kwargs)

    def _raw_files(self):
        return [os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])
                for url, _ in self.resources[self.subsets[self.what]]]

    def _check_exists(self):
        return all(os.path.isfile(f) or os.path.isfile(f + ".gz") or os.path.isfile(f + ".xz")
                   for f in self._raw_files())

    def _load_data(self):
        images, labels = self._raw_files()
        data = read_sn3_pascalvincent_tensor(images)
        if data.dtype.name != "uint8":
            raise TypeError(f"data should be of dtype torch.uint8 instead of {data.dtype}")
        if data.dim() != 3:
            raise ValueError(f"data should have 3 dimensions instead of {data.dim()}")
        targets = read_sn3_pascalvincent_tensor(labels).long()
        if targets.dim() != 2:
            raise ValueError(f"targets should have 2 dimensions instead of {targets.dim()}")
        if self.what == "test10k":
            data, targets = data[0:10000].clone(), targets[0:10000].clone()
        elif self.what == "test50k":
            data, targets = data[10000:].clone(), targets[10000:].clone()
        return data, targets

    def download(self):
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for url, md5 in self.resources[self.subsets[self.what]]:
            download_and_extract_archive(url, self.raw_folder, md5=md5)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        img = _pil_image().fromarray(img.numpy())
        if self.transform is not None:
            img = self.transform(img)
        if self.compat:
            target = int(target[0])
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {self.what}"
