"""cross products as torch's kernel computes them: each component fma(a_j, b_k, -(a_k b_j))
(float32 / float64), gradients by cross products (LinalgCrossBackward0); torch's refusals of
inputs with different numbers of dimensions or dtypes."""

import warnings

import numpy as np
import pytest
from tests.oracle import requires_torch, torch

import ember


@requires_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_gradients_and_node(dtype):
    rng = np.random.default_rng(0)
    for it in range(40):
        sa = (int(rng.integers(1, 20)), 3, int(rng.integers(1, 5)))
        sb = sa if it % 2 else (1, 3, sa[2])
        a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
        g = rng.standard_normal(np.broadcast_shapes(sa, sb)).astype(dtype)
        res = []
        for lib in (ember, torch):
            aa, bb = (lib.from_numpy(v.copy()).requires_grad_() for v in (a, b))
            r = lib.linalg.cross(aa, bb, dim=1)
            r.backward(lib.from_numpy(g))
            res.append((r.detach().numpy(), aa.grad.numpy(), bb.grad.numpy(), r.grad_fn.name()))
        for e, t in zip(res[0][:3], res[1][:3]):
            assert e.shape == t.shape and e.tobytes() == t.tobytes()
        assert res[0][3] == res[1][3] == "LinalgCrossBackward0"


@requires_torch
def test_refusals_as_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib_call in (lambda lib: lib.cross(lib.ones(3), lib.ones(3, dtype=lib.float64), dim=0),
                         lambda lib: lib.cross(lib.ones(2, 3), lib.ones(3), dim=1),
                         lambda lib: lib.linalg.cross(lib.ones(2, 3), lib.ones(3))):
            errs = []
            for lib in (ember, torch):
                with pytest.raises(RuntimeError) as info:
                    lib_call(lib)
                errs.append(str(info.value))
            assert errs[0] == errs[1]


def test_integer_and_complex_keep_the_plain_formula():
    r = ember.linalg.cross(ember.tensor([1, 2, 3]), ember.tensor([4, 5, 6]))
    assert r.tolist() == [2 * 6 - 3 * 5, 3 * 4 - 1 * 6, 1 * 5 - 2 * 4]
    c = ember.linalg.cross(ember.tensor([1 + 2j, 2, 3]), ember.tensor([4, 5j, 6]))
    a, b = np.array([1 + 2j, 2, 3]), np.array([4, 5j, 6])
    np.testing.assert_allclose(c.numpy(), np.cross(a, b))
