"""ember.vision.transforms against torchvision's outputs stored in tests/data/transforms_ref.npz.

The case table lives in tools/gen_transforms_ref.py (the committed generator) and runs here on
ember: uint8 results must be equal, float ones within 1e-6, and interpolation-based ones within
1/255 (one grey level). Random cases run under manual_seed(s) and must give torchvision's
augmentation for that seed.
"""

import importlib.util
import json
import os

import numpy as np
import pytest

import ember
from ember.vision import transforms as T
from ember.vision.transforms import functional as F

pytest.importorskip("PIL")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "gen_transforms_ref", os.path.join(ROOT, "tools", "gen_transforms_ref.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

REF = np.load(os.path.join(ROOT, "tests", "data", "transforms_ref.npz"))
META = json.loads(str(REF["meta"]))
ARRAYS = gen.sample_arrays()


def _check(key, out, tol):
    ref = REF[key]
    got = gen.as_array(out)
    assert got.shape == ref.shape, key
    assert got.dtype == ref.dtype, key
    assert gen.pil_mode(out) == META["modes"][key], key
    if tol == "interp":
        atol = 1.0 if ref.dtype.kind in "ui" else 1.0 / 255
        np.testing.assert_allclose(got.astype(np.float64), ref.astype(np.float64), rtol=0,
                                   atol=atol, err_msg=key)
    elif ref.dtype.kind == "f":
        np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6, err_msg=key)
    else:
        np.testing.assert_array_equal(got, ref, err_msg=key)


_DET = [c for c in gen.CASES if not c[3]]
_RAND = [(c, s) for c in gen.CASES if c[3] for s in gen.SEEDS]


@pytest.mark.parametrize("case", _DET, ids=[c[0] for c in _DET])
def test_deterministic(case):
    out = gen.run_case(case, None, T, F, ember.manual_seed, ARRAYS)
    _check(case[0], out, case[4])


@pytest.mark.parametrize("case,seed", _RAND, ids=[f"{c[0]}@{s}" for c, s in _RAND])
def test_random_same_seed_same_result(case, seed):
    out = gen.run_case(case, seed, T, F, ember.manual_seed, ARRAYS)
    _check(f"{case[0]}@{seed}", out, case[4])


def test_reprs():
    assert [repr(r(T)) for r in gen.REPRS] == META["reprs"]


def test_random_draws_consume_the_global_stream():
    """A transform's draws advance ember's generator exactly as torchvision's advance torch's:
    what the generator yields next is the same as after the equivalent raw calls."""
    img = ember.rand(3, 20, 24)
    ember.manual_seed(5)
    T.RandomCrop(10)(img)
    after_transform = ember.rand(3)
    ember.manual_seed(5)
    ember.randint(0, 11, size=(1,))
    ember.randint(0, 15, size=(1,))
    np.testing.assert_array_equal(after_transform.numpy(), ember.rand(3).numpy())


def test_errors_match_torchvision():
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(50)(ember.rand(3, 10, 10))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize([0.5], [0.5])(ember.zeros(1, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        F.normalize(ember.rand(1, 2, 2), [0.5], [0.0])
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        F.to_tensor([1, 2])
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="Kernel size value should be an odd"):
        T.GaussianBlur(4)
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(ember.rand(1, 2, 2), ember.int64)


def test_modules_and_inplace():
    x = ember.rand(3, 4, 4)
    norm = T.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], inplace=True)
    assert isinstance(norm, ember.nn.Module)
    before = x.numpy().copy()
    out = norm(x)
    assert out is x
    np.testing.assert_allclose(x.numpy(), (before - 0.5) / 0.5, atol=1e-6)
    assert isinstance(T.InterpolationMode.BILINEAR, T.InterpolationMode)
    assert T.Resize(8, interpolation=3).interpolation is T.InterpolationMode.BICUBIC


def test_resize_antialias_is_interpolate_and_differentiable():
    """torchvision's tensor resize (antialias=True, its default) is F.interpolate(antialias=True):
    the same values, and gradients flow (ember's own NumPy filter detached its result)."""
    import ember.vision.transforms.functional as TF
    x = ember.rand(3, 20, 30, requires_grad=True)
    for mode, interp in (("bilinear", TF.InterpolationMode.BILINEAR),
                         ("bicubic", TF.InterpolationMode.BICUBIC)):
        y = TF.resize(x, [7, 11], interpolation=interp)
        want = ember.nn.functional.interpolate(x[None], size=(7, 11), mode=mode,
                                               align_corners=False, antialias=True)[0]
        assert y.grad_fn is not None
        assert np.array_equal(y.detach().numpy(), want.detach().numpy())
        y.sum().backward()
        assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
        x.grad = None
