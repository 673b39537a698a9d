"""Tensors and operations on cuda, against torch (on its cuda when it has one, else its cpu).

Every test takes the `cuda` fixture (tests/cuda_devices.py): it runs once on "cuda-fake", the
strict CuPy stand-in of tests/fake_cupy.py (NumPy underneath, but no implicit host conversion
and no mixing with NumPy arrays, as CuPy), and once on a real GPU, skipped where there is none.
Ember's inputs are made on cuda, its outputs and gradients must stay there, and they are brought
back with .cpu() to be compared with torch's.
"""

import numpy as np
import pytest

import ember
from cuda_devices import TORCH_DEVICE, cuda  # noqa: F401 - the fixture
from oracle import arr, check, torch

pytestmark = pytest.mark.usefixtures("cuda")


def on(fn, *inputs, **kw):
    """check() with ember on cuda and torch on TORCH_DEVICE."""
    return check(fn, *inputs, device="cuda", torch_device=TORCH_DEVICE, **kw)


def test_creation_with_device():
    for make in (lambda: ember.zeros(2, 3, device="cuda"), lambda: ember.ones(4, device="cuda"),
                 lambda: ember.full((2, 2), 1.5, device="cuda"),
                 lambda: ember.arange(5, device="cuda"),
                 lambda: ember.tensor([[1.0, 2.0]], device="cuda"),
                 lambda: ember.empty(3, device="cuda"), lambda: ember.eye(3, device="cuda"),
                 lambda: ember.linspace(0, 1, 5, device="cuda"),
                 lambda: ember.randn(3, 4, device="cuda"),
                 lambda: ember.zeros_like(ember.ones(2, device="cuda"))):
        t = make()
        assert t.device == ember.device("cuda", 0), make
        assert t.is_cuda
    assert ember.arange(5, device="cuda").cpu().tolist() == [0, 1, 2, 3, 4]
    assert ember.eye(2, device="cuda").sum().item() == 2.0


def test_to_cuda_cpu_round_trip():
    a = arr((3, 4))
    t = ember.from_numpy(a.copy())
    c = t.to("cuda")
    assert c.device.type == "cuda" and str(c.device) == "cuda:0" and t.device.type == "cpu"
    assert t.cuda().device == c.device and c.cuda() is c and c.to("cuda") is c
    back = c.cpu()
    assert back.device.type == "cpu" and np.array_equal(back.numpy(), a)
    assert c.to(ember.float64).device == c.device and c.double().dtype is ember.float64
    assert c.to("cpu", ember.float16).dtype is ember.float16
    m = ember.nn.Linear(3, 2).to("cuda")
    assert all(p.device.type == "cuda" for p in m.parameters())
    assert m.cpu().weight.device.type == "cpu"


def test_mixing_devices_and_numpy_errors():
    c = ember.ones(2, 2, device="cuda")
    h = ember.ones(2, 2)
    for f in (lambda: c + h, lambda: h * c, lambda: c @ h):
        with pytest.raises(RuntimeError, match="^Expected all tensors to be on the same device"):
            f()
    assert (c + ember.tensor(2.0)).device == c.device  # a 0-d cpu tensor is a scalar (torch)
    with pytest.raises(TypeError) as e:
        c.numpy()
    assert str(e.value) == ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() "
                            "to copy the tensor to host memory first.")
    assert c.cpu().numpy().sum() == 4


@pytest.mark.parametrize("name,fn", [
    ("add", lambda L, x, y: x + y * 2 - 1),
    ("div_pow", lambda L, x, y: x / (y.abs() + 1) ** 2),
    ("unary", lambda L, x, y: (x.exp() + y.tanh() + x.sigmoid() + x.relu() + x.abs().sqrt())),
    ("log_softmax", lambda L, x, y: L.log_softmax(x, dim=1) + L.softmax(y, dim=0)),
    ("where", lambda L, x, y: L.where(x > y, x, y * 3)),
    ("clamp", lambda L, x, y: x.clamp(-1, 1) * y.clamp(min=0)),
    ("max_min", lambda L, x, y: L.maximum(x, y) - L.minimum(x, y)),
])
def test_elementwise(name, fn):
    on(fn, arr((3, 4)), arr((3, 4), seed=1))


