"""Per-op survey: ember against torch on ~155 operations at realistic deep-learning shapes, each
forward and forward+backward, one thread; prints every ratio by mode and the worst outliers (ember
above 100 us). It finds NumPy slow paths (a branchy `where`, `add.at`'s tuple form, a stable
argsort, an unblocked matmul loop) and ops composed of too many array passes.

Run: python benchmarks/bench_ops.py [name-substring]   (needs torch, the oracle)
SURVEY_TARGET (seconds per timed round, default 0.004) and SURVEY_REPEATS (default 5) trade
time for noise; the whole survey takes about half a minute.
"""

import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

import ember  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:
    sys.exit("bench_ops.py compares against torch: install torch==2.13.0 (CPU) to run it")

torch.set_num_threads(1)
rng = np.random.default_rng(0)
TARGET = float(os.environ.get("SURVEY_TARGET", "0.004"))  # seconds per repeat
REPEATS = int(os.environ.get("SURVEY_REPEATS", "5"))


def R(*s):
    return rng.standard_normal(s).astype(np.float32)


def P(*s):
    return rng.random(s).astype(np.float32) + 0.1


def Ints(hi, *s):
    return rng.integers(0, hi, s).astype(np.int64)


def B(*s):
    return rng.random(s) < 0.5


CASES = []


def case(name, shape, fn, inputs, grad=True, nograd_idx=()):
    """inputs: list of numpy arrays; float arrays get requires_grad in bwd mode."""
    CASES.append((name, shape, fn, inputs, grad, set(nograd_idx)))


F = lambda L: L.nn.functional  # noqa: E731

# ---------------- elementwise unary ----------------
for op in ["exp", "log", "tanh", "sigmoid", "abs", "sqrt", "sin", "relu", "neg", "reciprocal"]:
    x = P(64, 1024)
    case(op, "64x1024", lambda L, a, op=op: getattr(L, op)(a), [x])
case("gelu", "64x1024", lambda L, a: F(L).gelu(a), [R(64, 1024)])
case("gelu_tanh", "64x1024", lambda L, a: F(L).gelu(a, approximate="tanh"), [R(64, 1024)])
case("silu", "64x1024", lambda L, a: F(L).silu(a), [R(64, 1024)])
case("leaky_relu", "64x1024", lambda L, a: F(L).leaky_relu(a, 0.1), [R(64, 1024)])
case("softplus", "64x1024", lambda L, a: F(L).softplus(a), [R(64, 1024)])
case("elu", "64x1024", lambda L, a: F(L).elu(a), [R(64, 1024)])
case("clamp", "64x1024", lambda L, a: a.clamp(-0.5, 0.5), [R(64, 1024)])
case("pow2", "64x1024", lambda L, a: a.pow(2), [R(64, 1024)])
case("pow2.5", "64x1024", lambda L, a: a.pow(2.5), [P(64, 1024)])
case("pow_tt", "64x1024", lambda L, a, b: a.pow(b), [P(64, 1024), P(64, 1024)])
case("unary_img", "64x64x16x16 relu", lambda L, a: L.relu(a), [R(64, 64, 16, 16)])
case("unary_nc", "T(1024x64) exp", lambda L, a: a.t().exp(), [R(1024, 64)])
# ---------------- binary / broadcasting ----------------
case("add", "64x1024 + 64x1024", lambda L, a, b: a + b, [R(64, 1024), R(64, 1024)])
case("mul_row", "64x1024 * 1024", lambda L, a, b: a * b, [R(64, 1024), R(1024)])
case("outer_bcast", "(512,1)*(1,512)", lambda L, a, b: a * b, [R(512, 1), R(1, 512)])
case("bias_chan", "64x64x16x16 + (64,1,1)", lambda L, a, b: a + b, [R(64, 64, 16, 16), R(64, 1, 1)])
case("div_col", "64x1024 / (64,1)", lambda L, a, b: a / b, [R(64, 1024), P(64, 1)])
case("sub_scalar", "64x1024 - 1.5", lambda L, a: a - 1.5, [R(64, 1024)])
case("maximum", "64x1024", lambda L, a, b: L.maximum(a, b), [R(64, 1024), R(64, 1024)])
case(
    "where", "64x1024", lambda L, c, a, b: L.where(c, a, b), [B(64, 1024), R(64, 1024), R(64, 1024)]
)
case("masked_fill", "64x1024", lambda L, a, m: a.masked_fill(m, 0.0), [R(64, 1024), B(64, 1024)])
case("gt_cmp", "64x1024", lambda L, a, b: a > b, [R(64, 1024), R(64, 1024)], grad=False)
# ---------------- reductions ----------------
for d in (0, 1, -1):
    case(f"sum_d{d}", "32x50x256", lambda L, a, d=d: a.sum(d), [R(32, 50, 256)])
    case(
        f"mean_d{d}_keep", "32x50x256", lambda L, a, d=d: a.mean(d, keepdim=True), [R(32, 50, 256)]
    )
    case(f"max_d{d}", "32x50x256", lambda L, a, d=d: a.max(d)[0], [R(32, 50, 256)])
    case(f"argmax_d{d}", "32x50x256", lambda L, a, d=d: a.argmax(d), [R(32, 50, 256)], grad=False)
    case(f"var_d{d}", "32x50x256", lambda L, a, d=d: a.var(d), [R(32, 50, 256)])
    case(f"logsumexp_d{d}", "32x50x256", lambda L, a, d=d: L.logsumexp(a, d), [R(32, 50, 256)])
    case(f"softmax_d{d}", "32x50x256", lambda L, a, d=d: F(L).softmax(a, d), [R(32, 50, 256)])
    case(
        f"log_softmax_d{d}", "32x50x256", lambda L, a, d=d: F(L).log_softmax(a, d), [R(32, 50, 256)]
    )
    case(f"cumsum_d{d}", "32x50x256", lambda L, a, d=d: a.cumsum(d), [R(32, 50, 256)])
