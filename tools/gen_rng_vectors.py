"""Regenerate tests/data/rng_vectors.json from live torch (CPU) for tests/test_random.py.

Provenance: the case list follows ../shared/spec/rng/gen_rng_vectors.py (torch 2.13.0, AVX2,
made for issue 3); this script reruns those snippets and stores the results compactly: floats
as raw IEEE bits in hex, ints and bools as lists, and arrays over 2,000 elements as a SHA-256 of
their little-endian bytes plus the first 16 values. torch is pinned to its AVX2 kernels (whose
float32 normals ember emulates) by setting ATEN_CPU_CAPABILITY before the import.

Usage, from the repository root:  python tools/gen_rng_vectors.py
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("ATEN_CPU_CAPABILITY", "avx2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "rng_vectors.json")

CASES = [("notebook_seed7", """
torch.manual_seed(7)
features = torch.randn((1, 5))
weights = torch.randn_like(features)
bias = torch.randn((1, 1))
result = features.matmul(weights.T) + bias
result_repr = repr(result)
""", ["features", "weights", "bias", "result", "result_repr"])]

for _dt in ("float32", "float64"):
    for _n in (1, 15, 16, 17, 33, 1000):
        for _seed in (0, 7):
            CASES.append((f"randn_{_dt}_n{_n}_seed{_seed}", f"""
torch.manual_seed({_seed})
a = torch.randn({_n}, dtype=torch.{_dt})
b = torch.randn({_n}, dtype=torch.{_dt})
""", ["a", "b"]))
    CASES.append((f"rand_{_dt}_sizes_1_to_40", f"""
torch.manual_seed(3)
a = torch.cat([torch.rand(n, dtype=torch.{_dt}) for n in range(1, 41)])
""", ["a"]))
    CASES.append((f"normal_mean2_std3_{_dt}", f"""
torch.manual_seed(5)
small = torch.empty(3, dtype=torch.{_dt}).normal_(2.0, 3.0)
big = torch.empty(37, dtype=torch.{_dt}).normal_(2.0, 3.0)
""", ["small", "big"]))
    CASES.append((f"uniform_m0.3_1.7_{_dt}", f"""
torch.manual_seed(5)
a = torch.empty(64, dtype=torch.{_dt}).uniform_(-0.3, 1.7)
""", ["a"]))

CASES += [
    ("randn_cache_interplay", """
torch.manual_seed(3)
a = torch.randn(3)
b = torch.randn(16)
c = torch.randn(1)
d = torch.rand(2)
""", ["a", "b", "c", "d"]),
    ("randn_noncontiguous", """
torch.manual_seed(4)
a = torch.empty(8, 4).t().normal_()
a_memory_order = a.t().contiguous().flatten()
""", ["a", "a_memory_order"]),
    ("randint", """
torch.manual_seed(0)
a = torch.randint(0, 10, (50,))
b = torch.randint(-5, 2**40, (20,))
c = torch.randint(3, 2**28 + 3, (10,))
d = torch.randint(0, 2**28 - 1, (10,))
e = torch.randint(10, (2, 3), dtype=torch.int32)
f = torch.randint(0, 100, (5,), dtype=torch.float32)
""", ["a", "b", "c", "d", "e", "f"]),
    ("random_defaults", """
torch.manual_seed(0)
i64 = torch.empty(5, dtype=torch.int64).random_()
i32 = torch.empty(5, dtype=torch.int32).random_()
u8 = torch.empty(5, dtype=torch.uint8).random_()
f32 = torch.empty(5, dtype=torch.float32).random_()
f64 = torch.empty(5, dtype=torch.float64).random_()
b = torch.empty(8, dtype=torch.bool).random_()
r = torch.empty(5, dtype=torch.int64).random_(7, 12)
""", ["i64", "i32", "u8", "f32", "f64", "b", "r"]),
    ("randperm", """
torch.manual_seed(0)
p10 = torch.randperm(10)
p100000 = torch.randperm(100000)
p1 = torch.randperm(1)
p0 = torch.randperm(0)
after = torch.rand(3)
""", ["p10", "p100000", "p1", "p0", "after"]),
    ("linear_784_128_seed0", """
