"""nn with bad input, against torch: the same exception type and text, or the same result
(values, dtype, shape, gradients) and the same warnings, for F.pad's crops and border modes,
the losses' dtype and shape rules, activations of integer tensors, module hooks that hand back
the wrong thing, and index-taking ops with negative or out-of-range indices."""

import re
import warnings

import numpy as np
import pytest

import ember
from oracle import assert_same, check_error, requires_torch, torch


def _run(lib, fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out, err = fn(lib), None
        except Exception as e:  # noqa: BLE001 - compared with torch's
            out, err = None, e
    # torch's C++ warnings end with where they were raised: not part of the message
    return out, err, [re.sub(r" \(Triggered internally at .*\)$", "", str(m.message))
                      for m in w]


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def same_behaviour(fn, grad=True):
    """fn(lib) on torch and ember: the same error, or the same outputs, warnings and gradients
    of every input fn marks with requires_grad (through the outputs' sum)."""
    to, te, tw = _run(torch, fn)
    eo, ee, ew = _run(ember, fn)
    if te is not None or ee is not None:
        assert te is not None, f"ember raises {ee!r} where torch returns"
        assert ee is not None, f"torch raises {type(te).__name__}: {te}; ember does not"
        assert (type(ee).__name__, str(ee)) == (type(te).__name__, str(te))
        return
    assert ew == tw
    tf, ef = _flat(to), _flat(eo)
    assert len(tf) == len(ef)
    for i, (e, t) in enumerate(zip(ef, tf)):
        assert_same(e, t, what=f"output {i}")
    return to, eo


# ---------------------------------------------------------------- F.pad
def _z(L, *shape):
    return L.arange(float(np.prod(shape))).reshape(shape)


# (a circular pad wider than what its crop leaves makes torch copy between overlapping or
# unwritten memory: no defined result to compare, so not listed)
PADS = [
    ((2, 3), (-4, 0), "constant"), ((2, 3), (-3, 0), "constant"), ((2, 3), (-2, -2), "constant"),
    ((2, 3), (-2, -1), "constant"), ((2, 3), (0, 0, -3, 0), "constant"),
    ((2, 3), (-4, 1), "constant"), ((2, 3), (1, -5), "constant"), ((2, 3), (-2, 1), "constant"),
    ((2, 3, 4), (-1, 2), "circular"), ((2, 3, 4), (2, -1), "circular"),
    ((2, 3, 4), (5, 3), "circular"),
    ((2, 3, 4, 5), (-1, 2, 2, -2), "circular"),
    ((2, 3, 4), (-3, -2), "circular"), ((2, 3, 4), (-2, -2), "circular"),
    ((2, 3, 0), (1, 1), "circular"), ((2, 0, 4), (1, 1), "circular"),
    ((2, 3, 4), (4, 0), "reflect"), ((2, 3, 4, 5), (1, 1, 5, 0), "reflect"),
    ((2, 3, 4, 5), (5, 1, 5, 0), "reflect"), ((2, 3, 4, 5, 6), (1, 1, 6, 1, 4, 0), "reflect"),
    ((2, 3, 4), (-2, -2), "reflect"), ((2, 3, 4), (-3, 3), "reflect"),
    ((2, 3, 4), (-1, 2), "reflect"), ((2, 3, 0), (1, 1), "reflect"),
    ((2, 3, 4, 5), (-3, -2, 0, 0), "reflect"), ((2, 3, 4, 5), (0, 0, -3, -2), "reflect"),
    ((2, 3, 4, 5), (-3, -2, -3, -2), "reflect"), ((3, 4, 5), (-3, -3, -2, -2), "reflect"),
    ((2, 3, 4, 5, 6), (0, 0, -3, -3, 0, 0), "reflect"),
    ((2, 3, 4, 5, 6), (-3, -3, -3, -2, -2, -2), "reflect"),
    ((2, 3, 4), (-2, -2), "replicate"), ((2, 3, 4), (-5, 2), "replicate"),
    ((2, 3, 4), (7, 2), "replicate"), ((2, 0, 4), (1, 1), "replicate"),
    ((0, 3, 4), (1, 1), "replicate"), ((2, 3, 4, 5), (-3, -2, -3, -2), "replicate"),
    ((2, 3, 4, 5), (0, 0, -3, -2), "replicate"), ((2, 3, 4, 5, 6), (-4, -3, 0, 0, 0, 0),
                                                 "replicate"),
    ((3, 0, 4, 4), (1, 1, 1, 1, 1, 1), "replicate"),
]


@requires_torch
@pytest.mark.parametrize("shape,pad,mode", PADS, ids=str)
def test_pad_crops_and_borders(shape, pad, mode):
    def fn(L):
        x = _z(L, *shape).requires_grad_()
        y = L.nn.functional.pad(x, pad, mode=mode)
        (y * L.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y, x.grad
    same_behaviour(fn)


# ---------------------------------------------------------------- losses
def _loss_case(name, x, t, **kw):
    return name, x, t, kw


def _ones(L, spec):
    shape, dtype = spec
    return L.full(shape, 0.5).to(getattr(L, dtype))


LOSS_TARGETS = [((4, 3), "int64"), ((4, 3), "int32"), ((4, 3), "float64"), ((4, 3), "bool"),
                ((4, 1), "float32"), ((3,), "float32"), ((4, 2), "float32"),
                ((2, 4, 3), "float32"), ((4, 3), "float16")]
LOSS_INPUTS = [((4, 3), "float32"), ((4, 3), "float64"), ((4, 3), "int64"), ((4, 3), "bool")]
LOSSES = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
          "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "soft_margin_loss",
          "multilabel_soft_margin_loss"]


@requires_torch
@pytest.mark.parametrize("name", LOSSES)
def test_loss_dtypes_and_shapes(name):
    for xs in LOSS_INPUTS:
        for ts in LOSS_TARGETS + [((4, 3), "float32")]:
            def fn(L):
                x = _ones(L, xs)
                if x.is_floating_point():
                    x.requires_grad_()
                kw = {"reduction": "sum"} if name == "kl_div" else {}
                y = getattr(L.nn.functional, name)(x, _ones(L, ts), **kw)
                if not y.requires_grad:
                    return y
                y.backward()
                return y, x.grad
            same_behaviour(fn)


LOSS_ERRORS = [
    lambda L: L.nn.functional.binary_cross_entropy(
        L.full((4, 3), 0.5), L.ones(4, 3), weight=L.ones(2, 4, 3)),
    lambda L: L.nn.functional.binary_cross_entropy(
        L.full((4, 3), 0.5).double(), L.ones(4, 3).long(), weight=L.ones(3)),
    lambda L: L.nn.functional.binary_cross_entropy(L.full((4, 3), 1.5), L.ones(4, 3).long()),
    lambda L: L.nn.functional.binary_cross_entropy(
        L.full((4, 3), 0.5), L.ones(4, 3), weight=L.full((3,), 2.0).double()),
    lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.full((4, 3), 0.5), L.ones(4, 3), weight=L.full((3,), 2.0).double()),
    lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.full((4, 3), 0.5), L.ones(4, 3), pos_weight=L.ones(2, 4, 3)),
    lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        L.full((4, 3), 0.5), L.ones(4, 3), pos_weight=L.full((3,), 3).long()),
    lambda L: L.nn.functional.hinge_embedding_loss(L.full((4, 3), 0.5), L.ones(4, 2)),
    lambda L: L.nn.functional.cosine_embedding_loss(L.ones(4, 3), L.ones(4, 3), L.ones(3)),
    lambda L: L.nn.functional.cosine_embedding_loss(L.ones(4, 3), L.ones(4, 3), L.ones(4, 1)),
    lambda L: L.nn.functional.cosine_embedding_loss(L.ones(4, 3), L.ones(3), L.ones(4)),
    lambda L: L.nn.functional.cosine_embedding_loss(L.ones(3), L.ones(3), L.ones(4)),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.ones(3).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.ones(4)),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.ones(4, 1).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3).long(), L.ones(4).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.ones(4).long(),
                                                weight=L.ones(2)),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.ones(4).long(),
                                                weight=L.ones(3).double()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(2, 3, 4), L.ones(2).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 0), L.ones(4).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(()), L.zeros(()).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(3), L.ones(2).long()),
    lambda L: L.nn.functional.multilabel_soft_margin_loss(L.ones(4, 3), L.ones(4, 3),
                                                          reduction="bogus"),
    lambda L: L.nn.functional.huber_loss(L.ones(4, 3), L.ones(4, 3), weight=L.ones(3)),
    lambda L: L.nn.functional.l1_loss(L.ones(4, 3), L.zeros(4, 3),
                                      weight=L.arange(12.).reshape(4, 3)),
    lambda L: L.nn.functional.mse_loss(L.ones(4, 3), L.zeros(4, 3),
                                       weight=L.arange(12.).reshape(4, 3), reduction="bogus"),
    lambda L: L.nn.functional.mse_loss(L.ones(4, 3), L.zeros(4, 3),
                                       weight=L.arange(12.).reshape(4, 3)),
    lambda L: L.nn.functional.mse_loss(L.ones(4, 3), L.zeros(4, 3), weight=L.ones(3)),
    lambda L: L.nn.functional.soft_margin_loss(L.ones(4, 3),
                                               L.ones(4, 3).requires_grad_()),
]