case("sum_all", "64x1024", lambda L, a: a.sum(), [R(64, 1024)])
case("std_d1", "64x1024", lambda L, a: a.std(1), [R(64, 1024)])
case("norm_d1", "64x1024", lambda L, a: a.norm(dim=1), [R(64, 1024)])
case("norm_all", "64x1024", lambda L, a: a.norm(), [R(64, 1024)])
case("min_all", "64x1024", lambda L, a: a.min(), [R(64, 1024)])
case("sum_img_023", "64x64x16x16 sum(0,2,3)", lambda L, a: a.sum((0, 2, 3)), [R(64, 64, 16, 16)])
case("prod_d1", "64x256", lambda L, a: a.prod(1), [P(64, 256)])
# ---------------- sort / search ----------------
case("sort_d-1", "64x1024", lambda L, a: a.sort(-1)[0], [R(64, 1024)])
case("sort_d0", "64x1024", lambda L, a: a.sort(0)[0], [R(64, 1024)])
case("argsort", "64x1024", lambda L, a: a.argsort(-1), [R(64, 1024)], grad=False)
case("topk10", "64x1024", lambda L, a: a.topk(10, -1)[0], [R(64, 1024)])
case("topk10_d0", "1024x64 dim0", lambda L, a: a.topk(10, 0)[0], [R(1024, 64)])
case("unique", "65536 ints<1000", lambda L, a: L.unique(a), [Ints(1000, 65536)], grad=False)
case("nonzero", "64x1024 bool", lambda L, m: m.nonzero(), [B(64, 1024)], grad=False)
case("one_hot", "4096 ->100", lambda L, i: F(L).one_hot(i, 100), [Ints(100, 4096)], grad=False)
# ---------------- indexing ----------------
case("index_rows", "x[idx] 1024x256,idx512", lambda L, a, i: a[i], [R(1024, 256), Ints(1024, 512)])
case("index_mask", "x[mask] 64x1024", lambda L, a, m: a[m], [R(64, 1024), B(64, 1024)])
case("index_slice_step", "x[:, ::2] 64x1024", lambda L, a: a[:, ::2] * 1, [R(64, 1024)])
case(
    "gather_d1",
    "64x1024 idx 64x100",
    lambda L, a, i: a.gather(1, i),
    [R(64, 1024), Ints(1024, 64, 100)],
)
case(
    "gather_d0",
    "1024x64 idx 100x64",
    lambda L, a, i: a.gather(0, i),
    [R(1024, 64), Ints(1024, 100, 64)],
)
for m in ("scatter", "scatter_add"):
    case(f"{m}_d1", "64x1024 src 64x100", lambda L, a, i, s, m=m: getattr(a, m)(1, i, s),
         [R(64, 1024), Ints(1024, 64, 100), R(64, 100)])
