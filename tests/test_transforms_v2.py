"""ember.vision.transforms.v2 against torchvision's v2 algorithms. torchvision is not
installable beside torch 2.13 here, so each random transform's draws are replayed with live
torch exactly as torchvision's v2 source makes them (same calls, same order), and the result is
compared with ember's functional applied at those parameters; where v2 draws as v1 does, v2 and
v1 must give the same output for the same seed."""

import warnings

import numpy as np
import pytest

import ember
from ember.vision import transforms as v1
from ember.vision import tv_tensors
from ember.vision.transforms import functional as F
from ember.vision.transforms import v2
from oracle import requires_torch, torch

Image = pytest.importorskip("PIL.Image")

ARR = np.random.default_rng(0).integers(0, 256, (20, 16, 3), dtype=np.uint8)


def _pil():
    return Image.fromarray(ARR)


def _tensor():
    return ember.from_numpy(np.ascontiguousarray(ARR.transpose(2, 0, 1)))


def _same(a, b):
    a = np.asarray(a) if not isinstance(a, ember.Tensor) else a.numpy()
    b = np.asarray(b) if not isinstance(b, ember.Tensor) else b.numpy()
    np.testing.assert_array_equal(a, b)


def _seed(s):
    ember.manual_seed(s)
    if torch is not None:
        torch.manual_seed(s)


# ---- draws replayed with torch ---------------------------------------------------------------
@requires_torch
@pytest.mark.parametrize("make", [_pil, _tensor])
def test_random_crop_draws(make):
    for seed in range(4):
        _seed(seed)
        out = v2.RandomCrop((7, 16), padding=(1, 2))(make())
        # torchvision v2: padded (24, 18); height crops, width 18 > 16 crops too
        top = int(torch.randint(0, 24 - 7 + 1, size=()))
        left = int(torch.randint(0, 18 - 16 + 1, size=()))
        want = F.crop(F.pad(make(), [1, 2, 1, 2]), top, left, 7, 16)
        _same(out, want)
    _seed(5)
    out = v2.RandomCrop((20, 10))(make())  # full height: v2 draws only the left
    left = int(torch.randint(0, 16 - 10 + 1, size=()))
    _same(out, F.crop(make(), 0, left, 20, 10))
    assert ember.rand(1).item() == torch.rand(1).item()


@requires_torch
@pytest.mark.parametrize("make", [_pil, _tensor])
def test_flips_rotation_blur_jitter_resized_crop_match_v1(make):
    pairs = [
        (v2.RandomHorizontalFlip(0.5), v1.RandomHorizontalFlip(0.5)),
        (v2.RandomVerticalFlip(0.3), v1.RandomVerticalFlip(0.3)),
        (v2.RandomRotation(30), v1.RandomRotation(30)),
        (v2.GaussianBlur(3, (0.5, 1.5)), v1.GaussianBlur(3, (0.5, 1.5))),
        (v2.ColorJitter(0.4, 0.4, 0.4, 0.1), v1.ColorJitter(0.4, 0.4, 0.4, 0.1)),
        (v2.RandomResizedCrop(8, antialias=True), v1.RandomResizedCrop(8, antialias=True)),
        (v2.RandomGrayscale(0.5), v1.RandomGrayscale(0.5)),
    ]
    for new, old in pairs:
        if isinstance(new, v2.RandomRotation) and make is _tensor:
            continue  # ember's rotate() refuses tensors (v1's functional), so v2's does too
        for seed in range(3):
            _seed(seed)
            a = new(make())
            after_new = ember.rand(1).item()
            _seed(seed)
            b = old(make())
            assert ember.rand(1).item() == after_new, type(new).__name__
            _same(a, b)


@requires_torch
def test_flip_uses_one_rand_per_call():
    for seed in range(6):
        _seed(seed)
        out = v2.RandomHorizontalFlip(0.5)(_tensor())
        flip = not bool(torch.rand(1) >= 0.5)
        _same(out, F.hflip(_tensor()) if flip else _tensor())