@requires_torch
@pytest.mark.parametrize("i", range(len(LOSS_ERRORS)))
def test_loss_errors_and_weights(i):
    same_behaviour(LOSS_ERRORS[i])


# ---------------------------------------------------------------- activations of int tensors
ACTS = ["elu", "gelu", "softplus", "hardshrink", "softshrink", "mish", "silu", "hardsigmoid",
        "hardswish", "leaky_relu", "selu", "celu", "logsigmoid", "relu6", "hardtanh"]


@requires_torch
@pytest.mark.parametrize("name", ACTS)
@pytest.mark.parametrize("dtype", ["int64", "uint8", "bool"])
def test_activation_of_integers(name, dtype):
    same_behaviour(lambda L: getattr(L.nn.functional, name)(
        L.arange(-3, 4).to(getattr(L, dtype))))


@requires_torch
def test_threshold_and_hardtanh_of_integers():
    same_behaviour(lambda L: L.nn.functional.threshold(L.arange(-3, 4), 0.5, 2.7))
    same_behaviour(lambda L: L.nn.functional.hardtanh(L.arange(-3, 4), -1.5, 2.5))
    same_behaviour(lambda L: L.nn.functional.hardtanh(L.arange(-3, 4), inplace=True))
    same_behaviour(lambda L: L.nn.functional.threshold(L.arange(-3, 4), 1, 5, inplace=True))


