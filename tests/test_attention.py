"""MultiheadAttention, scaled_dot_product_attention and the Transformer family vs torch."""

import numpy as np
import pytest

import ember
from oracle import arr, assert_same, check, requires_torch, torch


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


@requires_torch
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


@requires_torch
def test_mha_init_order_matches_torch():
    ember.manual_seed(3)
    e = ember.nn.MultiheadAttention(6, 3)
    torch.manual_seed(3)
    t = torch.nn.MultiheadAttention(6, 3)
    for (n, p), (_, q) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)


@requires_torch
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


# ---------------------------------------------------------------- every argument honoured
def _run_both(fn):
    """fn(lib) on both: the same warnings, and the same error or the same outputs."""
    import warnings
    res = []
    for lib in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                out, err = fn(lib), None
            except Exception as e:  # noqa: BLE001 - compared with torch's
                out, err = None, e
        res.append((out, err, [str(m.message) for m in w  # not torch's C++ notices
                               if "(Triggered internally at" not in str(m.message)]))
    (to, te, tw), (eo, ee, ew) = res
    assert ew == tw
    assert (type(ee).__name__, str(ee)) == (type(te).__name__, str(te))
    if te is None:
        for i, (a, b) in enumerate(zip(eo, to)):
            assert_same(a, b, 1e-4, 1e-5, f"output {i}")
    return eo, to


def _grads_out(lib, mod, *inputs, **kw):
    xs = [x.clone().requires_grad_() if x.is_floating_point() else x for x in inputs]
    y = mod(*xs, **kw)
    y = y[0] if isinstance(y, tuple) else y
    (y * lib.arange(float(y.numel())).reshape(y.shape).to(y.dtype).cos()).sum().backward()
    return [y] + [x.grad for x in xs if x.is_floating_point()] + \
        [p.grad for p in mod.parameters() if p.grad is not None]


def _seeded(lib, make):
    lib.manual_seed(0)
    return make(lib)


LAYER_KW = [dict(), dict(dtype="float64", device="cpu"), dict(bias=False),
            dict(norm_first=True), dict(layer_norm_eps=1e-2), dict(batch_first=True),
            dict(activation="gelu"), dict(activation="F.gelu"), dict(activation="nn.GELU"),
            dict(activation="tanh")]


def _kw(lib, kw):
    out = dict(kw, dropout=0.0)
    if "dtype" in kw:
        out["dtype"] = getattr(lib, kw["dtype"])
    act = kw.get("activation")
    if act == "F.gelu":
        out["activation"] = lib.nn.functional.gelu
    elif act == "nn.GELU":
        out["activation"] = lib.nn.GELU()
    elif act == "tanh":
        out["activation"] = lib.tanh
    return out


@requires_torch
@pytest.mark.parametrize("kw", LAYER_KW, ids=str)
@pytest.mark.parametrize("cls", ["TransformerEncoderLayer", "TransformerDecoderLayer",
                                 "Transformer"])
def test_transformer_arguments_are_honoured(cls, kw):
    """Seeded construction gives torch's weights (dtype and device included), the same repr
    and flags, and the same outputs and gradients for every constructor argument."""
    def fn(lib):
        def make(L):
            if cls == "Transformer":
                return L.nn.Transformer(8, 2, 1, 1, 12, **_kw(L, kw))
            return getattr(L.nn, cls)(8, 2, 12, **_kw(L, kw))
        mod = _seeded(lib, make)
        dt = getattr(lib, kw.get("dtype", "float32"))
        bf = kw.get("batch_first", False)
        src = lib.linspace(-1, 1, 2 * 5 * 8).reshape((2, 5, 8) if bf else (5, 2, 8)).to(dt)
        tgt = lib.linspace(1, -2, 2 * 3 * 8).reshape((2, 3, 8) if bf else (3, 2, 8)).to(dt)
        args = (src,) if cls == "TransformerEncoderLayer" else (src, tgt) if cls == \
            "Transformer" else (tgt, src)
        flags = [getattr(m, "activation_relu_or_gelu", None) for m in mod.modules()]
        params = [(n, str(p.dtype), str(p.device), p) for n, p in mod.named_parameters()]
        return [repr(mod), flags, [p[:3] for p in params]] + [p[3] for p in params] + \
            _grads_out(lib, mod, *args)
    _run_both(fn)


@requires_torch
@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("mask_check", [True, False])
@pytest.mark.parametrize("aligned", [True, False])
def test_encoder_nested_tensor_path(nested, mask_check, aligned):
    """enable_nested_tensor and mask_check as torch: its construction warning, and in eval mode
    without grad the padded positions come out of the layers as zeros (then the norm)."""
    def fn(lib):
        def make(L):
            layer = L.nn.TransformerEncoderLayer(8, 2, 12, dropout=0.0, batch_first=True)
            return L.nn.TransformerEncoder(layer, 2, norm=L.nn.LayerNorm(8),
                                           enable_nested_tensor=nested, mask_check=mask_check)
        mod = _seeded(lib, make).eval()
        src = lib.linspace(-1, 1, 2 * 5 * 8).reshape(2, 5, 8)
        kpm = lib.zeros(2, 5, dtype=lib.bool)
        if aligned:
            kpm[0, 3:] = True
        else:
            kpm[0, 1] = True
        with lib.no_grad():
            return [mod(src, src_key_padding_mask=kpm)]
    _run_both(fn)