@requires_torch
def test_random_choice_and_order_use_torch_draws():
    ts = [v2.RandomHorizontalFlip(1.0), v2.RandomVerticalFlip(1.0), v2.Grayscale()]
    picks = [F.hflip(_tensor()), F.vflip(_tensor()), v2.Grayscale()(_tensor())]
    seen = set()
    for seed in range(8):
        _seed(seed)
        out = v2.RandomChoice(ts, p=[0.2, 0.5, 0.3])(_tensor())
        idx = int(torch.multinomial(torch.tensor([0.2, 0.5, 0.3]), 1))
        seen.add(idx)
        _same(out, picks[idx])  # p=1.0 flips: the output does not depend on their own draw
        _seed(seed)
        out = v2.RandomOrder([v2.Pad(1), v2.CenterCrop(5)])(_tensor())
        order = torch.randperm(2).tolist()
        x = _tensor()
        for i in order:
            x = [v2.Pad(1), v2.CenterCrop(5)][i](x)
        _same(out, x)


@requires_torch
def test_random_apply_draw():
    for seed in range(6):
        _seed(seed)
        out = v2.RandomApply([v2.RandomHorizontalFlip(1.0)], p=0.4)(_tensor())
        skip = bool(torch.rand(1) >= 0.4)
        _same(out, _tensor() if skip else F.hflip(_tensor()))


# ---- samples: what is transformed and what passes through ------------------------------------
def test_tuples_and_dicts_pass_labels_through():
    t = v2.Compose([v2.RandomHorizontalFlip(1.0), v2.ToImage()])
    img, label = t(_pil(), 3)
    assert type(img) is tv_tensors.Image and label == 3
    _same(img, F.hflip(_tensor()))
    out = t({"image": _pil(), "label": ember.tensor(7), "name": "x", "boxes": [1, 2]})
    assert list(out) == ["image", "label", "name", "boxes"]
    assert out["label"].item() == 7 and out["name"] == "x" and out["boxes"] == [1, 2]
    # with no image in the sample, only the first plain tensor is an image
    first, second = v2.RandomHorizontalFlip(1.0)((_tensor(), _tensor()))
    _same(first, F.hflip(_tensor()))
    _same(second, _tensor())
    # with a PIL image in the sample, plain tensors pass through
    pil, t2 = v2.RandomHorizontalFlip(1.0)(_pil(), _tensor())
    _same(pil, F.hflip(_pil()))
    _same(t2, _tensor())


def test_image_class_is_kept_and_unwrapped():
    img = v2.ToImage()(_pil())
    assert type(img) is tv_tensors.Image and img.dtype == ember.uint8
    _same(img, _tensor())
    for t in (v2.RandomHorizontalFlip(1.0), v2.Resize(8), v2.CenterCrop(6), v2.Pad(2),
              v2.Grayscale(), v2.RandomCrop(5), v2.GaussianBlur(3),
              v2.ColorJitter(0.2, 0.2)):
        assert type(t(img)) is tv_tensors.Image, type(t).__name__
    assert type(v2.ToPureTensor()(img)) is ember.Tensor
    fn = v2.functional
    for out in (fn.resize(img, [4, 4]), fn.crop(img, 1, 1, 3, 3), fn.horizontal_flip(img),
                fn.to_dtype(img, ember.float32, scale=True), fn.rgb_to_grayscale(img),
                *fn.five_crop(img, 4)):
        assert type(out) is tv_tensors.Image
    assert fn.get_size(img) == [20, 16] == fn.get_size(_pil())
    assert type(img + 1) is ember.Tensor
    arr = v2.ToImage()(ARR)
    assert type(arr) is tv_tensors.Image and tuple(arr.shape) == (3, 20, 16)
    assert tuple(v2.ToImage()(ARR[:, :, 0]).shape) == (1, 20, 16)


@requires_torch
def test_to_dtype_scale_matches_torchvisions_arithmetic():
    t = torch.from_numpy(np.ascontiguousarray(ARR.transpose(2, 0, 1)))
    img = v2.ToImage()(_pil())
    out = v2.ToDtype(ember.float32, scale=True)(img)
    assert type(out) is tv_tensors.Image
    _same(out, t.to(torch.float32).mul_(1.0 / 255))
    back = v2.ToDtype(ember.uint8, scale=True)(out)
    _same(back, t.to(torch.float32).mul_(1.0 / 255).mul(255 + 1.0 - 1e-3).to(torch.uint8))
    _same(v2.ToDtype(ember.int16, scale=True)(img), t.to(torch.int16).bitwise_left_shift_(7))
    _same(v2.ToDtype(ember.float64)(img), t.to(torch.float64))
    label = ember.tensor(3)
    x, y = v2.ToDtype(ember.float32, scale=True)(img, label)
    assert y.dtype == ember.int64  # only images change with a single dtype
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        v2.ToDtype(ember.int32, scale=True)(out)
    # ToTensor's v2 replacement, to float precision
    _same(v2.Compose([v2.ToImage(), v2.ToDtype(ember.float32, scale=True)])(_pil()),
          t.to(torch.float32).mul_(1.0 / 255))


