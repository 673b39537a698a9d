"""torch.distributed.algorithms.ddp_comm_hooks.default_hooks: DistributedDataParallel's built-in
communication hooks. Each takes (process_group or None for the world, GradBucket) and returns a
Future of the averaged bucket: allreduce_hook as DDP does without a hook, fp16/bf16_compress_hook
reducing a half-precision copy (divided by the world size first, as torch's) and writing it back
into the bucket's dtype; the *_wrapper forms compress around another hook."""

from ... import _state
from ..._collectives import all_reduce

__all__ = ["allreduce_hook", "fp16_compress_hook", "bf16_compress_hook",
           "fp16_compress_wrapper", "bf16_compress_wrapper"]


def _group(process_group):
    return _state._default() if process_group is None else process_group


def allreduce_hook(process_group, bucket):
    """Averages the bucket in place: divides by the world size, then allreduces the sum."""
    group = _group(process_group)
    buffer = bucket.buffer()
    buffer.div_(group.size())
    return all_reduce(buffer, group=group, async_op=True).get_future().then(
        lambda fut: fut.value()[0])


def _compress_hook(dtype, process_group, bucket):
    group = _group(process_group)
    buffer = bucket.buffer()
    compressed = buffer.to(dtype).div_(group.size())

    def decompress(fut):
        buffer.copy_(fut.value()[0])
        return buffer
    return all_reduce(compressed, group=group, async_op=True).get_future().then(decompress)


def fp16_compress_hook(process_group, bucket):
    """allreduce_hook on a float16 copy of the bucket."""
    from .... import float16
    return _compress_hook(float16, process_group, bucket)


def bf16_compress_hook(process_group, bucket):
    """allreduce_hook on a bfloat16 copy of the bucket."""
    from .... import bfloat16
    return _compress_hook(bfloat16, process_group, bucket)


def _compress_wrapper(dtype, hook):
    def wrapped(hook_state, bucket):
        buffer = bucket.buffer()
        bucket.set_buffer(buffer.to(dtype))
        fut = hook(hook_state, bucket)

        def decompress(fut):
            buffer.copy_(fut.value())
            return buffer
        return fut.then(decompress)
    return wrapped


def fp16_compress_wrapper(hook):
    """`hook` run on a float16 copy of the bucket, its result cast back."""
    from .... import float16
    return _compress_wrapper(float16, hook)


def bf16_compress_wrapper(hook):
    """`hook` run on a bfloat16 copy of the bucket, its result cast back."""
    from .... import bfloat16
    return _compress_wrapper(bfloat16, hook)