torch.manual_seed(0)
lin = torch.nn.Linear(784, 128)
weight = lin.weight.detach()
bias = lin.bias.detach()
""", ["weight", "bias"]),
    ("sequential_small_seed0", """
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
w0 = net[0].weight.detach(); b0 = net[0].bias.detach()
w2 = net[2].weight.detach(); b2 = net[2].bias.detach()
""", ["w0", "b0", "w2", "b2"]),
    ("conv2d_3_8_5_seed0", """
torch.manual_seed(0)
conv = torch.nn.Conv2d(3, 8, 5)
weight = conv.weight.detach()
bias = conv.bias.detach()
""", ["weight", "bias"]),
    ("bernoulli_dropout", """
torch.manual_seed(0)
scalar_p = torch.empty(100).bernoulli_(0.3)
probs = torch.rand(50)
from_probs = torch.bernoulli(probs)
probs64 = torch.rand(50, dtype=torch.float64)
from_probs64 = torch.bernoulli(probs64)
torch.manual_seed(0)
x = torch.arange(1., 41.)
dropped = torch.nn.functional.dropout(x, 0.2, training=True)
""", ["scalar_p", "probs", "from_probs", "probs64", "from_probs64", "dropped"]),
    ("exponential_multinomial", """
torch.manual_seed(0)
e32 = torch.empty(30).exponential_()
e64 = torch.empty(30, dtype=torch.float64).exponential_(2.5)
w = torch.tensor([0.1, 0.2, 0.3, 0.4])
torch.manual_seed(0)
m1 = torch.multinomial(w, 1)
m3 = torch.multinomial(w, 3)
m10r = torch.multinomial(w, 10, replacement=True)
m2d = torch.multinomial(torch.tensor([[1., 0., 3.], [0., 5., 5.]]), 2)
""", ["e32", "e64", "m1", "m3", "m10r", "m2d"]),
    ("generator_objects", """
g = torch.Generator().manual_seed(1234)
a = torch.randn(20, generator=g)
b = torch.rand(5, generator=g)
c = torch.randint(0, 1000, (5,), generator=g)
fresh_seed = torch.Generator().initial_seed()
fresh = torch.rand(4, generator=torch.Generator())
torch.manual_seed(1)
global_seed = torch.initial_seed()
state_len = torch.get_rng_state().numel()
""", ["a", "b", "c", "fresh_seed", "fresh", "global_seed", "state_len"]),
    ("rng_state_bytes_after_seed9_randn1", """
torch.manual_seed(9)
_ = torch.randn(1)
state = torch.get_rng_state()
header = state[:24]
first_words = state[24:24 + 8 * 4].view(torch.int64)
tail = state[5016:]
""", ["header", "first_words", "tail"]),
    ("dataloader_shuffle", """
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
dl = DataLoader(TensorDataset(torch.arange(10)), batch_size=4, shuffle=True)
epoch1 = torch.cat([b[0] for b in dl])
epoch2 = torch.cat([b[0] for b in dl])
after = torch.rand(3)
""", ["epoch1", "epoch2", "after"]),
]


def encode(v):
    """A JSON record for one output: python scalars as-is, arrays as dtype/shape/values."""
    if not isinstance(v, torch.Tensor):
        return {"python": v}
    a = v.detach().contiguous().numpy()
    rec = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(a.shape)}
    flat = a.reshape(-1)
    if a.dtype.kind == "f":
        bits = flat.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])
        vals = [format(int(b), f"0{2 * a.itemsize}x") for b in bits]
    else:
        vals = flat.tolist()
    if flat.size > 2000:
        rec["sha256"] = hashlib.sha256(a.astype(a.dtype.newbyteorder("<")).tobytes()).hexdigest()
        vals = vals[:16]
    rec["hex" if a.dtype.kind == "f" else "values"] = vals
    return rec


def main():
    doc = {"torch_version": torch.__version__,
           "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "note": "made by tools/gen_rng_vectors.py; bernoulli_(float)/dropout follow the "
                   "mt19937 path (AMD or non-MKL hosts)",
           "cases": []}
    for cid, code, names in CASES:
        ns = {"torch": torch}
        exec(code, ns)
        doc["cases"].append({"id": cid, "code": code.strip("\n"),
                             "outputs": {k: encode(ns[k]) for k in names}})
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=0, separators=(",", ":"))
        f.write("\n")
    print("wrote", len(doc["cases"]), "cases to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