@requires_torch
def test_rrelu_training_draws_torchs_slopes():
    for dtype in ("float32", "float64"):
        def fn(L):
            L.manual_seed(3)
            x = L.linspace(-2, 1, 12).to(getattr(L, dtype)).reshape(3, 4).requires_grad_()
            y = L.nn.functional.rrelu(x, 0.1, 0.6, training=True)
            (y * L.arange(12.).reshape(3, 4)).sum().backward()
            return y, x.grad, L.rand(2)  # the generator is left where torch's is
        same_behaviour(fn)


# ---------------------------------------------------------------- module hooks
def _hooked(L, kind, hook, x_grad=True):
    m = L.nn.Linear(3, 2)
    with L.no_grad():
        m.weight.copy_(L.arange(6.).reshape(2, 3) / 7 - 0.3)
        m.bias.fill_(0.1)
    getattr(m, kind)(hook)
    x = L.ones(4, 3, requires_grad=x_grad)
    y = m(x)
    y = y[0] if isinstance(y, (list, tuple)) else y
    (y * L.arange(y.numel() * 1.).reshape(y.shape)).sum().backward()
    return x.grad, m.weight.grad


HOOKS = [
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (gi[0], gi[0]), True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (L.ones(2, 3),), True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (L.ones(5, 4, 3),), True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (L.ones(4, 3).double(),), True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (L.ones(4, 3).long(),), True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (5.0,), True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: [gi[0] * 2], True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: gi[0] * 2, True),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (L.ones(4, 3),), False),
    ("register_full_backward_hook", lambda L: lambda m, gi, go: (None,), False),
    ("register_full_backward_pre_hook", lambda L: lambda m, go: (go[0], go[0]), True),
    ("register_full_backward_pre_hook", lambda L: lambda m, go: (L.ones(3, 2),), True),
    ("register_full_backward_pre_hook", lambda L: lambda m, go: go[0] * 2, True),
    ("register_full_backward_pre_hook", lambda L: lambda m, go: (go[0] * 2,), True),
    ("register_forward_hook", lambda L: lambda m, i, o: o[:2], True),
    ("register_forward_pre_hook", lambda L: lambda m, a: a[0] * 2, True),
    ("register_forward_pre_hook", lambda L: lambda m, a: "abc", True),
]


