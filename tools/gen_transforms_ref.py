"""Write tests/data/transforms_ref.npz: torchvision's outputs for ember.vision's tests.

Run it only in a separate environment with torchvision (never part of CI):

    python3 -m venv /tmp/tvenv
    /tmp/tvenv/bin/pip install torch==2.14.1 torchvision==0.29.1 pillow numpy
    /tmp/tvenv/bin/python tools/gen_transforms_ref.py

The case tables (CASES, MODEL_OUTPUTS, ...) and the helpers that build sample images and
deterministic weights are imported by tests/test_transforms.py and tests/test_models.py, so one
lambda runs on both frameworks. torch is imported only inside main().
"""

import json
import os
import random
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "transforms_ref.npz")
SEEDS = (0, 1, 2, 3)


# ---- sample images ------------------------------------------------------------------------------

def sample_arrays():
    """Small seeded uint8 images: RGB noise, a smooth RGB gradient and a grey ramp."""
    rng = np.random.RandomState(0)
    noise = rng.randint(0, 256, (20, 24, 3), dtype=np.uint8)
    yy, xx = np.mgrid[0:22, 0:26].astype(np.float64)
    smooth = np.stack([127.5 + 120 * np.sin(xx / 4.0), 127.5 + 120 * np.cos(yy / 5.0),
                       (xx * 5 + yy * 4) % 256], axis=-1).round().astype(np.uint8)
    gray = ((xx[:18, :16] * 9 + yy[:18, :16] * 5) % 256).astype(np.uint8)
    return {"noise": noise, "smooth": smooth, "gray": gray}


def make_input(kind, arrays, T, F):
    """('smooth', 'pil'|'float'|'uint8'|'array') -> the input object in this framework."""
    from PIL import Image
    name, form = kind
    pil = Image.fromarray(arrays[name])
    if form == "pil":
        return pil
    if form == "array":
        return arrays[name].copy()
    if form == "float":
        return F.to_tensor(pil)
    return F.pil_to_tensor(pil)


def as_array(out):
    """PIL image, tensor, or a tuple of them -> one NumPy array (tuples stacked)."""
    if isinstance(out, (tuple, list)):
        return np.stack([as_array(o) for o in out])
    if hasattr(out, "detach"):
        return np.array(out.detach().numpy())
    return np.array(out)


def pil_mode(out):
    if isinstance(out, (tuple, list)):
        return pil_mode(out[0])
    from PIL import Image
    return out.mode if isinstance(out, Image.Image) else None


# ---- transform cases ----------------------------------------------------------------------------
# (name, input kind, builder(T, F) -> callable, random?, tolerance: "exact" or "interp")

P, FL, U8 = "pil", "float", "uint8"
S, N, G = "smooth", "noise", "gray"


