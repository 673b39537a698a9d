"""`ember run` and spawned processes: the child must see `import torch` as ember too.

A "spawn" (or "forkserver") child is a fresh interpreter: before it runs anything of the parent's
it unpickles the parent's preparation data, then re-runs the main script (as `__mp_main__`),
whose `import torch` would find the real torch, or nothing. When the parent runs under
`ember run` (the torch -> ember import finder is installed), the preparation data gets one more
entry whose unpickling installs the same finder in the child, before the script is re-run.
multiprocessing ignores entries it does not know.
"""
import sys

_KEY = "ember_torch_aliases"


class _InstallAliases:
    """Pickles as a call of ember._compat.install in the unpickling process."""

    def __reduce__(self):
        from .. import _compat
        return (_compat.install, ())


def carry_aliases_to_children():
    """Makes spawned children of this process alias torch to ember when this process does
    (idempotent; nothing changes outside `ember run`)."""
    from .. import _compat
    if _compat._finder not in sys.meta_path:
        return
    import multiprocessing.spawn as mp_spawn
    prepare = mp_spawn.get_preparation_data
    if getattr(prepare, "_ember", False):
        return

    def get_preparation_data(name):
        data = prepare(name)
        data[_KEY] = _InstallAliases()
        return data

    get_preparation_data._ember = True
    mp_spawn.get_preparation_data = get_preparation_data