case(
    "scatter_add_d0",
    "1024x64 src 4096x64",
    lambda L, a, i, s: a.scatter_add(0, i, s),
    [R(1024, 64), Ints(1024, 4096, 64), R(4096, 64)],
)
case(
    "index_select_d0",
    "1024x256 idx512",
    lambda L, a, i: a.index_select(0, i),
    [R(1024, 256), Ints(1024, 512)],
)
case(
    "index_select_d1",
    "256x1024 idx512",
    lambda L, a, i: a.index_select(1, i),
    [R(256, 1024), Ints(1024, 512)],
)
case(
    "index_add_d0",
    "1024x256 idx512",
    lambda L, a, i, s: a.index_add(0, i, s),
    [R(1024, 256), Ints(1024, 512), R(512, 256)],
)
case(
    "embedding",
    "V10000xD256 idx 32x50",
    lambda L, w, i: F(L).embedding(i, w),
    [R(10000, 256), Ints(10000, 32, 50)],
)
case(
    "setitem_idx",
    "x[idx]=v 1024x256",
    lambda L, a, i, v: a.clone().index_put_((i,), v),
    [R(1024, 256), Ints(1024, 512), R(512, 256)],
)
# ---------------- shape ----------------
case("cat_d0", "3x(64x1024)", lambda L, a, b, c: L.cat([a, b, c], 0), [R(64, 1024)] * 3)
case("cat_d1", "3x(64x1024)", lambda L, a, b, c: L.cat([a, b, c], 1), [R(64, 1024)] * 3)
case("stack_d1", "8x(64x256)", lambda L, *xs: L.stack(xs, 1), [R(64, 256) for _ in range(8)])
case(
    "split_chunk",
    "32x50x1024 chunk4",
    lambda L, a: [c * 1 for c in a.chunk(4, -1)][0],
    [R(32, 50, 1024)],
)
case(
    "transpose_contig",
    "32x50x256 T(1,2)",
    lambda L, a: a.transpose(1, 2).contiguous(),
    [R(32, 50, 256)],
)
case(
    "permute_contig",
    "64x64x16x16 ->0231",
    lambda L, a: a.permute(0, 2, 3, 1).contiguous(),
    [R(64, 64, 16, 16)],
)
case(
    "reshape_nc",
    "T(32x50x256)->reshape",
    lambda L, a: a.transpose(0, 1).reshape(50, -1),
    [R(32, 50, 256)],
)
case("repeat", "64x256 repeat(4,2)", lambda L, a: a.repeat(4, 2), [R(64, 256)])
case(
    "expand_contig",
    "(64,1,256)->(64,50,256)",
    lambda L, a: a.expand(64, 50, 256).contiguous(),
    [R(64, 1, 256)],
)
case("tile", "64x256 tile(2,4)", lambda L, a: a.tile((2, 4)), [R(64, 256)])
case("flip", "64x64x16x16 dim3", lambda L, a: a.flip(3), [R(64, 64, 16, 16)])
case("roll", "64x1024 roll 3", lambda L, a: a.roll(3, 1), [R(64, 1024)])
case("tril", "512x512", lambda L, a: a.tril(), [R(512, 512)])
case("triu_b", "64x64x64", lambda L, a: a.triu(1), [R(64, 64, 64)])
case("pad_const", "64x3x32x32 pad 2", lambda L, a: F(L).pad(a, (2, 2, 2, 2)), [R(64, 3, 32, 32)])
case(
    "pad_reflect",
    "64x3x32x32 pad 2",
    lambda L, a: F(L).pad(a, (2, 2, 2, 2), mode="reflect"),
    [R(64, 3, 32, 32)],
)
case(
    "interp_nearest",
    "32x64x16x16 x2",
    lambda L, a: F(L).interpolate(a, scale_factor=2, mode="nearest"),
    [R(32, 64, 16, 16)],
)
case(
    "interp_bilinear",
    "32x64x16x16 x2",
    lambda L, a: F(L).interpolate(a, scale_factor=2, mode="bilinear", align_corners=False),
    [R(32, 64, 16, 16)],
)
# ---------------- conv / pool ----------------
case(
    "conv2d_3x3",
    "64x3x32x32 ->32",
    lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1),
    [R(64, 3, 32, 32), R(32, 3, 3, 3), R(32)],
)
case(
    "conv2d_3x3_b",
    "64x64x16x16 ->64",
    lambda L, x, w, b: F(L).conv2d(x, w, b, padding=1),
    [R(64, 64, 16, 16), R(64, 64, 3, 3), R(64)],
)
for name, shape, kw, ws in (
    ("conv2d_s2", "64x64x16x16 s2", {"stride": 2, "padding": 1}, (64, 64, 3, 3)),
    ("conv2d_1x1", "64x64x16x16 ->128", {}, (128, 64, 1, 1)),
    ("conv2d_dw", "64x64x16x16 groups64", {"padding": 1, "groups": 64}, (64, 1, 3, 3)),
):
    case(name, shape, lambda L, x, w, kw=kw: F(L).conv2d(x, w, **kw), [R(64, 64, 16, 16), R(*ws)])