def _cases():
    c = []

    def add(name, kind, build, rand=False, tol="exact"):
        c.append((name, kind, build, rand, tol))

    # conversions
    add("to_tensor_rgb", (N, P), lambda T, F: T.ToTensor())
    add("to_tensor_gray", (G, P), lambda T, F: T.ToTensor())
    add("to_tensor_array", (S, "array"), lambda T, F: T.ToTensor())
    add("pil_to_tensor", (N, P), lambda T, F: T.PILToTensor())
    add("to_pil_float", (S, FL), lambda T, F: T.ToPILImage())
    add("to_pil_uint8_gray", (G, U8), lambda T, F: T.ToPILImage())
    add("to_pil_uint8_hsv", (S, U8), lambda T, F: T.ToPILImage(mode="HSV"))
    add("convert_u8_float", (N, U8), lambda T, F: T.ConvertImageDtype(_dt(T, "float32")))
    add("convert_float_u8", (S, FL), lambda T, F: T.ConvertImageDtype(_dt(T, "uint8")))
    add("convert_u8_int32", (N, U8), lambda T, F: T.ConvertImageDtype(_dt(T, "int32")))
    add("convert_float_f64", (S, FL), lambda T, F: T.ConvertImageDtype(_dt(T, "float64")))
    add("normalize", (N, FL), lambda T, F: T.Normalize([0.485, 0.456, 0.406],
                                                         [0.229, 0.224, 0.225]))
    # resize
    IM = "InterpolationMode"
    add("resize_pil_int", (S, P), lambda T, F: T.Resize(10), tol="interp")
    add("resize_pil_hw", (N, P), lambda T, F: T.Resize((12, 9)), tol="interp")
    add("resize_pil_up", (S, P), lambda T, F: T.Resize(31), tol="interp")
    add("resize_pil_nearest", (N, P),
        lambda T, F: T.Resize(11, getattr(T, IM).NEAREST))
    add("resize_pil_bicubic", (S, P),
        lambda T, F: T.Resize(13, getattr(T, IM).BICUBIC), tol="interp")
    add("resize_pil_max_size", (S, P), lambda T, F: T.Resize(12, max_size=13), tol="interp")
    add("resize_pil_gray", (G, P), lambda T, F: T.Resize((7, 20)), tol="interp")
    add("resize_t_float", (S, FL), lambda T, F: T.Resize(10), tol="interp")
    add("resize_t_float_up", (S, FL), lambda T, F: T.Resize((30, 41)), tol="interp")
    add("resize_t_uint8", (N, U8), lambda T, F: T.Resize((12, 9)), tol="interp")
    add("resize_t_bicubic", (S, FL),
        lambda T, F: T.Resize(13, getattr(T, IM).BICUBIC), tol="interp")
    add("resize_t_nearest", (N, U8), lambda T, F: T.Resize(11, getattr(T, IM).NEAREST))
    add("resize_t_no_aa", (S, FL), lambda T, F: T.Resize(10, antialias=False), tol="interp")
    # crops and pads
    add("center_crop", (N, P), lambda T, F: T.CenterCrop(9))
    add("center_crop_pad", (N, P), lambda T, F: T.CenterCrop((25, 13)))
    add("center_crop_t", (N, U8), lambda T, F: T.CenterCrop((25, 13)))
    add("five_crop", (S, P), lambda T, F: T.FiveCrop(8))
    add("ten_crop", (S, P), lambda T, F: T.TenCrop((8, 6)))
    add("ten_crop_v_t", (S, FL), lambda T, F: T.TenCrop(8, vertical_flip=True))
    for mode in ("constant", "edge", "reflect", "symmetric"):
        add(f"pad_{mode}", (S, P), lambda T, F, m=mode: T.Pad((1, 2, 3, 4), padding_mode=m))
        add(f"pad_{mode}_t", (S, U8), lambda T, F, m=mode: T.Pad((3, 2), padding_mode=m))
    add("pad_fill_rgb", (N, P), lambda T, F: T.Pad(2, fill=(10, 20, 30)))
    add("pad_gray_fill", (G, P), lambda T, F: T.Pad([3], fill=99))
    add("pad_fill_t", (S, FL), lambda T, F: T.Pad(2, fill=0.5))
    add("pad_negative", (S, P), lambda T, F: T.Pad((-1, 2, 3, -2), padding_mode="reflect"))
    add("crop_outside_t", (S, U8), lambda T, F: lambda x: F.crop(x, -2, 20, 8, 9))
    # flips and colour, deterministic
    add("hflip", (N, P), lambda T, F: F.hflip)
    add("vflip_t", (N, FL), lambda T, F: F.vflip)
    add("grayscale1", (S, P), lambda T, F: T.Grayscale())
    add("grayscale3", (S, P), lambda T, F: T.Grayscale(3))
    add("grayscale_t", (S, FL), lambda T, F: T.Grayscale(3))
    add("grayscale_t_u8", (S, U8), lambda T, F: T.Grayscale())
    for src in ((S, P), (S, FL), (S, U8)):
        sfx = src[1]
        add(f"brightness_{sfx}", src, lambda T, F: lambda x: F.adjust_brightness(x, 1.3))
        add(f"contrast_{sfx}", src, lambda T, F: lambda x: F.adjust_contrast(x, 0.6))
        add(f"saturation_{sfx}", src, lambda T, F: lambda x: F.adjust_saturation(x, 1.7))
        add(f"hue_{sfx}", src, lambda T, F: lambda x: F.adjust_hue(x, 0.2),
            tol="exact" if sfx == P else "interp")
    add("gamma", (S, P), lambda T, F: lambda x: F.adjust_gamma(x, 0.7, 1.1))
    add("invert", (S, P), lambda T, F: F.invert)
    add("invert_t", (S, U8), lambda T, F: F.invert)
    add("posterize", (N, P), lambda T, F: lambda x: F.posterize(x, 3))
    add("solarize", (N, P), lambda T, F: lambda x: F.solarize(x, 100))
    add("solarize_t", (N, U8), lambda T, F: lambda x: F.solarize(x, 100))
    add("autocontrast", (S, P), lambda T, F: F.autocontrast)
    add("equalize", (S, P), lambda T, F: F.equalize)
    add("sharpness", (N, P), lambda T, F: lambda x: F.adjust_sharpness(x, 2.0))
    add("blur_pil", (N, P), lambda T, F: lambda x: F.gaussian_blur(x, [5, 3], [1.5, 0.8]),
        tol="interp")
    add("blur_float", (S, FL), lambda T, F: lambda x: F.gaussian_blur(x, 5), tol="interp")
    add("blur_gray", (G, P), lambda T, F: lambda x: F.gaussian_blur(x, 3, 0.7), tol="interp")
    add("rotate", (S, P), lambda T, F: lambda x: F.rotate(x, 30.0))
    add("rotate_expand", (N, P), lambda T, F: lambda x: F.rotate(x, -65.0, expand=True))
    add("rotate_bilinear", (S, P), lambda T, F: lambda x: F.rotate(
        x, 17.0, getattr(T, IM).BILINEAR, center=[3, 5], fill=[9, 80, 200]))
    add("affine", (S, P), lambda T, F: lambda x: F.affine(x, 15.0, [2, -3], 1.2, [10.0, 5.0]))
    add("affine_gray", (G, P), lambda T, F: lambda x: F.affine(
        x, -30, (1, 1), 0.8, 12, getattr(T, IM).BILINEAR, fill=50))
    add("perspective", (S, P), lambda T, F: lambda x: F.perspective(
        x, [[0, 0], [25, 0], [25, 21], [0, 21]], [[2, 1], [23, 3], [24, 19], [1, 20]]))
    add("erase", (S, FL), lambda T, F: lambda x: F.erase(x, 2, 3, 5, 6, x[:, :5, :6] * 0 + 0.25))
    # random transforms: output under manual_seed(s) for each seed
    R = dict(rand=True)
    add("rcrop", (N, P), lambda T, F: T.RandomCrop(10), **R)
    add("rcrop_t", (N, FL), lambda T, F: T.RandomCrop((9, 13)), **R)
    add("rcrop_padding", (S, P), lambda T, F: T.RandomCrop(12, padding=3,
                                                            padding_mode="reflect"), **R)
    add("rcrop_pad_if_needed", (N, P),
        lambda T, F: T.RandomCrop((30, 26), pad_if_needed=True, fill=7), **R)
    add("rcrop_pad_if_needed_t", (S, U8),
        lambda T, F: T.RandomCrop((30, 26), padding=1, pad_if_needed=True, fill=3), **R)
    add("rrc", (S, P), lambda T, F: T.RandomResizedCrop(12), tol="interp", **R)
    add("rrc_ratio", (N, P), lambda T, F: T.RandomResizedCrop(
        (10, 14), scale=(0.3, 0.9), ratio=(0.5, 2.0), interpolation=getattr(T, IM).NEAREST), **R)
    add("rrc_fallback", (S, P), lambda T, F: T.RandomResizedCrop(
        8, scale=(0.99, 1.0), ratio=(3.0, 4.0)), tol="interp", **R)
    add("rrc_t", (S, FL), lambda T, F: T.RandomResizedCrop(12), tol="interp", **R)
    add("hflip_r", (N, P), lambda T, F: T.RandomHorizontalFlip(), **R)
    add("vflip_r_t", (N, U8), lambda T, F: T.RandomVerticalFlip(0.3), **R)
    add("rrot", (S, P), lambda T, F: T.RandomRotation(30), **R)
    add("rrot_opts", (N, P), lambda T, F: T.RandomRotation(
        (-10, 40), interpolation=getattr(T, IM).BILINEAR, expand=True, fill=(1, 2, 3)), **R)
    add("raffine", (S, P), lambda T, F: T.RandomAffine(
        20, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=(-10, 10, -5, 5)), **R)
    add("raffine_shear1", (G, P), lambda T, F: T.RandomAffine(
        (5, 10), shear=8, interpolation=getattr(T, IM).BILINEAR, fill=30), **R)
    add("jitter", (S, P), lambda T, F: T.ColorJitter(0.4, 0.4, 0.4, 0.2), **R)
    add("jitter_t", (S, FL), lambda T, F: T.ColorJitter(0.4, (0.5, 1.5), 0.4, 0.1),
        tol="interp", **R)
    add("jitter_hue_only", (N, P), lambda T, F: T.ColorJitter(hue=0.5), **R)
    add("rgray", (S, P), lambda T, F: T.RandomGrayscale(0.5), **R)
    add("rgray_t", (S, FL), lambda T, F: T.RandomGrayscale(0.5), **R)
    add("rapply", (S, P), lambda T, F: T.RandomApply([T.ColorJitter(0.5), T.RandomCrop(9)]), **R)
    add("rchoice", (N, P), lambda T, F: T.RandomChoice(
        [T.RandomCrop(7), T.CenterCrop(7), T.Resize((7, 7))], p=[0.2, 0.3, 0.5]),
        tol="interp", **R)
    add("rorder", (S, P), lambda T, F: T.RandomOrder(
        [T.RandomCrop(11), T.Resize((14, 14)), T.RandomHorizontalFlip()]), tol="interp", **R)
    add("rblur", (N, P), lambda T, F: T.GaussianBlur(5, (0.1, 2.0)), tol="interp", **R)
    add("rblur_t", (S, FL), lambda T, F: T.GaussianBlur((3, 7), 1.2), tol="interp", **R)
    add("rerase", (S, FL), lambda T, F: T.RandomErasing(p=1.0), **R)
    add("rerase_random", (N, FL), lambda T, F: T.RandomErasing(p=0.7, value="random"), **R)
    add("rerase_rgb", (S, FL), lambda T, F: T.RandomErasing(
        p=1.0, scale=(0.1, 0.4), ratio=(0.5, 2.0), value=(0.1, 0.2, 0.3)), **R)
    add("rinvert", (S, P), lambda T, F: T.RandomInvert(), **R)
    add("pipeline", (S, P), lambda T, F: T.Compose([
        T.RandomResizedCrop(16), T.RandomHorizontalFlip(), T.ColorJitter(0.3, 0.3, 0.3, 0.05),
        T.RandomRotation(10), T.ToTensor(), T.Normalize([0.5] * 3, [0.25] * 3),
        T.RandomErasing()]), tol="interp", **R)
    return c