@requires_torch
def test_encoder_nested_warning_reasons():
    for kw in (dict(), dict(batch_first=True, norm_first=True), dict(batch_first=True,
               bias=False), dict(batch_first=True, activation="tanh")):
        _run_both(lambda lib: [repr(lib.nn.TransformerEncoder(
            lib.nn.TransformerEncoderLayer(8, 2, 12, **_kw(lib, kw)), 1))])


IS_CAUSAL = [
    lambda L, m: m.encoder(L.ones(3, 2, 8), mask=L.nn.Transformer.generate_square_subsequent_mask(
        3)),
    lambda L, m: m.encoder(L.ones(3, 2, 8), mask=L.nn.Transformer.generate_square_subsequent_mask(
        3), is_causal=True),
    lambda L, m: m.decoder(L.ones(3, 2, 8), L.ones(4, 2, 8), tgt_is_causal=True),
    lambda L, m: m(L.ones(4, 2, 8), L.ones(3, 2, 8), tgt_is_causal=True),
    lambda L, m: m.encoder.layers[0].self_attn(L.ones(3, 2, 8), L.ones(3, 2, 8),
                                               L.ones(3, 2, 8), is_causal=True),
    lambda L, m: m.encoder.layers[0].self_attn(
        L.ones(3, 2, 8), L.ones(3, 2, 8), L.ones(3, 2, 8), is_causal=True, need_weights=False,
        attn_mask=L.nn.Transformer.generate_square_subsequent_mask(3)),
    lambda L, m: m.encoder.layers[0].self_attn(
        L.ones(3, 2, 8), L.ones(3, 2, 8), L.ones(3, 2, 8), attn_mask=L.zeros(3, 3),
        key_padding_mask=L.zeros(2, 3, dtype=L.bool)),
    lambda L, m: m(L.ones(4, 2, 8), L.ones(3, 1, 8)),
    lambda L, m: m(L.ones(4, 2, 8), L.ones(3, 2, 6)),
]


@requires_torch
@pytest.mark.parametrize("i", range(len(IS_CAUSAL)))
def test_causal_hints_masks_and_shape_checks(i):
    def fn(lib):
        m = _seeded(lib, lambda L: L.nn.Transformer(8, 2, 1, 1, 12, dropout=0.0))
        out = IS_CAUSAL[i](lib, m)
        return [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
    _run_both(fn)


@requires_torch
@pytest.mark.parametrize("case", ["both", "k", "v", "bad_k0", "bad_v2", "with_bias_kv"])
def test_mha_static_k_and_v(case):
    """F.multi_head_attention_forward's static_k / static_v replace the projected keys and
    values (bsz * num_heads, S, head_dim), with torch's checks."""
    def fn(lib):
        mha = _seeded(lib, lambda L: L.nn.MultiheadAttention(8, 2, add_bias_kv=case ==
                                                             "with_bias_kv"))
        q = lib.linspace(-1, 1, 3 * 2 * 8).reshape(3, 2, 8).requires_grad_()
        sk = lib.linspace(0, 1, 4 * 5 * 4).reshape(4, 5, 4).requires_grad_()
        sv = lib.linspace(1, -1, 4 * 5 * 4).reshape(4, 5, 4).requires_grad_()
        if case == "bad_k0":
            sk = sk[:3]
        if case == "bad_v2":
            sv = sv[..., :3]
        out, w = lib.nn.functional.multi_head_attention_forward(
            q, q, q, 8, 2, mha.in_proj_weight, mha.in_proj_bias, mha.bias_k, mha.bias_v, False,
            0.0, mha.out_proj.weight, mha.out_proj.bias,
            static_k=None if case == "v" else sk, static_v=None if case == "k" else sv)
        out.sum().backward()
        return out, w, q.grad, mha.in_proj_weight.grad
    _run_both(fn)


@requires_torch
def test_mismatched_mask_types_warn():
    def fn(lib):
        mha = _seeded(lib, lambda L: L.nn.MultiheadAttention(8, 2))
        x = lib.linspace(-1, 1, 3 * 2 * 8).reshape(3, 2, 8)
        kpm = lib.zeros(2, 3, dtype=lib.bool)
        kpm[1, 2] = True
        return list(mha(x, x, x, key_padding_mask=kpm, attn_mask=lib.zeros(3, 3)))
    _run_both(fn)


@requires_torch
def test_generate_square_subsequent_mask_dtype_and_device():
    _run_both(lambda lib: [lib.nn.Transformer.generate_square_subsequent_mask(
        4, device="cpu", dtype=lib.float64)])


@pytest.mark.parametrize("mask", ["bool", "float"])
def test_sdpa_fully_masked_row_gives_zeros(mask):
    """A query row whose every key is masked: zeros out and no gradient (torch's attention
    kernels, its _safe_softmax), not NaN."""
    rng = np.random.default_rng(0)
    q, k, v = (ember.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
               for s in ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)))
    m = np.ones((3, 5), bool)
    m[1] = False
    am = ember.tensor(m) if mask == "bool" else ember.tensor(np.where(m, 0.0, -np.inf)
                                                             .astype(np.float32))
    o = ember.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=am)
    o.sum().backward()
    assert (o.detach().numpy()[:, :, 1] == 0).all() and np.isfinite(o.detach().numpy()).all()
    assert (q.grad.numpy()[:, :, 1] == 0).all()
    assert np.isfinite(k.grad.numpy()).all() and np.isfinite(v.grad.numpy()).all()

    def f(L, q, k, v):
        return L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=L.tensor(m))
    check(f, arr((1, 2, 3, 4)), arr((1, 2, 5, 4), seed=1), arr((1, 2, 5, 4), seed=2),
          rtol=1e-4, atol=1e-5)
