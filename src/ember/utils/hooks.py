"""torch.utils.hooks: the handle a hook registration returns, shared by modules and optimizers."""

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Matches torch.utils.hooks.RemovableHandle: removes its hook from every dict it names."""

    _next_id = 0

    def __init__(self, *dicts):
        self.hooks_dicts = dicts
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        for d in self.hooks_dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend=False, *extra):
    """Puts `hook` in the ordered dict `hooks` (first with `prepend`); its handle also clears
    the `extra` dicts that hold per-hook flags."""
    handle = RemovableHandle(hooks, *extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle
