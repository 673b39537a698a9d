"""FakeData: torchvision's random-image dataset. Each index seeds the global generator with
index + random_offset, draws the image with randn and the label with randint, then puts the
generator back, so (with ember's torch-exact streams) the samples equal torchvision's."""

from ... import random as _random
from ...ops.sampling import randint, randn
from .vision import VisionDataset

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """Matches torchvision.datasets.FakeData: PIL images from randn, int labels from randint."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        if index >= len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        from ..transforms.functional import to_pil_image
        state = _random.get_rng_state()
        _random.manual_seed(index + self.random_offset)
        img = randn(*self.image_size)
        target = randint(0, self.num_classes, size=(1,))[0]
        _random.set_rng_state(state)
        img = to_pil_image(img)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target.item()

    def __len__(self):
        return self.size
