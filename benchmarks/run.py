"""The course workloads, ember vs torch side by side: `python -m benchmarks` (or this file).

Every workload is written once against the torch API and run with `lib` = ember and = torch in
the same process, interleaved, taking the median of repeated timings; the table prints the
ember/torch ratio. A workload ember cannot run yet prints n/a. Results are also written as JSON
with a description of the machine (benchmarks/results/). `--profile WORKLOAD` instead splits
ember's step (CPU time) into array kernels, backward bodies and ember's own dispatch / graph /
engine / optimizer Python, by primitive, then cProfile's view (benchmarks/_profile.py).
`--device cuda` runs both frameworks' workloads on their GPU (ember through CuPy), each step
ending with a device synchronize so the timings cover the GPU's work. Each ratio is the ratio of
the medians, followed by the lowest and highest of the rounds' own ratios (the noise). `--busy`
times ember beside CPU-bound processes at the default thread setting against one thread
(benchmarks/busy.py).
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._timing import import_time, interleaved_rounds, ratio_spread  # noqa: E402
from benchmarks.course_models import (  # noqa: E402
    HIDDEN,
    LAYERS,
    char_rnn,
    cifar_cnn,
    mlp,
    random_batches,
    text_batches,
    train_step,
)
from benchmarks.numpy_reference import REFERENCES  # noqa: E402

DEVICE = ["cpu"]  # --device: where models and batches live


def _batch(lib, shape):
    xs, ys = random_batches(1, shape)
    return lib.from_numpy(xs[0]).to(DEVICE[0]), lib.from_numpy(ys[0]).to(DEVICE[0])


def _fixed_batch_step(lib, model, loss_fn, opt, shape):
    x, y = _batch(lib, shape)
    step = train_step(lib, model, loss_fn, opt)
    return lambda: step(x, y)


def mlp_train(lib, opt):
    lib.manual_seed(0)
    model = mlp(lib).to(DEVICE[0])
    o = (lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if opt == "sgd"
         else lib.optim.Adam(model.parameters(), lr=0.003))
    return _fixed_batch_step(lib, model, lib.nn.NLLLoss(), o, (64, 784))


def mlp_infer(lib, batch):
    lib.manual_seed(0)
    model = mlp(lib).eval().to(DEVICE[0])
    x, _ = _batch(lib, (batch, 784))

    def step():
        with lib.no_grad():
            model(x)
    return step


def cnn_train(lib, batch):
    lib.manual_seed(0)
    model = cifar_cnn(lib).to(DEVICE[0])
    o = lib.optim.SGD(model.parameters(), lr=0.01)
    return _fixed_batch_step(lib, model, lib.nn.CrossEntropyLoss(), o, (batch, 3, 32, 32))


def lstm_train(lib, seq=50, batch=32):
    lib.manual_seed(0)
    dev = DEVICE[0]
    model = char_rnn(lib).to(dev)
    xs, ys = text_batches(1, batch, seq, seed=0)
    x, y = lib.from_numpy(xs[0]).to(dev), lib.from_numpy(ys[0].reshape(-1)).to(dev)
    o = lib.optim.Adam(model.parameters(), lr=0.001)
    crit = lib.nn.CrossEntropyLoss()

    def step():
        h = (lib.zeros(LAYERS, batch, HIDDEN, device=dev),
             lib.zeros(LAYERS, batch, HIDDEN, device=dev))
        o.zero_grad()
        out, h = model(x, h)
        crit(out, y).backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 5)
        o.step()
    return step


WORKLOADS = {
    "MLP train step, SGD (batch 64)": (lambda L: mlp_train(L, "sgd"), 30),
    "MLP train step, Adam (batch 64)": (lambda L: mlp_train(L, "adam"), 30),
    "MLP inference (batch 1)": (lambda L: mlp_infer(L, 1), 200),
    "MLP inference (batch 64)": (lambda L: mlp_infer(L, 64), 100),
    "CIFAR CNN train step (batch 20)": (lambda L: cnn_train(L, 20), 5),
    "CIFAR CNN train step (batch 64)": (lambda L: cnn_train(L, 64), 3),
    "LSTM char-RNN train step (2x256, seq 50, batch 32)": (lstm_train, 1),
}


def install_size(module):
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    total = 0
    for root, _, files in os.walk(spec.submodule_search_locations[0]):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "platform": platform.platform(),
            "threads": os.environ.get("OMP_NUM_THREADS", "default")}


def _ratio_cell(a, b, spread, width):
    """`median ratio (lowest-highest of the rounds' ratios)`, right-aligned in `width`."""
    if not (a and b):
        return f"{'n/a':>{width}s}"
    text = f"{a / b:.2f}" + (f" ({spread[0]:.2f}-{spread[1]:.2f})" if spread else "")
    return f"{text:>{width}s}"


def _synced(lib, step):
    """`step` followed by the device's synchronize (on cuda, so a timing covers the GPU's work)."""
    if DEVICE[0] == "cpu":
        return step
    sync = lib.cuda.synchronize

    def f():
        step()
        sync()
    return f


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--only", default=None, help="run workloads whose name contains this")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    p.add_argument("--profile", default=None, metavar="WORKLOAD",
                   help="profile ember on the workloads whose name contains this: a step split "
                        "into array kernels and ember's own Python, by primitive, and cProfile")
    p.add_argument("--device", default="cpu", help="cpu or cuda: where both frameworks run")
    p.add_argument("--busy", action="store_true",
                   help="ember alone beside CPU-bound processes: the default thread setting "
                        "against one thread (benchmarks/busy.py)")
    p.add_argument("--burners", type=int, default=None,
                   help="with --busy: the CPU-bound processes (1 by default)")
    ns = p.parse_args(argv)
    if ns.burners is not None and not ns.busy:
        p.error("--burners goes with --busy")
    if ns.busy and (ns.profile or ns.device != "cpu"):
        p.error("--busy times ember on the CPU: it does not take --profile or --device")
    if ns.busy and ns.burners is not None and ns.burners < 1:
        p.error("--burners must be at least 1")
    DEVICE[0] = ns.device
    if ns.busy:
        from benchmarks import busy
        names = [n for n in WORKLOADS if not ns.only or ns.only in n]
        rows = busy.run(names, rounds=ns.repeat, burners=ns.burners or 1)
        _write(ns.out, "busy", rows, None)
        return rows
    import ember
    if ns.profile:
        from benchmarks._profile import profile
        for name, (make, number) in WORKLOADS.items():
            if ns.profile in name:
                profile(name, make(ember), number * ns.repeat)
        return
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    fmt = lambda v: f"{v * 1e3:10.2f}" if v else f"{'n/a':>10s}"  # noqa: E731
    print(f"{'workload':52s} {'ember ms':>10s} {'torch ms':>10s} {'numpy ms':>10s} "
          f"{'ratio (rounds)':>18s} {'ember/numpy (rounds)':>21s}")
    for name, (make, number) in WORKLOADS.items():
        if ns.only and ns.only not in name:
            continue
        try:
            ef = _synced(ember, make(ember))
            if ns.device != "cpu":
                ef()  # a workload ember cannot run on the device fails here, as n/a
        except Exception as e:  # not supported yet
            ef, why = None, f"{type(e).__name__}: {e}"
        try:
            tf = _synced(torch, make(torch)) if torch else None
        except Exception as e:  # torch without that device
            tf = None
            print(f"    torch on {ns.device}: {type(e).__name__}: {e}", flush=True)
        # the hand-written NumPy reference (CPU only), from torch's weights (ember's without)
        nf = REFERENCES[name](torch or ember) if ns.device == "cpu" and name in REFERENCES \
            else None
        live = {k: f for k, f in (("e", ef), ("t", tf), ("n", nf)) if f is not None}
        rounds = dict(zip(live, interleaved_rounds(list(live.values()), number, ns.repeat))) \
            if live else {}
        te, tt, tn = (statistics.median(rounds[k]) if k in rounds else None for k in "etn")
        ratio = te / tt if te and tt else None
        spread = {k: ratio_spread(rounds["e"], rounds[k]) if "e" in rounds and k in rounds
                  else None for k in "tn"}
        rows.append({"workload": name, "device": ns.device, "ember_s": te, "torch_s": tt,
                     "numpy_s": tn, "ratio": ratio, "ratio_rounds": spread["t"],
                     "numpy_ratio_rounds": spread["n"],
                     "rounds_s": {k: rounds.get(k0) for k, k0 in
                                  (("ember", "e"), ("torch", "t"), ("numpy", "n"))},
                     **({} if ef else {"ember_error": why})})
        print(f"{name:52s} {fmt(te)} {fmt(tt)} {fmt(tn)} {_ratio_cell(te, tt, spread['t'], 18)} "
              f"{_ratio_cell(te, tn, spread['n'], 21)}", flush=True)
        if not ef and ns.device != "cpu":
            print(f"    ember on {ns.device}: {why[:300]}", flush=True)
    ie, it = import_time("ember"), import_time("torch") if torch else None
    rows.append({"workload": "import (whole process)", "ember_s": ie, "torch_s": it,
                 "ratio": ie / it if ie and it else None})
    print(f"{'import (whole process)':52s} {ie * 1e3:10.1f} "
          f"{(f'{it * 1e3:10.1f}' if it else f'{chr(32) * 7}n/a')} {'':10s} "
          f"{(f'{ie / it:12.2f}' if it else f'{chr(32) * 9}n/a')}")
    se, st = install_size("ember"), install_size("torch")
    rows.append({"workload": "install size (bytes)", "ember": se, "torch": st,
                 "ratio": se / st if se and st else None})
    print(f"{'install size (MB)':52s} {se / 1e6:10.2f} "
          f"{(f'{st / 1e6:10.1f}' if st else f'{chr(32) * 7}n/a')} {'':10s} "
          f"{(f'{se / st:12.4f}' if st else f'{chr(32) * 9}n/a')}")
    _write(ns.out, "bench", rows, getattr(torch, "__version__", None))


def _write(out, prefix, rows, torch_version):
    """The rows as JSON with the machine's description, in `out`/<prefix>_<date>.json."""
    os.makedirs(out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    path = os.path.join(out, f"{prefix}_{stamp}.json")
    with open(path, "w") as f:
        json.dump({"date": stamp, "machine": machine(), "torch": torch_version,
                   "results": rows}, f, indent=1)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
