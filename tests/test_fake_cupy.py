"""tests/fake_cupy.py, the CuPy stand-in of the device tests, refuses what CuPy refuses (so
those tests can fail) and computes what CuPy computes."""

import numpy as np
import pytest

import ember
from cuda_devices import fake_cuda  # noqa: F401 - the fixture


def test_stand_in_is_strict(fake_cuda):  # noqa: F811 - the fixture
    """The stand-in refuses what CuPy refuses, so the tests above can fail."""
    cp = fake_cuda
    a = cp.asarray(np.arange(4.0))  # host -> device, as CuPy
    assert not isinstance(a, np.ndarray) and a.device.id == 0
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        a + np.ones(4)
    with pytest.raises(TypeError, match="Unsupported type"):
        cp.concatenate([a, np.ones(2)])
    with pytest.raises(TypeError):
        np.add.at(a, [0, 0], 1.0)  # scatter-add goes through cupyx.scatter_add
    assert type(np.exp(a)) is cp.ndarray and type(np.concatenate([a, a])) is cp.ndarray
    assert type(a.sum()) is cp.ndarray and a.sum().ndim == 0  # 0-d arrays, not scalars
    v = a[1:]
    v += 1
    assert a.get().tolist() == [0.0, 2.0, 3.0, 4.0]  # views share memory
    cp.cupyx.scatter_add(a, cp.asarray(np.array([0, 0])), 1.0)
    assert a.get()[0] == 2.0
    t = ember.ones(3, device="cuda")
    assert type(t._data) is cp.ndarray



def test_stand_in_refuses_numpy_only_keywords(fake_cuda):  # noqa: F811 - the fixture
    a = fake_cuda.asarray(np.arange(4.0))
    with pytest.raises(TypeError, match="initial"):
        a.max(initial=0.0)
    with pytest.raises(TypeError, match="where"):
        fake_cuda.sum(a, where=a > 1)
    out = fake_cuda.zeros(4)
    fake_cuda.copyto(out, a, where=a > 1)  # CuPy's copyto takes where=
    assert out.get().tolist() == [0.0, 0.0, 2.0, 3.0]