def _dt(T, name):
    """A dtype by name from the framework T belongs to (torch or ember)."""
    root = sys.modules[T.__name__.split(".")[0]]
    if root.__name__ == "torchvision":
        root = sys.modules["torch"]
    return getattr(root, name)


CASES = _cases()

# reprs compared as strings
REPRS = [
    lambda T: T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                         T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
    lambda T: T.RandomResizedCrop(224, scale=(0.08, 1.0)),
    lambda T: T.Resize((32, 32), interpolation=T.InterpolationMode.BICUBIC, max_size=None),
    lambda T: T.RandomCrop(32, padding=4),
    lambda T: T.ColorJitter(0.4, 0.4, 0.4, 0.1),
    lambda T: T.ColorJitter(brightness=(0.2, 0.7)),
    lambda T: T.RandomRotation(30, expand=True, center=(1, 2)),
    lambda T: T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5,
                             interpolation=T.InterpolationMode.BILINEAR, fill=3),
    lambda T: T.RandomAffine(0),
    lambda T: T.Pad((1, 2), fill=3, padding_mode="edge"),
    lambda T: T.GaussianBlur(5),
    lambda T: T.RandomErasing(),
    lambda T: T.RandomApply([T.RandomGrayscale(), T.Grayscale(3)], p=0.3),
    lambda T: T.RandomChoice([T.RandomVerticalFlip(), T.FiveCrop(3)]),
    lambda T: T.RandomOrder([T.TenCrop(4, vertical_flip=True), T.ToPILImage("RGB")]),
    lambda T: T.Lambda(lambda x: x),
    lambda T: T.ToPILImage(),
    lambda T: T.PILToTensor(),
    lambda T: T.RandomPosterize(3),
]


