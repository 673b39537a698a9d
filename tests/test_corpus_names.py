"""Every torch / torchvision name that a corpus of real code uses resolves in ember.

tests/data/corpus_names.txt lists the names used by official examples, tutorials and model
libraries (made by tools/corpus_names.py from the repositories and commits named in its
header). Each must resolve under ember (torch -> ember, torchvision -> ember.vision) as
`ember run` maps them, except the subtrees in KNOWN_MISSING, each with the reason. The table is
strict: an entry that now resolves fails, so it leaves the table when the feature lands.
"""

import importlib
import os

import pytest

HERE = os.path.dirname(__file__)

# name (and everything under it) -> why ember lacks it
_SHARDED = ("sharded training (FSDP, DTensor, device meshes) is not planned in any issue yet; "
            "ember has data-parallel training (DistributedDataParallel on MPI)")
_RPC = "torch.distributed.rpc and what is built on it (remote modules, distributed autograd)"
_STRIDED = "nested (jagged) tensors are not planned; ember has strided and sparse COO layouts"
_FX = "torch.fx (symbolic tracing to a graph IR) is not planned in any issue yet"
_DATASET = "dataset reader for a large local archive, not written yet"
KNOWN_MISSING = {
    "torch._C": "torch's C++ binding module: private switches of torch's own runtime",
    "torch.classes": "TorchScript's custom C++ classes: ember loads no C++ libraries",
    "torch.ops.aten": "torch's registry of C++ operators: ember's ops are Python functions",
    "torch.ops.profiler": "torch's registry of C++ operators: ember's ops are Python functions",
    "torch.testing._internal": "torch's own test-suite helpers (private)",
    "torch.cuda.nccl": "NVIDIA's collective library: ember's process groups run on MPI",
    "torch.nn.parallel.scatter": "DataParallel's scatter across GPUs; ember's data "
                                 "parallelism is DistributedDataParallel on MPI",
    # torch.distributed beyond data parallelism (process groups, collectives, DDP are ember's)
    "torch.distributed._tensor": _SHARDED,
    "torch.distributed.tensor": _SHARDED,
    "torch.distributed.device_mesh": _SHARDED,
    "torch.distributed.fsdp": _SHARDED,
    "torch.distributed.algorithms._checkpoint": "FSDP's activation-checkpoint wrapper: " + _SHARDED,
    "torch.distributed.checkpoint": "sharded checkpoints of " + _SHARDED,
    "torch.distributed.rpc": _RPC,
    "torch.distributed.autograd": _RPC,
    "torch.distributed.nn": _RPC,
    "torch.distributed.optim": _RPC,
    "torch.jagged": _STRIDED,
    "torch.nested": _STRIDED,
    "torch.fx": _FX,
    "torchvision.models.feature_extraction": "built on torch.fx: " + _FX,
    "torchvision.datasets.ImageNet": _DATASET,
    "torchvision.datasets.INaturalist": _DATASET,
    "torchvision.datasets.Places365": _DATASET,
    "torchvision.ops.roi_pool": "detection ops (roi_pool, roi_align, nms) are not written yet",
}


def _corpus():
    names = []
    with open(os.path.join(HERE, "data", "corpus_names.txt")) as f:
        for line in f:
            if not line.startswith("#"):
                name, count, *repos = line.split()
                names.append((name, int(count)))
    return names


def _ember_name(name):
    top, _, rest = name.partition(".")
    base = {"torch": "ember", "torchvision": "ember.vision"}[top]
    return base + ("." + rest if rest else "")


def _resolves(name):
    parts = _ember_name(name).split(".")
    obj = importlib.import_module(parts[0])
    for i, p in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, p)
        except (AttributeError, ImportError):
            try:
                obj = importlib.import_module(".".join(parts[:i + 1]))
            except ImportError:
                return False
    return True


def _known(name):
    return next((k for k in KNOWN_MISSING if name == k or name.startswith(k + ".")), None)


CORPUS = _corpus()


def test_corpus_is_read():
    assert len(CORPUS) > 500
    assert ("torch.nn.Linear", ) == tuple(n for n, _ in CORPUS if n == "torch.nn.Linear")


def test_every_corpus_name_resolves():
    missing = [(n, c) for n, c in CORPUS if not _known(n) and not _resolves(n)]
    assert not missing, f"ember lacks {len(missing)} names real code uses: {missing}"
    lacking = sum(1 for n, _ in CORPUS if _known(n))
    print(f"\ncorpus: {len(CORPUS)} names; ember resolves {len(CORPUS) - lacking}, lacks "
          f"{lacking} (KNOWN_MISSING)")


@pytest.mark.parametrize("name", sorted(KNOWN_MISSING))
def test_known_missing_is_still_missing(name):
    assert not _resolves(name), f"{name} now resolves: take it out of KNOWN_MISSING"
