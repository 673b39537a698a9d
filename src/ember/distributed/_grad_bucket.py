"""torch.distributed.GradBucket: what a DistributedDataParallel communication hook receives, one
bucket of gradients as a flat buffer (its gradients are views into it), with the bucket's index,
its parameters and whether it is the last bucket of the backward pass."""

__all__ = ["GradBucket"]


class GradBucket:
    """Matches torch.distributed.GradBucket (built by DistributedDataParallel)."""

    def __init__(self, index, buffer, gradients, parameters, is_last):
        self._index, self._buffer, self._grads = index, buffer, gradients
        self._params, self._is_last = parameters, is_last

    def index(self):
        return self._index

    def buffer(self):
        return self._buffer

    def set_buffer(self, buffer):
        self._buffer = buffer

    def gradients(self):
        return list(self._grads)

    def parameters(self):
        return list(self._params)

    def is_last(self):
        return self._is_last