def run_case(case, seed, T, F, manual_seed, arrays):
    """Apply one case: seeds torch-or-ember and Python's random first for random cases."""
    name, kind, build, rand, _ = case
    transform = build(T, F)
    x = make_input(kind, arrays, T, F)
    if rand:
        manual_seed(seed)
        random.seed(seed)
    return transform(x)


# ---- models -------------------------------------------------------------------------------------

ARCHS = ["alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
         "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "densenet121",
         "densenet161", "densenet169", "densenet201", "squeezenet1_0", "squeezenet1_1",
         "mobilenet_v2"]
# models whose output on a 1x3x64x64 input is stored, with weights from det_weights()
MODEL_OUTPUTS = ["resnet18", "resnet50", "squeezenet1_0", "squeezenet1_1", "mobilenet_v2",
                 "densenet121", "alexnet"]
# models whose freshly initialised weights after manual_seed(0) are summarised
MODEL_INITS = ["resnet18", "squeezenet1_1", "mobilenet_v2", "densenet121"]
NUM_CLASSES = 10


def det_weights(shapes):
    """{key: array} from {key: shape}: deterministic values of a sane scale per kind of tensor."""
    out = {}
    for k, (key, shape) in enumerate(shapes.items()):
        n = int(np.prod(shape)) if shape else 1
        wave = np.sin(np.arange(n, dtype=np.float64) * 0.7341 + k * 0.37).reshape(shape)
        if key.endswith("num_batches_tracked"):
            out[key] = np.array(7, dtype=np.int64)
            continue
        if key.endswith("running_var"):
            vals = 0.6 + 0.3 * wave
        elif key.endswith("running_mean"):
            vals = 0.1 * wave
        elif len(shape) == 1 and key.endswith("weight"):  # a norm layer's scale
            vals = 1.0 + 0.2 * wave
        elif len(shape) == 1:
            vals = 0.05 * wave
        else:
            fan_in = int(np.prod(shape[1:]))
            vals = wave * np.sqrt(3.0 / fan_in)
        out[key] = vals.astype(np.float32)
    return out