@pytest.mark.parametrize("name,fn", [
    ("sum", lambda L, x: (x.sum(), x.sum(1), x.sum((0, 2), keepdim=True))),
    ("mean", lambda L, x: (x.mean(), x.mean(0))),
    ("var_std", lambda L, x: (x.var(1), x.std())),
    ("max", lambda L, x: (x.max(), x.max(1)[0], x.amax(2), x.argmax(1))),
    ("prod_norm", lambda L, x: (x.prod(2), x.norm(), x.logsumexp(1))),
    ("cumsum", lambda L, x: x.cumsum(1)),
])
def test_reductions(name, fn):
    on(fn, arr((2, 3, 4)))


@pytest.mark.parametrize("name,fn,shapes", [
    ("matmul", lambda L, a, b: a @ b, [(3, 4), (4, 5)]),
    ("bmm", lambda L, a, b: L.bmm(a, b), [(2, 3, 4), (2, 4, 5)]),
    ("mv", lambda L, a, b: a @ b[:, 0], [(3, 4), (4, 2)]),
    ("addmm", lambda L, a, b: L.addmm(b[0], a, b), [(4, 4), (4, 4)]),
])
def test_matmul(name, fn, shapes):
    on(fn, *[arr(s, seed=i) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("name,fn", [
    ("slice", lambda L, x: x[1:, ::2]),
    ("int_index", lambda L, x: x[L.tensor([0, 2, 2], device=x.device)]),
    ("bool_mask", lambda L, x: x[x > 0]),
    ("view", lambda L, x: x.view(4, 3).t().reshape(-1)),
    ("permute", lambda L, x: x.unsqueeze(0).permute(2, 0, 1).squeeze(1).contiguous()),
    ("cat_stack", lambda L, x: (L.cat([x, x * 2], 1), L.stack([x, x], 0))),
    ("gather", lambda L, x: x.gather(1, L.tensor([[0, 1], [2, 2], [3, 0]], device=x.device))),
    ("index_select", lambda L, x: x.index_select(0, L.tensor([2, 0], device=x.device))),
    ("expand", lambda L, x: x[:, :1].expand(3, 5) * 1),
    ("chunk", lambda L, x: x.chunk(2, 1)),
])
def test_indexing_and_views(name, fn):
    on(fn, arr((3, 4)))


def test_setitem_and_inplace():
    def f(L, x):
        y = x * 1
        y[0] = 5.0
        y[1, 1:] += 1.0
        y[y < 0] = 0.0
        y.mul_(2).add_(1)
        return y
    on(f, arr((3, 4)))


def test_autograd_backward():
    x = ember.tensor(arr((3, 4)), device="cuda", requires_grad=True)
    w = ember.tensor(arr((4, 2), seed=1), device="cuda", requires_grad=True)
    loss = ((x @ w).tanh() ** 2).mean()
    loss.backward()
    assert x.grad.device.type == "cuda" and w.grad.device.type == "cuda"
    if torch is not None:
        tx = torch.tensor(arr((3, 4)), requires_grad=True)
        tw = torch.tensor(arr((4, 2), seed=1), requires_grad=True)
        ((tx @ tw).tanh() ** 2).mean().backward()
        np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w.grad.cpu().numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_random_on_cuda():
    ember.manual_seed(0)
    a = ember.rand(1000, device="cuda")
    d = ember.nn.functional.dropout(ember.ones(1000, device="cuda"), 0.5)
    assert a.device.type == "cuda" and d.device.type == "cuda"
    assert 0.4 < a.mean().item() < 0.6
    assert set(np.unique(d.cpu().numpy())) <= {0.0, 2.0}
    assert 0 < ember.randint(0, 10, (50,), device="cuda").cpu().numpy().max() < 10


def test_cuda_api():
    assert ember.cuda.is_available() and ember.cuda.device_count() >= 1
    assert ember.cuda.current_device() == 0
    assert isinstance(ember.cuda.get_device_name(), str) and ember.cuda.get_device_name()
    p = ember.cuda.get_device_properties(0)
    assert p.total_memory > 0 and p.major >= 1
    ember.cuda.synchronize()
    ember.cuda.manual_seed(0)
    ember.cuda.manual_seed_all(0)
    ember.cuda.set_device(0)
    before = ember.cuda.memory_allocated()
    x = ember.empty(1 << 20, device="cuda")
    assert ember.cuda.memory_allocated() >= before + x.numel() * 4 - (1 << 12)
    del x
    ember.cuda.empty_cache()
    assert ember.get_default_device().type == "cpu"
    with ember.device("cuda"):
        assert ember.zeros(2).device == ember.device("cuda", 0)
    assert ember.accelerator.is_available()
    assert ember.accelerator.current_accelerator().type == "cuda"


F = lambda L: L.nn.functional  # noqa: E731
MORE = {
    "sort_topk": lambda L, x: (x.sort(1)[0], x.topk(2, 1)[0], x.argsort(1)),
    "flip_roll": lambda L, x: (x.flip(0), x.roll(1, 1), x.tril(), x.triu(1)),
    "repeat_pad": lambda L, x: (x.repeat(2, 1), x.tile((2,)), F(L).pad(x, (1, 2))),
    "activations": lambda L, x: (F(L).softplus(x), F(L).gelu(x), F(L).silu(x), F(L).elu(x),
                                 F(L).leaky_relu(x, 0.1), F(L).hardtanh(x), F(L).softmin(x, 1)),
    "norms": lambda L, x: (F(L).normalize(x), F(L).layer_norm(x, (4,)), L.linalg.norm(x, dim=1)),
    "losses": lambda L, x: (F(L).mse_loss(x, x * 0.5), F(L).l1_loss(x, x * 0.5),
                            F(L).smooth_l1_loss(x, x * 0.5),
                            F(L).binary_cross_entropy_with_logits(x, (x > 0).float()),
                            F(L).kl_div(x.log_softmax(1), x.softmax(1), reduction="batchmean")),
    "masks": lambda L, x: ((x > 0).nonzero(), x.masked_fill(x > 0, 0.0), x.masked_select(x > 0),
                           L.where(x > 0), (x > 0).any(), (x > 0).all(1)),
    "index_add_scatter": lambda L, x: (
        x.index_add(0, L.tensor([0, 0, 2], device=x.device), x),
        L.zeros(3, 4, device=x.device).scatter(1, L.tensor([[0], [1], [2]], device=x.device),
                                               x[:, :1]),
        L.zeros(3, 4, device=x.device).scatter_add(
            1, L.tensor([[0, 0], [1, 1], [2, 2]], device=x.device), x[:, :2]),
        x.take(L.tensor([0, 5], device=x.device))),
    "embedding_one_hot": lambda L, x: (F(L).embedding(L.tensor([0, 2, 2], device=x.device), x),
                                       F(L).one_hot(L.tensor([0, 2, 1], device=x.device), 4)),
    "linalg": lambda L, x: (L.einsum("ij,kj->ik", x, x), L.outer(x[0], x[1]), x.diag(),
                            x.trace(), L.linalg.det(x[:, :3]),
                            L.linalg.inv(x[:, :3] + 3 * L.eye(3, device=x.device)),
                            L.cdist(x, x)),
    "scans_stats": lambda L, x: (x.cumprod(1), x.median(1)[0], L.std_mean(x, 1), L.aminmax(x)),
    "rounding": lambda L, x: (x.sign() * x.floor() + x.ceil() + x.trunc() + x.frac(),
                              x.fmod(0.7) + x.remainder(0.7), x.abs().pow(1.5) + 2 ** x,
                              L.atan2(x, x.flip(0)), L.lerp(x, x * 2, 0.3), x.isnan(),
                              (x / 0).nan_to_num()),
    "split_views": lambda L, x: (x.split([1, 3], 1), x.unbind(0), x.narrow(1, 1, 2),
                                 x.unfold(1, 2, 1), L.meshgrid(x[0], x[1], indexing="ij")),
    "pools": lambda L, x: (F(L).avg_pool2d(x[None, None], 2),
                           F(L).adaptive_avg_pool2d(x[None, None], (2, 2)),
                           F(L).max_pool2d(x[None, None], 2, return_indices=True),
                           F(L).interpolate(x[None, None], scale_factor=2)),
    "host_kernels": lambda L, x: ((x > 0).long().unique(return_counts=True),
                                  L.searchsorted(x[0].sort()[0], x[1]), x.round().mode(1),
                                  x.quantile(0.3), x.quantile(L.tensor([0.2, 0.9],
                                                                       device=x.device), 1)),
    "dtypes": lambda L, x: (x.half().float(), x.long(), x.bool(), x.int().double(),
                            L.histc(x, 4), L.bincount(L.tensor([0, 1, 1, 3], device=x.device))),
}


@pytest.mark.parametrize("name", list(MORE))
def test_more_ops(name):
    on(MORE[name], arr((3, 4)), fd=False)
