"""ember.vision.datasets.FakeData against torchvision's algorithm, replayed with live torch
(torchvision itself is not installable beside torch 2.13 here): per index, seed torch's global
generator with index + random_offset, randn the image, randint the label, restore the state,
and turn the float image into a PIL image the way to_pil_image does (mul(255).byte())."""

import numpy as np
import pytest

import ember
from ember.vision import transforms
from ember.vision.datasets import FakeData
from oracle import requires_torch, torch

pytest.importorskip("PIL")


def _torchvision_sample(index, image_size, num_classes, random_offset):
    state = torch.get_rng_state()
    torch.manual_seed(index + random_offset)
    img = torch.randn(*image_size)
    target = torch.randint(0, num_classes, size=(1,), dtype=torch.long)[0]
    torch.set_rng_state(state)
    pixels = img.mul(255).byte()
    if pixels.dim() == 3:
        pixels = pixels.permute(1, 2, 0)
    return pixels.numpy(), target.item()


@requires_torch
@pytest.mark.parametrize("image_size,num_classes,offset", [
    ((3, 8, 6), 10, 0), ((1, 5, 7), 3, 17), ((3, 4, 4), 1000, 123456), ((4, 3, 2), 2, 5)])
def test_samples_equal_torchvisions(image_size, num_classes, offset):
    data = FakeData(size=6, image_size=image_size, num_classes=num_classes,
                    random_offset=offset)
    for index in (0, 1, 5):
        img, target = data[index]
        want, want_target = _torchvision_sample(index, image_size, num_classes, offset)
        got = np.asarray(img)
        if got.ndim == 2:
            got = got[:, :, None]
        np.testing.assert_array_equal(got, want)
        assert type(target) is int and target == want_target
        assert img.size == (image_size[2], image_size[1])
    assert data[0][0].mode == {1: "L", 3: "RGB", 4: "RGBA"}[image_size[0]]


@requires_torch
def test_global_generator_is_left_where_it_was():
    ember.manual_seed(3)
    FakeData(size=2, image_size=(3, 4, 4))[1]
    after = ember.rand(4).tolist()
    ember.manual_seed(3)
    assert ember.rand(4).tolist() == after
    torch.manual_seed(3)
    assert torch.rand(4).tolist() == after


def test_transforms_len_and_index_error():
    seen = []
    data = FakeData(size=3, image_size=(3, 6, 6), transform=transforms.ToTensor(),
                    target_transform=lambda t: seen.append(type(t).__name__) or t + 100)
    img, target = data[2]
    assert isinstance(img, ember.Tensor) and tuple(img.shape) == (3, 6, 6)
    assert seen == ["Tensor"] and 100 <= target < 110
    assert len(data) == 3
    with pytest.raises(IndexError, match="^FakeData index out of range$"):
        data[3]


def test_repr_has_torchvisions_layout():
    # torchvision's VisionDataset.__repr__ (no root line: FakeData passes root=None)
    assert repr(FakeData(size=7)) == "Dataset FakeData\n    Number of datapoints: 7"
    r = repr(FakeData(size=2, transform=transforms.ToTensor()))
    assert r == ("Dataset FakeData\n    Number of datapoints: 2\n    StandardTransform\n"
                 "Transform: ToTensor()")