case(
    "conv1d",
    "32x256x50 k3",
    lambda L, x, w: F(L).conv1d(x, w, padding=1),
    [R(32, 256, 50), R(128, 256, 3)],
)
case(
    "conv_t2d",
    "64x64x8x8 s2 ->32",
    lambda L, x, w: F(L).conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
    [R(64, 64, 8, 8), R(64, 32, 3, 3)],
)
case("max_pool2d", "64x64x16x16 k2", lambda L, x: F(L).max_pool2d(x, 2), [R(64, 64, 16, 16)])
case(
    "max_pool2d_k3s2",
    "64x64x16x16 k3s2p1",
    lambda L, x: F(L).max_pool2d(x, 3, 2, 1),
    [R(64, 64, 16, 16)],
)
case("avg_pool2d", "64x64x16x16 k2", lambda L, x: F(L).avg_pool2d(x, 2), [R(64, 64, 16, 16)])
case(
    "adapt_avg_1",
    "64x64x16x16 ->1",
    lambda L, x: F(L).adaptive_avg_pool2d(x, 1),
    [R(64, 64, 16, 16)],
)
case(
    "adapt_avg_5",
    "64x64x16x16 ->5",
    lambda L, x: F(L).adaptive_avg_pool2d(x, 5),
    [R(64, 64, 16, 16)],
)
case(
    "adapt_max_5",
    "64x64x16x16 ->5",
    lambda L, x: F(L).adaptive_max_pool2d(x, 5),
    [R(64, 64, 16, 16)],
)
case("max_pool1d", "32x256x50 k2", lambda L, x: F(L).max_pool1d(x, 2), [R(32, 256, 50)])
# ---------------- norms / dropout ----------------
case(
    "batch_norm2d",
    "64x64x16x16 train",
    lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True),
    [R(64, 64, 16, 16), R(64), R(64)],
)
case(
    "batch_norm1d",
    "64x1024 train",
    lambda L, x, w, b: F(L).batch_norm(x, None, None, w, b, training=True),
    [R(64, 1024), R(1024), R(1024)],
)
case(
    "layer_norm",
    "32x50x256",
    lambda L, x, w, b: F(L).layer_norm(x, (256,), w, b),
    [R(32, 50, 256), R(256), R(256)],
)
case(
    "group_norm",
    "64x64x16x16 g8",
    lambda L, x, w, b: F(L).group_norm(x, 8, w, b),
    [R(64, 64, 16, 16), R(64), R(64)],
)
case("dropout", "64x1024 p0.5", lambda L, x: F(L).dropout(x, 0.5, training=True), [R(64, 1024)])
case(
    "dropout2d",
    "64x64x16x16",
    lambda L, x: F(L).dropout2d(x, 0.5, training=True),
    [R(64, 64, 16, 16)],
)
# ---------------- losses ----------------
case(
    "cross_entropy",
    "64x1000",
    lambda L, x, t: F(L).cross_entropy(x, t),
    [R(64, 1000), Ints(1000, 64)],
)
case(
    "cross_entropy_seq",
    "(32x50)x1000 ",
    lambda L, x, t: F(L).cross_entropy(x, t),
    [R(1600, 1000), Ints(1000, 1600)],
)
case(
    "cross_entropy_ls",
    "64x1000 ls0.1",
    lambda L, x, t: F(L).cross_entropy(x, t, label_smoothing=0.1),
    [R(64, 1000), Ints(1000, 64)],
)
case("nll_loss", "64x1000", lambda L, x, t: F(L).nll_loss(x, t), [R(64, 1000), Ints(1000, 64)])
case("mse_loss", "64x1024", lambda L, x, y: F(L).mse_loss(x, y), [R(64, 1024), R(64, 1024)])
case(
    "bce_logits",
    "64x1024",
    lambda L, x, y: F(L).binary_cross_entropy_with_logits(x, y),
    [R(64, 1024), (rng.random((64, 1024)) < 0.5).astype(np.float32)],
    nograd_idx=(1,),
)
case("l1_loss", "64x1024", lambda L, x, y: F(L).l1_loss(x, y), [R(64, 1024), R(64, 1024)])
case("smooth_l1", "64x1024", lambda L, x, y: F(L).smooth_l1_loss(x, y), [R(64, 1024), R(64, 1024)])
case(
    "kl_div",
    "64x1024",
    lambda L, x, y: F(L).kl_div(x, y, reduction="batchmean"),
    [R(64, 1024), P(64, 1024)],
)
# ---------------- matmul family ----------------
case(
    "linear",
    "64x1024 -> 512",
    lambda L, x, w, b: F(L).linear(x, w, b),
    [R(64, 1024), R(512, 1024), R(512)],
)
case(
    "linear_3d",
    "32x50x256 -> 256",
    lambda L, x, w, b: F(L).linear(x, w, b),
    [R(32, 50, 256), R(256, 256), R(256)],
)
case("bmm", "32x50x64 @ 32x64x50", lambda L, a, b: L.bmm(a, b), [R(32, 50, 64), R(32, 64, 50)])
case("matmul_bcast", "32x50x256 @ 256x256", lambda L, a, b: a @ b, [R(32, 50, 256), R(256, 256)])
case("matmul_bcast4", "8x4x50x64 @ 4x64x50", lambda L, a, b: a @ b, [R(8, 4, 50, 64), R(4, 64, 50)])
case("matvec", "1024x1024 @ 1024", lambda L, a, b: a @ b, [R(1024, 1024), R(1024)])
case(
    "einsum_bij",
    "bhqd,bhkd->bhqk 8x4x50x64",
    lambda L, a, b: L.einsum("bhqd,bhkd->bhqk", a, b),
    [R(8, 4, 50, 64), R(8, 4, 50, 64)],
)
case("einsum_outer", "i,j->ij 1024", lambda L, a, b: L.einsum("i,j->ij", a, b), [R(1024), R(1024)])
case(
    "einsum_trace_bmm",
    "bij,bjk->bik",
    lambda L, a, b: L.einsum("bij,bjk->bik", a, b),
    [R(32, 50, 64), R(32, 64, 50)],
)
case(
    "sdpa",
    "8x4x50x64",
    lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v),
    [R(8, 4, 50, 64), R(8, 4, 50, 64), R(8, 4, 50, 64)],
)
case(
    "sdpa_causal",
    "8x4x50x64",
    lambda L, q, k, v: F(L).scaled_dot_product_attention(q, k, v, is_causal=True),
    [R(8, 4, 50, 64), R(8, 4, 50, 64), R(8, 4, 50, 64)],
)
case("inv", "64x8x8", lambda L, a: L.linalg.inv(a), [R(64, 8, 8) + 4 * np.eye(8, dtype=np.float32)])
case("linalg_norm", "64x1024 dim1", lambda L, a: L.linalg.norm(a, dim=1), [R(64, 1024)])
case(
    "linalg_vnorm_inf",
    "64x1024",
    lambda L, a: L.linalg.vector_norm(a, float("inf"), dim=1),
    [R(64, 1024)],
)
case("cdist", "64x128 vs 256x128", lambda L, a, b: L.cdist(a, b), [R(64, 128), R(256, 128)])


