"""The course workloads, ember vs torch side by side: `python -m benchmarks` (or this file).

Every workload is written once against the torch API and run with `lib` = ember and = torch in
the same process, interleaved, taking the median of repeated timings; the table prints the
ember/torch ratio. A workload ember cannot run yet prints n/a. Results are also written as JSON
with a description of the machine (benchmarks/results/).
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np


def _mlp(lib, hidden=(256, 128, 64)):
    nn = lib.nn
    sizes = (784,) + hidden
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 10), nn.LogSoftmax(dim=1))


def _batch(lib, shape, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.from_numpy(rng.standard_normal(shape).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, classes, shape[0]).astype(np.int64))
    return x, y


def mlp_train(lib, opt):
    lib.manual_seed(0)
    model = _mlp(lib)
    x, y = _batch(lib, (64, 784))
    crit = lib.nn.NLLLoss()
    o = (lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if opt == "sgd"
         else lib.optim.Adam(model.parameters(), lr=0.003))

    def step():
        o.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        o.step()
    return step


def mlp_infer(lib, batch):
    lib.manual_seed(0)
    model = _mlp(lib).eval()
    x, _ = _batch(lib, (batch, 784))

    def step():
        with lib.no_grad():
            model(x)
    return step


class _Cifar:
    @staticmethod
    def build(lib):
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
                self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
                self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
                self.pool = nn.MaxPool2d(2, 2)
                self.fc1 = nn.Linear(64 * 4 * 4, 500)
                self.fc2 = nn.Linear(500, 10)
                self.dropout = nn.Dropout(0.25)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = self.pool(F.relu(self.conv3(x)))
                x = self.dropout(x.view(-1, 64 * 4 * 4))
                x = self.dropout(F.relu(self.fc1(x)))
                return self.fc2(x)
        return Net()


def cnn_train(lib, batch):
    lib.manual_seed(0)
    model = _Cifar.build(lib)
    x, y = _batch(lib, (batch, 3, 32, 32))
    crit = lib.nn.CrossEntropyLoss()
    o = lib.optim.SGD(model.parameters(), lr=0.01)

    def step():
        o.zero_grad()
        crit(model(x), y).backward()
        o.step()
    return step


def lstm_train(lib):
    lib.manual_seed(0)
    nn = lib.nn
    vocab, hidden, seq, batch = 83, 256, 50, 32

    class CharRNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(vocab, hidden, 2, dropout=0.5, batch_first=True)
            self.dropout = nn.Dropout(0.5)
            self.fc = nn.Linear(hidden, vocab)

        def forward(self, x, h):
            r, h = self.lstm(x, h)
            return self.fc(self.dropout(r).contiguous().view(-1, hidden)), h

    model = CharRNN()
    rng = np.random.default_rng(0)
    ids = rng.integers(0, vocab, (batch, seq))
    onehot = np.eye(vocab, dtype=np.float32)[ids]
    x = lib.from_numpy(onehot)
    y = lib.from_numpy(rng.integers(0, vocab, batch * seq).astype(np.int64))
    o = lib.optim.Adam(model.parameters(), lr=0.001)
    crit = nn.CrossEntropyLoss()

    def step():
        h = (lib.zeros(2, batch, hidden), lib.zeros(2, batch, hidden))
        o.zero_grad()
        out, h = model(x, h)
        crit(out, y).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5)
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


def _time(fn, number):
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def measure(fns, number, repeat):
    for f in fns:
        f()
    times = [[] for _ in fns]
    for _ in range(repeat):
        for i, f in enumerate(fns):
            times[i].append(_time(f, number))
    return [statistics.median(t) for t in times]


def import_time(module, repeat=5):
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    out = []
    for _ in range(repeat):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if r.returncode:
            return None
        out.append(float(r.stdout))
    return statistics.median(out)


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


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--only", default=None, help="run workloads whose name contains this")
    p.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    ns = p.parse_args(argv)
    import ember
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    print(f"{'workload':52s} {'ember ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name, (make, number) in WORKLOADS.items():
        if ns.only and ns.only not in name:
            continue
        try:
            ef = make(ember)
        except Exception as e:  # not supported yet
            ef, why = None, f"{type(e).__name__}: {e}"
        tf = make(torch) if torch else None
        fns = [f for f in (ef, tf) if f is not None]
        ts = measure(fns, number, ns.repeat) if fns else []
        te = ts[0] if ef else None
        tt = ts[-1] if tf else None
        ratio = te / tt if te and tt else None
        rows.append({"workload": name, "ember_s": te, "torch_s": tt, "ratio": ratio,
                     **({} if ef else {"ember_error": why})})
        fmt = lambda v: f"{v * 1e3:10.2f}" if v else f"{'n/a':>10s}"  # noqa: E731
        print(f"{name:52s} {fmt(te)} {fmt(tt)} "
              f"{(f'{ratio:7.2f}' if ratio else '    n/a')}", flush=True)
    ie, it = import_time("ember"), import_time("torch") if torch else None
    rows.append({"workload": "import (whole process)", "ember_s": ie, "torch_s": it,
                 "ratio": ie / it if ie and it else None})
    print(f"{'import (whole process)':52s} {ie * 1e3:10.1f} "
          f"{(f'{it * 1e3:10.1f}' if it else f'{chr(32) * 7}n/a')} "
          f"{(f'{ie / it:7.2f}' if it else '    n/a')}")
    se, st = install_size("ember"), install_size("torch")
    rows.append({"workload": "install size (bytes)", "ember": se, "torch": st,
                 "ratio": se / st if se and st else None})
    print(f"{'install size (MB)':52s} {se / 1e6:10.2f} "
          f"{(f'{st / 1e6:10.1f}' if st else f'{chr(32) * 7}n/a')} "
          f"{(f'{se / st:7.4f}' if st else '    n/a')}")
    os.makedirs(ns.out, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    path = os.path.join(ns.out, f"bench_{stamp}.json")
    with open(path, "w") as f:
        json.dump({"date": stamp, "machine": machine(), "torch": getattr(torch, "__version__",
                                                                            None),
                   "results": rows}, f, indent=1)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