def model_input():
    return np.random.RandomState(0).standard_normal((1, 3, 64, 64)).astype(np.float32)


def init_summary(state):
    """Per floating tensor: its first 6 values and its float64 sum."""
    rows = {}
    for key, v in state.items():
        v = np.asarray(v)
        if v.dtype.kind == "f":
            flat = v.reshape(-1).astype(np.float64)
            rows[key] = flat[:6].tolist() + [float(flat.sum())]
    return rows


def main():
    import torch
    import torchvision.transforms as T
    import torchvision.transforms.functional as F
    from torchvision import models

    arrays = sample_arrays()
    data, meta = {}, {"modes": {}, "reprs": [repr(r(T)) for r in REPRS]}
    for case in CASES:
        name, rand = case[0], case[3]
        for seed in SEEDS if rand else (None,):
            out = run_case(case, seed, T, F, torch.manual_seed, arrays)
            key = name if seed is None else f"{name}@{seed}"
            data[key] = as_array(out)
            meta["modes"][key] = pil_mode(out)
    shapes = {}
    for arch in ARCHS:
        m = getattr(models, arch)(num_classes=NUM_CLASSES)
        shapes[arch] = [[k, list(v.shape), str(v.dtype)] for k, v in m.state_dict().items()]
    meta["model_shapes"] = shapes
    x = torch.from_numpy(model_input())
    for arch in MODEL_OUTPUTS:
        m = getattr(models, arch)(num_classes=NUM_CLASSES).eval()
        sd = det_weights({k: tuple(v.shape) for k, v in m.state_dict().items()})
        m.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
        with torch.no_grad():
            data[f"model/{arch}"] = m(x).numpy()
    meta["model_inits"] = {}
    for arch in MODEL_INITS:
        torch.manual_seed(0)
        m = getattr(models, arch)(num_classes=NUM_CLASSES)
        meta["model_inits"][arch] = init_summary({k: v.numpy() for k, v in
                                                  m.state_dict().items()})
    data["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **data)
    print(f"wrote {len(data)} arrays to {os.path.normpath(OUT)} "
          f"({os.path.getsize(OUT) / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
