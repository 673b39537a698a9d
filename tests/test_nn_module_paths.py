"""ember.nn.modules.<file> mirrors torch.nn.modules.<file>: each layer class lives at torch's path,
and whole models pickle across the two frameworks (ember.save -> torch.load and the reverse)."""

import importlib
import inspect
import io
import pickletools
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember.nn.modules import utils as eutils
from oracle import requires_torch, torch

EMBER_FILES = ["activation", "batchnorm", "container", "conv", "dropout", "flatten",
               "instancenorm", "linear", "loss", "module", "normalization", "padding",
               "pixelshuffle", "pooling", "rnn", "sparse", "transformer", "upsampling", "utils"]


def _layer_classes():
    return [n for n in ember.nn.modules.__all__
            if inspect.isclass(getattr(ember.nn, n))]


@requires_torch
@pytest.mark.parametrize("name", _layer_classes())
def test_class_lives_at_torch_path(name):
    t = getattr(torch.nn, name)
    e = getattr(ember.nn, name)
    assert e.__module__ == "ember" + t.__module__[len("torch"):]
    assert getattr(importlib.import_module(e.__module__), name) is e


@requires_torch
@pytest.mark.parametrize("file", EMBER_FILES)
def test_file_names_what_torch_names(file):
    """What torch's file exports (its __all__), ember's file has, for the classes ember has."""
    tmod = importlib.import_module("torch.nn.modules." + file)
    emod = importlib.import_module("ember.nn.modules." + file)
    have = [n for n in getattr(tmod, "__all__", []) if hasattr(ember.nn, n)]
    for n in have:
        assert getattr(emod, n) is getattr(ember.nn, n)


def test_moved_names_importable_where_torch_has_them():
    from ember.nn.modules.activation import MultiheadAttention
    from ember.nn.modules.instancenorm import InstanceNorm2d
    from ember.nn.modules.linear import Linear, NonDynamicallyQuantizableLinear
    from ember.nn.modules.normalization import GroupNorm, LocalResponseNorm
    from ember.nn.modules.pixelshuffle import PixelShuffle, PixelUnshuffle
    from ember.nn.modules.transformer import MultiheadAttention as Mha
    assert Mha is MultiheadAttention is ember.nn.MultiheadAttention
    assert type(MultiheadAttention(4, 2).out_proj) is NonDynamicallyQuantizableLinear
    assert issubclass(NonDynamicallyQuantizableLinear, Linear)
    for cls in (InstanceNorm2d, GroupNorm, LocalResponseNorm, PixelShuffle, PixelUnshuffle):
        assert getattr(ember.nn, cls.__name__) is cls


@requires_torch
def test_utils_helpers_match_torch():
    import torch.nn.modules.utils as tutils
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for v in (3, (1, 2), [4, 5, 6]):
            assert getattr(eutils, name)(v) == getattr(tutils, name)(v)
        assert getattr(eutils, name).__name__ == getattr(tutils, name).__name__
    assert eutils._reverse_repeat_tuple((1, 2, 3), 2) == tutils._reverse_repeat_tuple((1, 2, 3), 2)
    assert eutils._list_with_default([None, 3], [1, 7, 8]) == tutils._list_with_default(
        [None, 3], [1, 7, 8])
    assert eutils._list_with_default(5, [1]) == tutils._list_with_default(5, [1])
    with pytest.raises(ValueError) as te:
        tutils._list_with_default([1, 2], [3])
    with pytest.raises(ValueError) as ee:
        eutils._list_with_default([1, 2], [3])
    assert str(ee.value) == str(te.value)
    sd = OrderedDict([("module.a", 1), ("module.b.c", 2), ("d", 3)])
    sd._metadata = OrderedDict([("", {}), ("module", {}), ("module.b", {})])
    esd = OrderedDict(sd)
    esd._metadata = OrderedDict(sd._metadata)
    tutils.consume_prefix_in_state_dict_if_present(sd, "module.")
    eutils.consume_prefix_in_state_dict_if_present(esd, "module.")
    assert list(esd.items()) == list(sd.items())
    assert list(esd._metadata.items()) == list(sd._metadata.items())
    assert eutils.__all__ == tutils.__all__


def _model(nn):
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.GroupNorm(2, 4), nn.ZeroPad2d(1),
        nn.InstanceNorm2d(4, affine=True), nn.PixelShuffle(2), nn.PixelUnshuffle(2),
        nn.Flatten(2), nn.Dropout(0.0))


