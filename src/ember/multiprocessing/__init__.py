"""torch.multiprocessing: Python's multiprocessing, with tensors that travel through shared memory.

Everything of `multiprocessing` is here under the same names (Process, Queue, Pool, Manager,
get_context, set_start_method, ...), as in torch. Importing this module registers ember's
reductions with multiprocessing's pickler: a CPU tensor put on a Queue, sent through a Pipe or
passed to a spawned Process moves to shared memory and the receiver sees the same memory
(see reductions.py and _shm.py). `Tensor.share_memory_()` registers them too, so a shared tensor
handed to plain `multiprocessing` shares as well.

Sharing strategies, as torch's on Linux: "file_descriptor" (the default: storages are anonymous
files, sent as descriptors) and "file_system" (storages are named files in /dev/shm, sent by name,
removed when their last holder frees them). The strategy in force when a storage moves to shared
memory decides its kind.
"""
import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from . import _ember_run
from .reductions import init_reductions
from .spawn import (  # noqa: F401
    ENV_VAR_PARALLEL_START,
    ProcessContext,
    ProcessExitedException,
    ProcessRaisedException,
    SpawnContext,
    spawn,
    start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"]
__all__ += multiprocessing.__all__

if sys.platform in ("darwin", "win32"):
    _sharing_strategy = "file_system"
    _all_sharing_strategies = {"file_system"}
else:
    _sharing_strategy = "file_descriptor"
    _all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """Sets the strategy for sharing CPU tensors (one of get_all_sharing_strategies())."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, "
                             f"expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    """The current strategy for sharing CPU tensors."""
    return _sharing_strategy


def get_all_sharing_strategies():
    """The set of sharing strategies this system supports."""
    return _all_sharing_strategies


init_reductions()
_ember_run.carry_aliases_to_children()
