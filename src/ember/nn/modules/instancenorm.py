"""InstanceNorm1d/2d/3d over `nn._norm` (torch.nn.modules.instancenorm), and their Lazy forms
(which, as torch's, default to affine=True and track_running_stats=True)."""

import warnings

from .. import _norm
from .batchnorm import _LazyNormBase, _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _InstanceNorm(_NormBase):

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def _apply_instance_norm(self, input):
        return _norm.instance_norm(input, self.running_mean, self.running_var, self.weight,
                                   self.bias, self.training or not self.track_running_stats,
                                   self.momentum if self.momentum is not None else 0.0,
                                   self.eps)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. "
                          "You can silence this warning by not passing in num_features, which "
                          "is not used because affine=False", stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)

    def _check_input_dim(self, input):
        n = self._no_batch_dim
        if input.dim() not in (n, n + 1):
            raise ValueError(f"expected {n}D or {n + 1}D input (got {input.dim()}D input)")


class InstanceNorm1d(_InstanceNorm):
    """Matches torch.nn.InstanceNorm1d."""

    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Matches torch.nn.InstanceNorm2d."""

    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Matches torch.nn.InstanceNorm3d."""

    _no_batch_dim = 4


class LazyInstanceNorm1d(_LazyNormBase, InstanceNorm1d):
    """Matches torch.nn.LazyInstanceNorm1d."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormBase, InstanceNorm2d):
    """Matches torch.nn.LazyInstanceNorm2d."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormBase, InstanceNorm3d):
    """Matches torch.nn.LazyInstanceNorm3d."""

    cls_to_become = InstanceNorm3d