def _seq_model(nn):
    return nn.ModuleDict({
        "emb": nn.Embedding(10, 8), "mha": nn.MultiheadAttention(8, 2),
        "enc": nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0),
        "lstm": nn.LSTM(8, 6, num_layers=2, bidirectional=True), "norm": nn.LayerNorm(12),
        "head": nn.Linear(12, 3)})


def _seq_forward(m, lib, tokens):
    x = m["emb"](tokens)
    x = m["mha"](x, x, x)[0]
    x = m["enc"](x)
    x = m["lstm"](x)[0]
    return m["head"](m["norm"](x))


def _globals(raw):
    """The GLOBAL names the pickle inside a zip checkpoint refers to."""
    import zipfile
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("data.pkl")))
    return {arg.replace(" ", ".") for op, arg, _ in pickletools.genops(data)
            if op.name == "GLOBAL"}


@requires_torch
def test_ember_whole_model_loads_in_torch_as_torch_modules():
    ember.manual_seed(0)
    em = _model(ember.nn).eval()
    es = _seq_model(ember.nn).eval()
    buf = io.BytesIO()
    ember.save({"conv": em, "seq": es}, buf)
    names = _globals(buf.getvalue())
    assert "torch.nn.modules.normalization.GroupNorm" in names
    assert "torch.nn.modules.activation.MultiheadAttention" in names
    assert "torch.nn.modules.linear.NonDynamicallyQuantizableLinear" in names
    assert "torch.nn.functional.relu" in names
    assert not [n for n in names if n.startswith("ember")]
    buf.seek(0)
    got = torch.load(buf, weights_only=False)
    tm, ts = got["conv"], got["seq"]
    assert type(tm[3]) is torch.nn.GroupNorm and type(ts["lstm"]) is torch.nn.LSTM
    assert repr(tm) == repr(em) and repr(ts) == repr(es)
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    tokens = np.random.default_rng(1).integers(0, 10, (5, 2))
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(tm(torch.from_numpy(x)).numpy(),
                                   em(ember.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_seq_forward(ts, torch, torch.from_numpy(tokens)).numpy(),
                                   _seq_forward(es, ember, ember.from_numpy(tokens)).numpy(),
                                   rtol=1e-5, atol=1e-5)


@requires_torch
def test_torch_whole_model_loads_in_ember():
    torch.manual_seed(0)
    tm = _model(torch.nn).eval()
    ts = _seq_model(torch.nn).eval()
    buf = io.BytesIO()
    torch.save({"conv": tm, "seq": ts}, buf)
    buf.seek(0)
    got = ember.load(buf, weights_only=False)
    em, es = got["conv"], got["seq"]
    assert type(em[5]) is ember.nn.InstanceNorm2d and type(es["lstm"]) is ember.nn.LSTM
    assert type(es["mha"].out_proj).__module__ == "ember.nn.modules.linear"
    assert repr(em) == repr(tm) and repr(es) == repr(ts)
    x = np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32)
    tokens = np.random.default_rng(1).integers(0, 10, (5, 2))
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(em(ember.from_numpy(x)).numpy(),
                                   tm(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_seq_forward(es, ember, ember.from_numpy(tokens)).numpy(),
                                   _seq_forward(ts, torch, torch.from_numpy(tokens)).numpy(),
                                   rtol=1e-5, atol=1e-5)
    # and back again: ember re-saves what it loaded, torch reads it
    out = io.BytesIO()
    ember.save(es, out)
    out.seek(0)
    again = torch.load(out, weights_only=False)
    assert type(again["lstm"]) is torch.nn.LSTM
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(_seq_forward(again, torch, torch.from_numpy(tokens)).numpy(),
                                   _seq_forward(ts, torch, torch.from_numpy(tokens)).numpy(),
                                   rtol=1e-6, atol=1e-6)


def test_ember_only_names_keep_ember_path():
    """A class outside ember.nn's mirrored files keeps its own name in the pickle."""
    from ember.nn.modules import torch_global_name
    assert torch_global_name(ember.nn.Linear) == ("torch.nn.modules.linear", "Linear")
    assert torch_global_name(ember.nn.functional.relu) == ("torch.nn.functional", "relu")
    assert torch_global_name(ember.nn.modules.batchnorm._NormBase) is None
    assert torch_global_name(ember.Tensor) is None
    assert torch_global_name(np.float32) is None