# ---------------- RNN cells ----------------
_MODS = {}
for L in (ember, torch):
    L.manual_seed(0)
    _MODS[L] = {
        "lstm": L.nn.LSTMCell(256, 256),
        "gru": L.nn.GRUCell(256, 256),
        "lstm_seq": L.nn.LSTM(256, 256, batch_first=True),
    }
case(
    "lstm_cell",
    "64x256 h256",
    lambda L, x, h, c: _MODS[L]["lstm"](x, (h, c))[0],
    [R(64, 256), R(64, 256), R(64, 256)],
)
case("gru_cell", "64x256 h256", lambda L, x, h: _MODS[L]["gru"](x, h), [R(64, 256), R(64, 256)])
case("lstm_seq", "32x50x256 h256", lambda L, x: _MODS[L]["lstm_seq"](x)[0], [R(32, 50, 256)])


# ---------------- optimizers (special) ----------------
def make_opt(L, kind):
    L.manual_seed(0)
    ps = [L.nn.Parameter(L.tensor(a)) for a in rng_opt]
    for p, s in zip(ps, _opt_shapes):
        p.grad = L.tensor(np.ones(s, np.float32) * 0.01)
    if kind == "adam":
        o = L.optim.Adam(ps, lr=1e-3)
    elif kind == "adamw":
        o = L.optim.AdamW(ps, lr=1e-3)
    else:
        o = L.optim.SGD(ps, lr=1e-2, momentum=0.9)
    return o