@requires_torch
@pytest.mark.parametrize("i", range(len(HOOKS)))
def test_hook_results(i):
    kind, make, x_grad = HOOKS[i]
    same_behaviour(lambda L: _hooked(L, kind, make(L), x_grad))


@requires_torch
def test_forward_hook_output_not_a_tensor_with_backward_hooks():
    def fn(L):
        m = L.nn.Linear(3, 2)
        m.register_forward_hook(lambda mod, i, o: [o])
        m.register_full_backward_hook(lambda mod, gi, go: None)
        return m(L.ones(4, 3, requires_grad=True))[0].shape
    same_behaviour(fn)


class _Two:
    """A module with two outputs whose forward may raise."""

    @staticmethod
    def make(L, fail):
        class Two(L.nn.Module):
            def forward(self, a, k, b=None):
                if fail:
                    raise ValueError("boom")
                return a * 2, (b * 3 if b is not None else a * 3)
        return Two()


@requires_torch
@pytest.mark.parametrize("case", ["always", "always_kwargs", "always_raises", "global_always",
                                  "global_kwargs", "unused_output", "replace_none",
                                  "global_backward"])
def test_hook_options(case):
    def fn(L):
        log = []
        m = _Two.make(L, fail=case.startswith(("always", "global_always")))
        mod = L.nn.modules.module
        handles = []

        def bad(m_, i, o):
            raise KeyError("inner")
        if case == "always":
            handles.append(m.register_forward_hook(lambda m_, i, o: log.append(("h1", o)),
                                                   always_call=True))
            handles.append(m.register_forward_hook(lambda m_, i, o: log.append(("h2", o))))
        elif case == "always_kwargs":
            handles.append(m.register_forward_hook(
                lambda m_, i, k, o: log.append(("h", sorted(k))), always_call=True,
                with_kwargs=True))
        elif case == "always_raises":
            handles.append(m.register_forward_hook(bad, always_call=True))
        elif case == "global_always":
            handles.append(mod.register_module_forward_hook(
                lambda m_, i, o: log.append(("g", o)), always_call=True))
        elif case == "global_kwargs":
            handles.append(mod.register_module_forward_hook(
                lambda m_, i, k, o: log.append(("g", sorted(k))), with_kwargs=True))
        elif case == "unused_output":
            handles.append(m.register_full_backward_pre_hook(
                lambda m_, go: log.append(("pre", [g is None for g in go]))))
            handles.append(m.register_full_backward_hook(
                lambda m_, gi, go: log.append(("bw", [g is None for g in gi]))))
        elif case == "replace_none":
            handles.append(m.register_full_backward_hook(
                lambda m_, gi, go: (gi[0], L.ones(2, 3), None)))
        else:
            handles.append(mod.register_module_full_backward_hook(
                lambda m_, gi, go: log.append(("global", len(gi)))))
            handles.append(mod.register_module_full_backward_pre_hook(
                lambda m_, go: log.append(("global pre", len(go)))))
            handles.append(m.register_full_backward_hook(
                lambda m_, gi, go: log.append(("module", len(gi)))))
        a = L.ones(2, 3, requires_grad=True)
        try:
            y1, y2 = m(a, 5, b=L.ones(2, 3))
            (y1.sum() if case == "unused_output" else (y1 + y2).sum()).backward()
        finally:
            for h in handles:
                h.remove()
        return a.grad, repr(log)
    same_behaviour(fn)


@requires_torch
def test_always_call_hook_runs_when_forward_raises():
    """The always_call forward hook sees the error's None result, then the error surfaces."""
    seen = []
    m = _Two.make(ember, fail=True)
    m.register_forward_hook(lambda m_, i, o: seen.append(o), always_call=True)
    m.register_forward_hook(lambda m_, i, o: seen.append("plain"))
    with pytest.raises(ValueError, match="boom"):
        m(ember.ones(2), 1)
    assert seen == [None]


# ---------------------------------------------------------------- indices: never wrapped
def _targets(L):
    return [L.tensor([0, -1, 2]), L.tensor([0, 5, 2]), L.tensor([0, 3, 2]),
            L.tensor([0, -100, 2]), L.tensor([0, -2, 2])]


