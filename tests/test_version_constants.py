"""torch.version's fields and the math constants at the top level, against torch."""

import math

import pytest

import ember
from oracle import requires_torch


def test_constants_are_python_floats():
    assert ember.pi == math.pi and ember.e == math.e
    assert ember.inf == math.inf and math.isnan(ember.nan) and ember.newaxis is None
    x = ember.arange(3.0)
    assert x[ember.newaxis].shape == (1, 3)


@requires_torch
def test_constants_match_torch():
    import torch
    for name in ("pi", "e", "inf", "newaxis"):
        assert getattr(ember, name) == getattr(torch, name)
        assert type(getattr(ember, name)) is type(getattr(torch, name))
    assert type(ember.nan) is type(torch.nan) and math.isnan(torch.nan)


@requires_torch
def test_version_module_has_torchs_fields():
    import torch.version

    import ember.version
    assert set(ember.version.__all__) == set(torch.version.__all__)
    # a CPU build of torch reports no CUDA / HIP toolkit, as ember does
    assert torch.version.cuda is None and ember.version.cuda is None
    assert ember.version.hip is None and ember.version.debug is False
    assert ember.version.__version__ == ember.__version__


@pytest.mark.parametrize("name", ["cuda", "hip", "rocm", "xpu", "debug", "git_version"])
def test_version_fields_exist(name):
    assert hasattr(ember.version, name)