_opt_shapes = [
    (512, 256),
    (512,),
    (256, 512),
    (256,),
    (256, 256),
    (256,),
    (64, 3, 3, 3),
    (64,),
    (10, 256),
    (10,),
]
rng_opt = [R(*s) for s in _opt_shapes]
OPT = ["adam", "adamw", "sgd_momentum"]


def build(L, inputs, grad, nograd_idx):
    ts = []
    for k, a in enumerate(inputs):
        t = L.tensor(a)
        if grad and a.dtype == np.float32 and k not in nograd_idx:
            t.requires_grad_(True)
        ts.append(t)
    return ts


def first(out):
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


def make_runner(L, fn, inputs, bwd, nograd_idx):
    ts = build(L, inputs, bwd, nograd_idx)
    if not bwd:

        def run():
            with L.no_grad():
                fn(L, *ts)

        return run
    out = first(fn(L, *ts))
    g = L.tensor(np.ones(tuple(out.shape), np.float32))

    def run():
        for t in ts:
            t.grad = None
        o = first(fn(L, *ts))
        o.backward(g)

    return run


def calibrate(f):
    f()
    t0 = time.perf_counter()
    f()
    dt = time.perf_counter() - t0
    n = 1
    while n * dt < TARGET and n < 10000:
        n *= 2
    return n


def bench(fe, ft):
    fe()
    ft()
    n = calibrate(fe)
    nt = calibrate(ft)
    be = bt = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(n):
            fe()
        be = min(be, (time.perf_counter() - t0) / n)
        t0 = time.perf_counter()
        for _ in range(nt):
            ft()
        bt = min(bt, (time.perf_counter() - t0) / nt)
    return be * 1e6, bt * 1e6


def main():
    flt = sys.argv[1] if len(sys.argv) > 1 else None
    rows = []
    t_start = time.time()
    for name, shape, fn, inputs, grad, ng in CASES:
        if flt and flt not in name:
            continue
        for bwd in [False, True] if grad else [False]:
            mode = "fwd+bwd" if bwd else "fwd"
            try:
                fe = make_runner(ember, fn, inputs, bwd, ng)
                ft = make_runner(torch, fn, inputs, bwd, ng)
                e, t = bench(fe, ft)
                rows.append((name, shape, mode, e, t, e / t))
            except Exception as exc:  # noqa: BLE001
                rows.append((name, shape, mode, float("nan"), float("nan"), float("nan")))
                print(
                    f"ERROR {name} {mode}: {type(exc).__name__}: {str(exc)[:120]}", file=sys.stderr
                )
    for kind in OPT:
        if flt and flt not in kind:
            continue
        oe, ot = make_opt(ember, kind), make_opt(torch, kind)
        e, t = bench(oe.step, ot.step)
        rows.append(("optim_" + kind, "10 params 330k", "step", e, t, e / t))
    for mode in ("fwd", "fwd+bwd", "step"):
        sub = [r for r in rows if r[2] == mode]
        sub.sort(key=lambda r: -(r[5] if r[5] == r[5] else 1e9))
        print(f"\n== {mode} ({len(sub)} ops) ==")
        print(f"{'op':20s} {'shape':30s} {'ember_us':>10s} {'torch_us':>10s} {'ratio':>7s}")
        for r in sub:
            print(f"{r[0]:20s} {r[1]:30s} {r[3]:10.1f} {r[4]:10.1f} {r[5]:7.2f}")
    print("\n== top outliers, ember > 100us, all modes ==")
    big = [r for r in rows if r[3] > 100 and r[5] == r[5]]
    big.sort(key=lambda r: -r[5])
    for r in big[:30]:
        print(f"{r[0]:20s} {r[1]:30s} {r[2]:8s} {r[3]:10.1f} {r[4]:10.1f} {r[5]:7.2f}")
    print(f"total {time.time() - t_start:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