@requires_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_class_targets_out_of_range(name, reduction):
    f = (lambda L: getattr(L.nn.functional, name))
    for i in range(5):
        for kw in ({}, {"ignore_index": -1}, {"weight": "ones"}, {"label_smoothing": 0.1}):
            if "label_smoothing" in kw and name == "nll_loss":
                continue

            def fn(L):
                k = {a: (L.ones(3) if v == "ones" else v) for a, v in kw.items()}
                x = L.arange(9.).reshape(3, 3).requires_grad_()
                y = f(L)(x, _targets(L)[i], reduction=reduction, **k)
                y.sum().backward()
                return y, x.grad
            same_behaviour(fn)
    for target in ("-1", "3"):
        same_behaviour(lambda L: f(L)(L.zeros(3), L.tensor(int(target)), reduction=reduction))
        same_behaviour(lambda L: f(L)(L.zeros(2, 3, 4, 2),
                                      L.zeros(2, 4, 2).long() + int(target),
                                      reduction=reduction))


INDEX_CASES = [
    lambda L: L.nn.functional.embedding(L.tensor([0, -1]), L.ones(3, 2)),
    lambda L: L.nn.functional.embedding(L.tensor([0, 3]), L.ones(3, 2)),
    lambda L: L.nn.Embedding(3, 2)(L.tensor([[0, -1]])),
    lambda L: L.nn.Embedding(3, 2)(L.tensor([[0, 3]])),
    lambda L: L.nn.Embedding(3, 2, padding_idx=3),
    lambda L: L.nn.functional.embedding(L.tensor([0, 1]), L.ones(3, 2), padding_idx=-4),
    lambda L: L.nn.functional.embedding(L.tensor([0, 1]), L.ones(6)),
    lambda L: L.nn.functional.embedding(L.tensor([0., 1]), L.ones(3, 2), max_norm=1.0),
    lambda L: L.nn.functional.embedding(L.tensor([0, 1]), L.ones(6), max_norm=1.0),
    lambda L: L.nn.functional.one_hot(L.tensor([0, -1]), 3),
    lambda L: L.nn.functional.one_hot(L.tensor([0, 3]), 3),
    lambda L: L.nn.functional.one_hot(L.tensor([0, -1])),
    lambda L: L.nn.functional.one_hot(L.tensor([], dtype=L.int64)),
    lambda L: L.nn.functional.one_hot(L.tensor([0, 1]).int(), 3),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.full((4,), 3).long()),
    lambda L: L.nn.functional.multi_margin_loss(L.ones(4, 3), L.full((4,), -1).long()),
    lambda L: L.nn.functional.nll_loss(L.zeros(3, 3), L.tensor([0, 1, 2]).int()),
    lambda L: L.nn.functional.cross_entropy(L.zeros(3, 3), L.tensor([0, 1, 2]).float()),
]
_BAG = [  # (indices, offsets or None, keyword arguments)
    ([0, -1, 2], [0, 2], {}), ([0, 3, 2], [0, 2], {}), ([0, 3, 2], [0, 2], {"mode": "max"}),
    ([0, -2, 7], [0, 2], {"mode": "max"}), ([0, 1, 2], [0, 5], {}), ([0, 1, 2], [0, -1], {}),
    ([0, 1, 2], [1, 2], {}), ([0, 1, 2], [0, 5, 2], {}), ([[0, -1], [1, 2]], None, {}),
    ([[0, 3], [1, 2]], None, {}), ([0, 1, 2], [0, 2], {"padding_idx": 3}),
    ([0, 1, 2], [0, 2], {"padding_idx": -4}), ([0, -1, 2], [0, 2], {"padding_idx": -1}),
    ([0, 5, 2], [0, 2], {"padding_idx": 2}), ([0, 1, 2], [0, 2], {"mode": "bogus"}),
    ([0, 1, 2], [0, 2], {"mode": "max", "scale_grad_by_freq": True}),
    ([0, 1, 2], [0, 2], {"mode": "max", "sparse": True}),
    ([0, 1, 2], [0, 2], {"per_sample_weights": [1.0, 2.0]}),
    ([0, 1, 2], [0, 2], {"per_sample_weights": [1.0, 2.0, 3.0], "mode": "sum"}),
    ([0, 1, 2], [0], {"include_last_offset": True}), ([0, 1, 7], [0, 2], {"max_norm": 1.0}),
    ([2, 0, 1, 2], [0, 1], {"max_norm": 0.5, "mode": "sum"}),
]
_UNPOOL = [  # (input shape, indices, kernel size, keyword arguments)
    ((1, 1, 2, 2), [[[[0, 1], [-1, 3]]]], 2, {}), ((1, 1, 2, 2), [[[[0, 1], [16, 3]]]], 2, {}),
    ((1, 1, 2), [[[0, -1]]], 2, {}), ((1, 1, 2), [[[0, 4]]], 2, {}),
    ((1, 2, 2, 2), [[[[5, -1], [3, 16]], [[2, 1], [0, 0]]]], 2, {}),
    ((1, 1, 2, 2), [[[0, 1, 2, 3]]], 2, {}), ((2, 2), [[0, 1], [2, 3]], 2, {}),
    ((1, 1, 2, 2), [[[[0, 1], [2, 3]]]], 2, {"output_size": (4, 4, 4)}),
    ((1, 1, 2, 2), [[[[0, 1], [2, 3]]]], 2, {"output_size": (6, 4)}),
    ((1, 1, 1, 1), [[[[0]]]], 1, {"padding": 1}), ((1, 1, 2), [[[0, 1]]], 2, {"output_size": [9]}),
    ((1, 1, 2, 2), [[[[0, 1], [2, 3]]]], (2, 2, 2), {}),
    ((1, 1, 2, 2), [[[[0, 1], [2, 3]]]], 2, {"output_size": (4, 4.0)}),
]


