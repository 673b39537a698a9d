"""SVHN (cropped digits) from torchvision's files `root/{train,test,extra}_32x32.mat`.

The .mat files are read with scipy.io.loadmat, as torchvision does; scipy is needed only here.
Label 10 (the digit 0) becomes 0. `data` is a uint8 array (N, 3, 32, 32), `labels` int64.
"""

import os

import numpy as np

from ._download import download_url
from .mnist import _verify_str_arg
from .vision import VisionDataset, _pil_image

__all__ = ["SVHN"]


def _loadmat(path):
    try:
        from scipy.io import loadmat
    except ImportError:
        raise ImportError("SVHN's .mat files are read with scipy, which is not installed: "
                          "pip install scipy") from None
    return loadmat(path)


class SVHN(VisionDataset):
    """Matches torchvision.datasets.SVHN."""

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(self, root, split="train", transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = _verify_str_arg(split, "split", tuple(self.split_list))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it")
        mat = _loadmat(os.path.join(self.root, self.filename))
        self.labels = mat["y"].astype(np.int64).squeeze()
        np.place(self.labels, self.labels == 10, 0)
        self.data = np.transpose(mat["X"], (3, 2, 0, 1))  # (H, W, C, N) -> (N, C, H, W)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.labels[index])
        return self._apply(_pil_image().fromarray(np.transpose(img, (1, 2, 0))), target)

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        return os.path.isfile(os.path.join(self.root, self.filename))

    def download(self):
        """Fetch the split's .mat file (nothing happens when it is present)."""
        if self._check_integrity():
            return
        download_url(self.url, self.root, self.filename, self.file_md5)

    def extra_repr(self):
        return f"Split: {self.split}"
