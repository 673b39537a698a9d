"""ember.vision.models against torchvision (reference data in tests/data/transforms_ref.npz, made
by tools/gen_transforms_ref.py): state_dict keys, shapes and dtypes of every architecture; outputs
with identical deterministic weights (rtol 1e-4); torchvision's init under manual_seed(0); and the
pretrained-weights path (cache location, offline error, loading a cached file)."""

import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

import ember
from ember.vision import models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location(
    "gen_transforms_ref", os.path.join(ROOT, "tools", "gen_transforms_ref.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

REF = np.load(os.path.join(ROOT, "tests", "data", "transforms_ref.npz"))
META = json.loads(str(REF["meta"]))


@pytest.fixture
def no_init(monkeypatch):
    """Skip random init (VGG's 130M draws): these tests overwrite or only inspect shapes."""
    monkeypatch.setattr(ember.Tensor, "uniform_", lambda self, *a, **k: self)
    monkeypatch.setattr(ember.Tensor, "normal_", lambda self, *a, **k: self)


@pytest.mark.parametrize("arch", gen.ARCHS)
def test_state_dict_keys_and_shapes(arch, no_init):
    model = getattr(models, arch)(num_classes=gen.NUM_CLASSES)
    got = [[k, list(v.shape), str(v.dtype)] for k, v in model.state_dict().items()]
    assert got == META["model_shapes"][arch]


@pytest.mark.parametrize("arch", gen.MODEL_OUTPUTS)
def test_outputs_with_identical_weights(arch, no_init):
    model = getattr(models, arch)(num_classes=gen.NUM_CLASSES).eval()
    weights = gen.det_weights({k: tuple(v.shape) for k, v in model.state_dict().items()})
    model.load_state_dict({k: ember.from_numpy(v) for k, v in weights.items()})
    with ember.no_grad():
        out = model(ember.from_numpy(gen.model_input()))
    np.testing.assert_allclose(out.numpy(), REF[f"model/{arch}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("arch", gen.MODEL_INITS)
def test_init_matches_torchvision_under_seed(arch):
    ember.manual_seed(0)
    model = getattr(models, arch)(num_classes=gen.NUM_CLASSES)
    got = gen.init_summary({k: v.numpy() for k, v in model.state_dict().items()})
    ref = META["model_inits"][arch]
    assert list(got) == list(ref)
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_train_mode_backward_runs_through_every_layer():
    model = models.squeezenet1_1(num_classes=3)
    out = model(ember.randn(2, 3, 40, 40))
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_offline_weights_error_names_url_and_path(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr("ember.vision.models._api._fetch", _offline)
    with pytest.raises(RuntimeError) as err:
        models.resnet18(weights=models.ResNet18_Weights.IMAGENET1K_V1)
    text = str(err.value)
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in text
    assert os.path.join(str(tmp_path), "hub", "checkpoints", "resnet18-f37072fd.pth") in text
    assert not any(tmp_path.rglob("*.partial*"))
    assert not os.path.exists(os.path.join(str(tmp_path), "hub", "checkpoints",
                                           "resnet18-f37072fd.pth"))


def _offline(url, out):
    raise OSError("network is unreachable")


def test_cached_weight_file_is_loaded(tmp_path, monkeypatch, no_init):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    source = models.squeezenet1_1()
    state = {k: ember.from_numpy(v) for k, v in gen.det_weights(
        {k: tuple(v.shape) for k, v in source.state_dict().items()}).items()}
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    ember.save(state, str(folder / "squeezenet1_1-b8a52dc0.pth"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.squeezenet1_1(pretrained=True)
    messages = " ".join(str(w.message) for w in caught)
    assert "'pretrained' is deprecated" in messages
    assert "weights=SqueezeNet1_1_Weights.IMAGENET1K_V1" in messages
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), state[key].numpy())
    same = models.squeezenet1_1(weights="DEFAULT")
    np.testing.assert_array_equal(same.classifier[1].weight.detach().numpy(),
                                  state["classifier.1.weight"].numpy())
    with pytest.raises(ValueError, match="'num_classes' expected value 1000"):
        models.squeezenet1_1(weights="IMAGENET1K_V1", num_classes=10)


def test_densenet_renames_old_checkpoint_keys():
    from ember.vision.models.densenet import _rename_old_keys
    out = _rename_old_keys({"features.denseblock1.denselayer1.norm.1.weight": 1, "x.norm.1": 2})
    assert list(out) == ["features.denseblock1.denselayer1.norm1.weight", "x.norm.1"]


def test_weights_enum_api():
    w = models.ResNet50_Weights
    assert w.DEFAULT is w.IMAGENET1K_V2
    assert w.verify("IMAGENET1K_V1") is w.IMAGENET1K_V1
    assert w.verify("ResNet50_Weights.DEFAULT") is w.IMAGENET1K_V2
    assert repr(w.IMAGENET1K_V1) == "ResNet50_Weights.IMAGENET1K_V1"
    preset = w.IMAGENET1K_V2.transforms()
    out = preset(ember.rand(3, 300, 260))
    assert tuple(out.shape) == (3, 224, 224)