def _bag_case(i):
    idx, off, kw = _BAG[i]

    def fn(L):
        k = dict(kw)
        if "per_sample_weights" in k:
            k["per_sample_weights"] = L.tensor(k["per_sample_weights"])
        w = L.arange(8.).reshape(4, 2)[:3].clone().requires_grad_()
        y = L.nn.functional.embedding_bag(L.tensor(idx), w, None if off is None else
                                          L.tensor(off), **k)
        y.sum().backward()
        return y, w.grad
    return fn


def _unpool_case(i):
    shape, idx, k, kw = _UNPOOL[i]
    name = "max_unpool1d" if len(shape) == 3 and isinstance(idx[0][0][0], int) else "max_unpool2d"
    return lambda L: getattr(L.nn.functional, name)(L.ones(shape), L.tensor(idx), k, **kw)


@requires_torch
@pytest.mark.parametrize("i", range(len(INDEX_CASES)))
def test_index_errors(i):
    same_behaviour(INDEX_CASES[i])


@requires_torch
@pytest.mark.parametrize("i", range(len(_BAG)))
def test_embedding_bag_bad_input(i):
    same_behaviour(_bag_case(i))


@requires_torch
@pytest.mark.parametrize("i", range(len(_UNPOOL)))
def test_max_unpool_bad_indices(i):
    same_behaviour(_unpool_case(i))


@requires_torch
def test_embedding_max_norm_renorms_then_refuses():
    """torch renorms the rows it reaches (a negative one wrapped) before select() refuses."""
    for idx in ([0, -1], [0, 2, 3], [-4, 0]):
        def fn(L):
            w = L.arange(6.).reshape(3, 2)
            try:
                L.nn.functional.embedding(L.tensor(idx), w, max_norm=1.0)
            except IndexError as e:
                return w, str(e)
            return w
        same_behaviour(fn)


# ---------------------------------------------------------------- arguments honoured or refused
MODULE_TO = [
    (("cpu", "float64"), {}), (("float64", True), {}), (("tensor64", True), {}),
    ((), {"non_blocking": True}), (("int64",), {}), ((), {"copy": True}),
    (("cpu", "float64", False, False), {}), ((1, 2, 3, 4, 5), {}), (("cpu", "cpu"), {}),
    (("float64", "x"), {}), ((), {"device": 3.5}), (("cpu",), {"foo": 2}), ((), {"foo": 1}),
    ((), {"memory_format": "channels_last"}), (("float64",), {"memory_format": "channels_last"}),
    ((), {"memory_format": "x"}), (("complex64",), {}), (("cpu", True), {}),
]


@requires_torch
@pytest.mark.parametrize("i", range(len(MODULE_TO)))
def test_module_to_arguments(i):
    args, kw = MODULE_TO[i]

    def conv(L, a):
        if a == "tensor64":
            return L.ones(2, dtype=L.float64)
        if a in ("float64", "int64", "complex64", "channels_last"):
            return getattr(L, a)
        return a

    def fn(L):
        m = L.nn.Sequential(L.nn.Conv2d(2, 2, 3), L.nn.BatchNorm2d(2))
        m = m.to(*[conv(L, a) for a in args], **{k: conv(L, v) for k, v in kw.items()})
        return [(n, str(p.dtype), p.stride()) for n, p in m.state_dict().items()]
    same_behaviour(fn)