@requires_torch
def test_grayscale_tensor_kernel():
    t = torch.from_numpy(np.ascontiguousarray(ARR.transpose(2, 0, 1)))
    r, g, b = t.unbind(dim=-3)
    want = r.mul(0.2989).add_(g, alpha=0.587).add_(b, alpha=0.114).unsqueeze(-3).to(torch.uint8)
    _same(v2.Grayscale()(_tensor()), want)
    _same(v2.Grayscale(3)(_tensor()), want.expand(3, 20, 16))
    _same(v2.Grayscale()(_pil()), v1.Grayscale()(_pil()))


def test_deterministic_transforms_equal_v1():
    for new, old in [(v2.Resize(9), v1.Resize(9)), (v2.Resize([7, 5]), v1.Resize([7, 5])),
                     (v2.CenterCrop(6), v1.CenterCrop(6)), (v2.Pad([1, 2]), v1.Pad([1, 2])),
                     (v2.Pad(2, fill=9, padding_mode="constant"), v1.Pad(2, fill=9))]:
        for make in (_pil, _tensor):
            _same(new(make()), old(make()))
    x = _tensor().float() / 255
    _same(v2.Normalize([0.5, 0.4, 0.3], [0.2, 0.3, 0.4])(x),
          v1.Normalize([0.5, 0.4, 0.3], [0.2, 0.3, 0.4])(x))
    assert v2.Lambda(lambda v: v * 2, ember.Tensor)((x, 3))[1] == 3


def test_to_tensor_is_deprecated_with_v2_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = v2.ToTensor()
    assert [str(w.message) for w in caught] == [
        "The transform `ToTensor()` is deprecated and will be removed in a future release. "
        "Instead, please use `v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, "
        "scale=True)])`.Output is equivalent up to float precision."]
    assert caught[0].category is UserWarning
    _same(t(_pil()), v1.ToTensor()(_pil()))
    plain = _tensor()
    assert t(plain) is plain  # v2.ToTensor leaves tensors alone


def test_errors():
    with pytest.raises(TypeError, match=r"^Normalize\(\) does not support PIL images\.$"):
        v2.Normalize([0.5], [0.5])(_pil())
    with pytest.raises(ValueError, match="dtype must be a dict or a torch.dtype"):
        v2.ToDtype("float")
    with pytest.raises(ValueError, match=r"size can either be an integer or a list or tuple"):
        v2.Resize((1, 2, 3))
    with pytest.raises(ValueError, match=r"Required crop size \(30, 30\) is larger than input "
                                         r"image size \(20, 16\)\."):
        v2.RandomCrop(30)(_pil())
    with pytest.raises(ValueError, match=r"`p` should be a floating point value"):
        v2.RandomHorizontalFlip(2.0)
    with pytest.raises(TypeError, match="No image, video, mask or bounding box was found"):
        v2.RandomCrop(3)({"label": 1})
    with pytest.raises(TypeError, match="Input can either be a pure Tensor, a numpy array"):
        v2.functional.to_image([1, 2])


@requires_torch
def test_repr_layout_is_torch_modules():
    class Listing(torch.nn.Module):  # v2 containers print through nn.Module's repr
        def __init__(self, items):
            super().__init__()
            self.items = items

        def extra_repr(self):
            return "\n".join(f"    {t}" for t in self.items)

    inner = [v2.Resize(8), v2.RandomHorizontalFlip(), v2.ToImage()]
    want = repr(Listing(inner)).replace("Listing", "Compose", 1)
    assert repr(v2.Compose(inner)) == want
    assert repr(v2.Resize(8)) == (
        "Resize(size=[8], interpolation=InterpolationMode.BILINEAR, antialias=True)")
    assert repr(v2.RandomHorizontalFlip(0.3)) == "RandomHorizontalFlip(p=0.3)"
    assert repr(v2.Lambda(abs)) == "Lambda(abs, types=['object'])"
