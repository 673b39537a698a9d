"""nn.init against torch: same seed, same numbers (uniform-based initialisers bit for bit, the
normal and erfinv/QR-based ones to float32 rounding), fans, gains and errors."""

import math

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401
from oracle import check_error, requires_torch, torch


def both(fn, shape, exact=True, rtol=1e-5):
    torch.manual_seed(5)
    t = torch.empty(shape)
    fn(torch, t)
    ember.manual_seed(5)
    e = ember.empty(shape)
    fn(ember, e)
    if exact:
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    else:
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=1e-6)
    assert ember.rand(1).item() == torch.rand(1).item()  # same amount drawn


@requires_torch
@pytest.mark.parametrize("name,kw", [
    ("uniform_", {"a": -0.3, "b": 0.7}), ("xavier_uniform_", {"gain": 2.0}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("normal_", {"mean": 1.0, "std": 0.5}), ("xavier_normal_", {}),
    ("kaiming_normal_", {"nonlinearity": "tanh"}), ("constant_", {"val": 0.3}),
    ("ones_", {}), ("zeros_", {}),
])
@pytest.mark.parametrize("shape", [(20, 30), (4, 3, 5, 5)])
def test_init_exact(name, kw, shape):
    both(lambda L, t: getattr(L.nn.init, name)(t, **kw), shape)


@requires_torch
def test_init_close():
    both(lambda L, t: L.nn.init.trunc_normal_(t, 0.5, 2.0, -1.0, 3.0), (30, 40), exact=False)
    both(lambda L, t: L.nn.init.trunc_normal_(t, 0.0, 1.0, 0.5, 3.0), (30, 40), exact=False)
    both(lambda L, t: L.nn.init.trunc_normal_(t, std=0.02), (7, 9), exact=False)
    both(lambda L, t: L.nn.init.orthogonal_(t, gain=2.0), (6, 10), exact=False, rtol=1e-4)
    both(lambda L, t: L.nn.init.orthogonal_(t), (10, 6), exact=False, rtol=1e-4)
    both(lambda L, t: L.nn.init.sparse_(t, 0.3, 0.2), (10, 6))
    both(lambda L, t: L.nn.init.eye_(t), (3, 5))
    both(lambda L, t: L.nn.init.dirac_(t, 2), (4, 3, 3, 3))


@requires_torch
def test_init_generator_and_grad_mode():
    g1, g2 = ember.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    e = ember.nn.init.uniform_(ember.empty(5), generator=g1)
    t = torch.nn.init.uniform_(torch.empty(5), generator=g2)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    p = ember.nn.Parameter(ember.empty(3, 3))
    ember.nn.init.kaiming_uniform_(p)  # leaf requiring grad: allowed under no_grad
    assert p.requires_grad and p.grad_fn is None


@requires_torch
def test_gain_and_fans():
    for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("selu",),
                 ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 1)]:
        assert ember.nn.init.calculate_gain(*args) == torch.nn.init.calculate_gain(*args)
    for shape in [(3, 4), (5, 2, 3, 3), (2, 7, 4)]:
        assert ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("case", [
    lambda L: L.nn.init.calculate_gain("foo"),
    lambda L: L.nn.init.calculate_gain("leaky_relu", True),
    lambda L: L.nn.init.xavier_uniform_(L.empty(3)),
    lambda L: L.nn.init.kaiming_uniform_(L.empty(3, 3), mode="fan_mid"),
    lambda L: L.nn.init.eye_(L.empty(3)),
    lambda L: L.nn.init.dirac_(L.empty(3, 3)),
    lambda L: L.nn.init.orthogonal_(L.empty(3)),
])
def test_init_errors(case):
    check_error(lambda L: case(L))


@requires_torch
@pytest.mark.parametrize("make", [
    lambda L: L.nn.Linear(700, 130),  # 91,000 weights: several of ember's draw chunks
    lambda L: L.nn.Conv2d(16, 40, 5),
    lambda L: L.nn.Linear(3, 5, dtype=L.float64),
])
def test_layer_init_matches_torch_across_chunks(make):
    """Layer construction (kaiming_uniform_ then the bias uniform_) draws torch's values bit for
    bit however large the weight, and leaves the generator where torch's is."""
    torch.manual_seed(11)
    t = make(torch)
    ember.manual_seed(11)
    e = make(ember)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(pe.detach().numpy(), pt.detach().numpy(), err_msg=name)
    assert ember.get_rng_state().numpy().tobytes() == torch.get_rng_state().numpy().tobytes()


@requires_torch
@pytest.mark.parametrize("name,kw", [("normal_", {"mean": 0.5, "std": 0.02}),
                                     ("xavier_normal_", {"gain": 0.7}),
                                     ("kaiming_normal_", {"mode": "fan_out"}),
                                     ("trunc_normal_", {"std": 0.02})])
def test_normal_inits_match_torch_on_large_tensors(name, kw):
    both(lambda L, t: getattr(L.nn.init, name)(t, **kw), (300, 257))