OPTIONS = [
    lambda L: repr(L.nn.Hardtanh(min_value=-2.0, max_value=3.0)),
    lambda L: L.nn.Hardtanh(min_value=-2.0)(L.linspace(-3, 3, 7)),
    lambda L: L.nn.GRU(4, 5, proj_size=2),
    lambda L: L.nn.RNN(4, 5, proj_size=2),
    lambda L: L.nn.LSTM(4, 5, proj_size=-1),
    lambda L: L.nn.LSTM(4, 5, proj_size=5),
    lambda L: [str(p.dtype) for p in L.nn.LSTM(4, 5, dtype=L.float64, device="cpu").parameters()],
    lambda L: [str(p.dtype) for p in L.nn.GRUCell(4, 5, dtype=L.float64).parameters()],
    lambda L: L.nn.functional.normalize(L.ones(3, 2), out=L.zeros(3, 2)),
    lambda L: L.nn.functional.normalize(L.ones(3, 2), out=L.zeros(2)),
    lambda L: L.nn.functional.normalize(L.ones(3, 2), out=L.zeros(3, 2).long()),
    lambda L: L.nn.functional.normalize(L.ones(3, 2, requires_grad=True), out=L.zeros(3, 2)),
    lambda L: L.nn.functional.linear("x", L.ones(2, 2)),
]


@requires_torch
@pytest.mark.parametrize("i", range(len(OPTIONS)))
def test_options_honoured_or_refused_as_torch(i):
    same_behaviour(OPTIONS[i])


def test_refused_arguments_say_so():
    """What ember does not implement is refused in _args' words, never silently ignored."""
    cases = [
        (lambda: ember.nn.functional.embedding(ember.tensor([0]), ember.ones(2, 2), sparse=True),
         "torch.nn.functional.embedding(sparse=True)"),
        (lambda: ember.nn.functional.embedding_bag(ember.tensor([0]), ember.ones(2, 2),
                                                   ember.tensor([0]), sparse=True),
         "torch.nn.functional.embedding_bag(sparse=True)"),
    ]
    for fn, what in cases:
        with pytest.raises(NotImplementedError) as e:
            fn()
        assert str(e.value) == f"ember does not implement {what} yet"


@requires_torch
def test_hook_prepend_and_with_kwargs_order():
    def fn(L):
        log = []
        m = L.nn.Linear(2, 2)
        m.register_forward_pre_hook(lambda *a: log.append("pre1"))
        m.register_forward_pre_hook(lambda *a: log.append("pre0"), prepend=True)
        m.register_forward_pre_hook(lambda mod, a, k: log.append("prekw"), with_kwargs=True,
                                    prepend=True)
        m.register_forward_hook(lambda *a: log.append("f1"))
        m.register_forward_hook(lambda *a: log.append("f0"), prepend=True)
        m.register_full_backward_hook(lambda *a: log.append("b1"))
        m.register_full_backward_hook(lambda *a: log.append("b0"), prepend=True)
        m.register_full_backward_pre_hook(lambda *a: log.append("bp1"))
        m.register_full_backward_pre_hook(lambda *a: log.append("bp0"), prepend=True)
        m(L.ones(1, 2, requires_grad=True)).sum().backward()
        return repr(log)
    same_behaviour(fn)


@pytest.mark.parametrize("case", [
    lambda L: L.nn.functional.unfold(L.ones(()), 1),
    lambda L: L.nn.functional.unfold(L.ones(3), 1),
    lambda L: L.nn.functional.unfold(L.ones(2, 3), 1),
    lambda L: L.nn.functional.unfold(L.ones(1, 2, 3, 4, 5), 1),  # once silently flattened
    lambda L: L.nn.functional.fold(L.ones(()), (2, 3), 1),
    lambda L: L.nn.functional.fold(L.ones(3), (2, 3), 1),
    lambda L: L.nn.functional.fold(L.ones(1, 4, 3, 2), (2, 3), 1),
    lambda L: L.nn.functional.glu(L.ones(4, 2), 5),
])
def test_fold_unfold_glu_input_rank(case):
    check_error(case)
