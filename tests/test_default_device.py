"""torch.set_default_device / get_default_device / `with torch.device(...)`: every factory
function honours the default device exactly where torch 2.13 does (tensor() too, from_numpy and
the legacy constructors not, *_like and new_* keep their input's device), and nn layers built
under it get their parameters there. Each expression runs in torch and ember under a meta
default; the device type, shape and dtype of the results must be equal."""

import numpy as np
import pytest

import ember
from oracle import torch


def _describe(r):
    if isinstance(r, (tuple, list)):
        return [_describe(v) for v in r]
    if hasattr(r, "device") and hasattr(r, "shape"):
        return (r.device.type, tuple(r.shape), str(r.dtype).split(".")[-1])
    return repr(r)


def outcome(lib, expr, default="meta", how="set"):
    names = {"T": lib, "np": np, "cpu1": lib.ones(2, device="cpu")}
    try:
        if how == "set":
            lib.set_default_device(default)
            try:
                return _describe(eval(expr, names))
            finally:
                lib.set_default_device(None)
        with lib.device(default):
            return _describe(eval(expr, names))
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return ("error", type(e).__name__, str(e))


FACTORIES = [
    "T.zeros(2)", "T.ones(2, 3)", "T.empty(2)", "T.full((2,), 3.0)", "T.tensor([1.0, 2.0])",
    "T.tensor(3)", "T.as_tensor([1.0, 2.0])", "T.as_tensor(np.ones(2))",
    "T.as_tensor(cpu1)", "T.asarray([1, 2])", "T.from_numpy(np.ones(2))", "T.arange(3)",
    "T.arange(0, 1, 0.25)", "T.range(0, 3)", "T.linspace(0, 1, 3)", "T.logspace(0, 1, 3)",
    "T.eye(2)", "T.eye(2, 3)", "T.empty_strided((2, 2), (1, 2))", "T.tril_indices(3, 3)",
    "T.triu_indices(3, 3)", "T.rand(2)", "T.randn(2, 3)", "T.randint(3, (2,))",
    "T.randint(1, 3, (2,))", "T.randperm(3)", "T.rand(2, generator=T.Generator())",
    "T.normal(0.0, 1.0, (2,))", "T.zeros_like(cpu1)", "T.ones_like(cpu1)",
    "T.empty_like(cpu1)", "T.full_like(cpu1, 2)", "T.rand_like(cpu1)", "T.randn_like(cpu1)",
    "T.randint_like(cpu1, 3)", "cpu1.new_zeros(3)", "cpu1.new_ones(3)", "cpu1.new_empty(3)",
    "cpu1.new_full((3,), 1.0)", "cpu1.new_tensor([1.0])", "T.Tensor([1.0])",
    "T.FloatTensor([1.0])", "T.LongTensor(2)", "T.bernoulli(T.full((2,), 0.5, device='cpu'))",
    "T.complex(cpu1, cpu1)", "T.polar(cpu1, cpu1)", "cpu1 + 1",
    "T.meshgrid(cpu1, cpu1, indexing='ij')", "T.zeros(2, device='cpu')",
    "T.tensor([1.0], device='cpu')", "T.empty(2, dtype=T.int64)", "T.zeros(0)",
    "T.nn.Linear(2, 3).weight", "T.nn.Linear(2, 3).bias", "T.nn.Conv2d(1, 2, 3).weight",
    "T.nn.BatchNorm1d(3).running_mean", "T.nn.BatchNorm1d(3).num_batches_tracked",
    "T.nn.Embedding(4, 2).weight", "T.nn.LayerNorm(3).weight", "T.nn.LSTM(2, 3).weight_ih_l0",
    "T.nn.MultiheadAttention(4, 2).in_proj_weight", "T.get_default_device()",
]


@pytest.mark.parametrize("expr", FACTORIES)
def test_meta_default(expr):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    assert outcome(ember, expr) == outcome(torch, expr)


@pytest.mark.parametrize("expr", ["T.zeros(2)", "T.tensor([1.0])", "T.randn(2)",
                                  "T.nn.Linear(2, 3).weight", "T.get_default_device()",
                                  "T.arange(3)"])
@pytest.mark.parametrize("how", ["set", "with"])
@pytest.mark.parametrize("default", ["meta", "cpu", "cuda", "cuda:1"])
def test_defaults(expr, how, default):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    if ember.cuda.is_available() and default.startswith("cuda"):
        pytest.skip("a GPU is present")
    assert outcome(ember, expr, default, how) == outcome(torch, expr, default, how)


