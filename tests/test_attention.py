"""MultiheadAttention, scaled_dot_product_attention and the Transformer family vs torch."""

import numpy as np
import pytest

import ember
from oracle import arr, assert_same, check, torch

pytest.importorskip("ember.nn")
pytestmark = pytest.mark.skipif(torch is None, reason="torch (the oracle) is not installed")


def _copy(e, t):
    e.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                       for k, v in t.state_dict().items()})


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("mask", [None, "bool", "float"])
def test_sdpa(causal, mask):
    m = None
    if mask == "bool":
        m = np.random.default_rng(5).random((4, 6)) > 0.3
        m[:, 0] = True
    elif mask == "float":
        m = arr((4, 6), seed=5)
    if causal and mask is not None:
        pytest.skip("torch refuses attn_mask with is_causal")

    def f(L, q, k, v):
        am = None if m is None else L.from_numpy(m.copy())
        return L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am,
                                                            is_causal=causal)
    check(f, arr((2, 3, 4, 8)), arr((2, 3, 6, 8), seed=1), arr((2, 3, 6, 8), seed=2),
          rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True), dict(bias=False),
                                dict(kdim=5, vdim=3), dict(add_bias_kv=True),
                                dict(add_zero_attn=True)])
@pytest.mark.parametrize("masks", [False, True])
def test_multihead_attention(kw, masks):
    t = torch.nn.MultiheadAttention(8, 2, **kw)
    e = ember.nn.MultiheadAttention(8, 2, **kw)
    _copy(e, t)
    assert repr(e) == repr(t)
    bf = kw.get("batch_first", False)
    qs = (3, 4, 8) if bf else (4, 3, 8)
    ks = (3, 6, kw.get("kdim", 8)) if bf else (6, 3, kw.get("kdim", 8))
    vs = ks[:-1] + (kw.get("vdim", 8),)
    extra = {}
    if masks:
        kpm = np.zeros((3, 6), bool)
        kpm[0, -2:] = True
        am = np.triu(np.ones((4, 6), bool), 3)
        extra = dict(key_padding_mask=kpm, attn_mask=am)

    def f(L, q, k, v):
        mod = e if L is ember else t
        kwargs = {n: L.from_numpy(a.copy()) for n, a in extra.items()}
        return mod(q, k, v, **kwargs)
    check(f, arr(qs), arr(ks, seed=1), arr(vs, seed=2), rtol=1e-4, atol=1e-5)
    tp = dict(t.named_parameters())
    for n, p in e.named_parameters():
        if tp[n].grad is not None:
            assert_same(p.grad, tp[n].grad, 1e-4, 1e-5, n)


def test_mha_init_order_matches_torch():
    ember.manual_seed(3)
    e = ember.nn.MultiheadAttention(6, 3)
    torch.manual_seed(3)
    t = torch.nn.MultiheadAttention(6, 3)
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer(norm_first):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=16, dropout=0.0, norm_first=norm_first)
    torch.manual_seed(0)
    t = torch.nn.Transformer(**kw)
    ember.manual_seed(0)
    e = ember.nn.Transformer(**kw)
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)
    mask = ember.nn.Transformer.generate_square_subsequent_mask(3)
    assert_same(mask, torch.nn.Transformer.generate_square_subsequent_mask(3))

    def f(L, src, tgt):
        mod = e if L is ember else t
        m = L.nn.Transformer.generate_square_subsequent_mask(3)
        return mod(src, tgt, tgt_mask=m)
    check(f, arr((5, 2, 8)), arr((3, 2, 8), seed=1), rtol=1e-4, atol=1e-5)
