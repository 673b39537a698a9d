"""A first end-to-end pass over the core with the oracle (the families get their own files)."""

import pytest

from oracle import arr, check, check_error


@pytest.mark.parametrize("noncontig", [False, True])
def test_mlp_like_chain(noncontig):
    check(lambda L, x, w, b: ((x @ w + b).relu() * 2).sum(1).exp(),
          arr((4, 5), noncontig=noncontig), arr((5, 3), seed=1), arr((3,), seed=2))


def test_mm_shape_error():
    check_error(lambda L, a, b: L.mm(a, b), arr((1, 5)), arr((1, 5)))


def test_broadcast_error():
    check_error(lambda L, a, b: a + b, arr((2, 3)), arr((4,)))
