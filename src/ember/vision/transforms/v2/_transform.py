"""The v2 Transform base: any nesting of tuples, lists and dicts goes in; the leaves that are
images (PIL images, tv_tensors.Image, and the first plain tensor when the sample has neither)
are transformed with one set of random parameters, everything else passes through unchanged.
"""

import enum

import numpy as np

from ...._tensor import Tensor
from ....nn.modules.module import Module
from ....ops import sampling as _sampling
from ... import tv_tensors


def _is_pil(x):
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(x, Image.Image)


def is_pure_tensor(x):
    return isinstance(x, Tensor) and not isinstance(x, tv_tensors.TVTensor)


def _check_type(x, types):
    for t in types:
        if t == "pil":
            if _is_pil(x):
                return True
        elif isinstance(t, type):
            if isinstance(x, t):
                return True
        elif t(x):
            return True
    return False


def has_any(flat_inputs, *types):
    return any(_check_type(x, types) for x in flat_inputs)


# ---- torch.utils._pytree's flatten for the containers samples use ---------------------------
def tree_flatten(tree):
    """Leaves depth-first (tuple, list, dict in insertion order, namedtuple) and a rebuild spec."""
    leaves = []

    def walk(node):
        if isinstance(node, tuple) and hasattr(node, "_fields"):
            return ("namedtuple", type(node), [walk(v) for v in node])
        if isinstance(node, (tuple, list)):
            return (type(node), None, [walk(v) for v in node])
        if isinstance(node, dict):
            return (type(node), list(node), [walk(v) for v in node.values()])
        leaves.append(node)
        return None

    return leaves, walk(tree)


def tree_unflatten(leaves, spec):
    it = iter(leaves)

    def build(node):
        if node is None:
            return next(it)
        kind, extra, children = node
        values = [build(c) for c in children]
        if kind == "namedtuple":
            return extra(*values)
        if extra is None:
            return kind(values)
        return kind(zip(extra, values))

    return build(spec)


def query_size(flat_inputs):
    """(height, width) shared by the sample's images, as torchvision's query_size."""
    sizes = set()
    for x in flat_inputs:
        if _is_pil(x):
            sizes.add((x.height, x.width))
        elif isinstance(x, Tensor) and (is_pure_tensor(x) or isinstance(x, tv_tensors.Image)):
            sizes.add(tuple(x.shape[-2:]))
    if not sizes:
        raise TypeError("No image, video, mask or bounding box was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {sorted(sizes)}")
    h, w = sizes.pop()
    return int(h), int(w)


def call_kernel(fn, inpt, *args, **kwargs):
    """Run a v1 functional on a PIL image or tensor; a TVTensor comes back as its own class."""
    if isinstance(inpt, tv_tensors.TVTensor):
        out = fn(inpt.as_subclass(Tensor), *args, **kwargs)
        if isinstance(out, (tuple, list)):  # five_crop / ten_crop: each crop keeps the class
            return type(out)(type(inpt)._wrap(o) if isinstance(o, Tensor) else o for o in out)
        return type(inpt)._wrap(out) if isinstance(out, Tensor) else out
    return fn(inpt, *args, **kwargs)


class Transform(Module):
    """Matches torchvision.transforms.v2.Transform (subclass with make_params / transform)."""

    _transformed_types = (Tensor, "pil")

    def check_inputs(self, flat_inputs):
        pass

    def make_params(self, flat_inputs):
        return {}

    def transform(self, inpt, params):
        raise NotImplementedError

    def _needs_transform_list(self, flat_inputs):
        transform_pure = not has_any(flat_inputs, tv_tensors.Image, "pil")
        needs = []
        for x in flat_inputs:
            need = _check_type(x, self._transformed_types)
            if need and is_pure_tensor(x):
                need, transform_pure = transform_pure, False
            needs.append(need)
        return needs

    def _apply(self, inputs, flat_inputs, spec):
        needs = self._needs_transform_list(flat_inputs)
        params = self.make_params([x for x, n in zip(flat_inputs, needs) if n])
        outs = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs)]
        return tree_unflatten(outs, spec)

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat, spec = tree_flatten(sample)
        self.check_inputs(flat)
        return self._apply(sample, flat, spec)

    def extra_repr(self):
        parts = []
        for name, value in self.__dict__.items():
            if name.startswith("_") or name == "training":
                continue
            if isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)):
                parts.append(f"{name}={value}")
        return ", ".join(parts)


class _RandomApplyTransform(Transform):
    """A transform applied with probability p: one rand(1) per call, skipped when >= p."""

    def __init__(self, p=0.5):
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        sample = inputs if len(inputs) > 1 else inputs[0]
        flat, spec = tree_flatten(sample)
        self.check_inputs(flat)
        if bool(_sampling.rand(1) >= self.p):
            return sample
        return self._apply(sample, flat, spec)


def is_ndarray(x):
    return isinstance(x, np.ndarray)