def test_nesting_and_reset():
    """`with device` blocks stack above set_default_device's device; None resets it."""
    seen = []
    for lib in [ember] + ([torch] if torch is not None else []):
        got = [str(lib.get_default_device())]
        lib.set_default_device("meta")
        got.append(str(lib.get_default_device()))
        with lib.device("cpu"):
            got.append(str(lib.get_default_device()) + str(lib.zeros(1).device))
            with lib.device("meta"):
                got.append(str(lib.zeros(1).device))
            got.append(str(lib.zeros(1).device))
        got.append(str(lib.zeros(1).device))
        lib.set_default_device(None)
        got.append(str(lib.get_default_device()) + str(lib.zeros(1).device))
        seen.append(got)
    assert seen[0] == ["cpu", "meta", "cpucpu", "meta", "cpu", "meta", "cpucpu"]
    if torch is not None:
        assert seen[0] == seen[1]


@pytest.mark.parametrize("expr", ["T.set_default_device('foo')", "T.set_default_device(3)",
                                  "T.device(3)", "T.set_default_device(T.device('meta'))"])
def test_errors(expr):
    if torch is None:
        pytest.skip("torch (the oracle) is not installed")
    if ember.cuda.is_available():
        pytest.skip("a GPU is present")
    got, want = outcome(ember, expr, "cpu"), outcome(torch, expr, "cpu")
    ember.set_default_device(None)
    torch.set_default_device(None)
    assert got == want


def test_no_default_costs_one_check():
    """Without a default device the factories see an empty list (the cheap common case)."""
    from ember import _device
    assert _device._default == []
    ember.set_default_device("cpu")
    assert _device._default == [ember.device("cpu")]
    ember.set_default_device(None)
    assert _device._default == []


def test_model_under_meta_then_to_empty():
    """`with torch.device('meta')` builds a model without data; to_empty gives it memory."""
    with ember.device("meta"):
        model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(),
                                    ember.nn.Linear(3, 2))
    assert all(p.device.type == "meta" for p in model.parameters())
    model.to_empty(device="cpu")
    assert all(p.device.type == "cpu" for p in model.parameters())
    out = model(ember.ones(1, 4))
    assert out.shape == (1, 2) and out.device.type == "cpu"


def test_meta_draws_leave_the_generator_alone():
    """A random tensor on meta draws nothing: the CPU stream continues as if it had not been
    made (torch's meta kernels draw nothing either)."""
    results = []
    for lib in [ember] + ([torch] if torch is not None else []):
        lib.manual_seed(0)
        with lib.device("meta"):
            lib.randn(5)
            lib.rand(3, device="meta")
            lib.randint(4, (2,))
        results.append(lib.rand(3).tolist())
    ember.manual_seed(0)
    assert results[0] == ember.rand(3).tolist()
    if torch is not None:
        assert results[0] == results[1]


# ---------------------------------------------------------------- every device type torch names
_KINDS = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
          "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
# torch's factory error for opengl/opencl/ideep/mkldnn is an internal assert naming its source
# file; ember gives the RuntimeError its .to() gives. torch's dispatcher message is cut after
# its first sentences (the rest lists the backends of torch's build).
_ASSERTED = ("mkldnn", "opengl", "opencl", "ideep")


def _device_outcomes(L, kind):
    out = []
    for i, f in enumerate((lambda: L.zeros(1, device=kind), lambda: L.zeros(1).to(kind),
                           lambda: str(L.device(kind, 1)), lambda: L.tensor([1.0], device=kind),
                           lambda: L.nn.Linear(1, 1).to(kind),
                           lambda: L.empty(2, device=L.device(kind)))):
        try:
            r = f()
            out.append(r if isinstance(r, str) else "ok")
        except Exception as e:  # noqa: BLE001  the outcome is compared
            text = str(e)
            if text.startswith("Could not run"):
                text = text[:text.index("(if using custom build).") + 24]
            if kind in _ASSERTED and text.startswith("0 INTERNAL ASSERT"):
                text = f"PyTorch is not linked with support for {kind} devices"
            out.append((type(e).__name__, text))
    return out


@pytest.mark.parametrize("kind", _KINDS)
def test_every_torch_device_type_is_named_and_refused_as_torch(kind):
    import warnings
    if kind == "cuda" and ember.cuda.is_available():
        pytest.skip("a GPU is available")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mkldnn's deprecation (checked below)
        got = _device_outcomes(ember, kind)
        if torch is None:
            pytest.skip("torch (the oracle) is not installed")
        assert got == _device_outcomes(torch, kind)


def test_mkldnn_device_warns_once_as_torch(monkeypatch):
    import warnings

    from ember import _device
    monkeypatch.setattr(_device, "_mkldnn_warned", [False])  # torch warns once per process
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.device("mkldnn")
        ember.device("mkldnn")
        ember.amp.is_autocast_available("mkldnn")
    assert [str(x.message).split(" (Triggered")[0] for x in w] == [
        "'mkldnn' is no longer used as device type. So torch.device('mkldnn') will be deprecated "
        "and removed in the future. Please use other valid device types instead."]
    assert w[0].filename == __file__
