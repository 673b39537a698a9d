"""`ember demo`: the course's fully connected classifier, trained offline on shipped digits.

Data: the 8x8 UCI handwritten digits (1,797 images, `_data/digits.csv.gz`, see
`_data/README.md` for its source and license), or MNIST from a local torchvision-layout folder.
The model, loss, optimizer and loop are the course's, written against ember's torch API.
"""

import gzip
import os
import sys
import time

import numpy as np

import ember as torch
from ember import nn, optim
from ember.utils.data import DataLoader, TensorDataset

_HERE = os.path.dirname(os.path.abspath(__file__))


def load_digits():
    """(images float32 (N, 64) scaled to [0, 1], labels int64 (N,))."""
    with gzip.open(os.path.join(_HERE, "_data", "digits.csv.gz"), "rt") as f:
        raw = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return raw[:, :64] / 16.0, raw[:, 64].astype(np.int64)


def load_mnist(root):
    from ember.vision import datasets
    train = datasets.MNIST(root, train=True, download=False)
    test = datasets.MNIST(root, train=False, download=False)
    x = np.concatenate([train.data.numpy(), test.data.numpy()]).reshape(-1, 784)
    y = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    return (x.astype(np.float32) / 255.0 - 0.5) / 0.5, y.astype(np.int64)


class Classifier(nn.Module):
    """The course's MLP: hidden layers with ReLU and dropout, log-softmax output."""

    def __init__(self, n_in, hidden, n_out=10, p=0.2):
        super().__init__()
        sizes = [n_in] + list(hidden)
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.output = nn.Linear(sizes[-1], n_out)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        x = x.view(x.shape[0], -1)
        for layer in self.hidden:
            x = self.dropout(torch.relu(layer(x)))
        return torch.log_softmax(self.output(x), dim=1)


def _bar(done, total, width=30):
    filled = int(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + f"] {done}/{total}"


def _progress(iterable, total, desc):
    try:
        from tqdm import tqdm
        yield from tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stdout)
        return
    except ImportError:
        pass
    for i, item in enumerate(iterable, 1):
        yield item
        if sys.stdout.isatty():
            print(f"\r{desc} {_bar(i, total)}", end="", flush=True)
    if sys.stdout.isatty():
        print("\r" + " " * (len(desc) + 45) + "\r", end="")


def evaluate(model, loader, criterion):
    model.eval()
    loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logp = model(x)
            loss += criterion(logp, y).item() * len(y)
            correct += (logp.argmax(dim=1) == y).sum().item()
            n += len(y)
    model.train()
    return loss / n, correct / n


def _split(n, seed):
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n, generator=g).numpy()
    n_test = n_val = int(0.15 * n)
    return perm[n_test + n_val:], perm[n_test:n_test + n_val], perm[:n_test]


def _save_plots(history, model, x_test, y_test, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: skipping the plots (pip install matplotlib)")
        return []
    paths = []
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(history["train_loss"]) + 1)
    ax[0].plot(epochs, history["train_loss"], label="train")
    ax[0].plot(epochs, history["val_loss"], label="validation")
    ax[0].set_xlabel("epoch")
    ax[0].set_ylabel("loss")
    ax[0].legend()
    ax[1].plot(epochs, history["val_acc"])
    ax[1].set_xlabel("epoch")
    ax[1].set_ylabel("validation accuracy")
    fig.tight_layout()
    paths.append(os.path.join(out, "ember_demo_training.png"))
    fig.savefig(paths[-1])
    side = int(round(np.sqrt(x_test.shape[1])))
    with torch.no_grad():
        model.eval()
        pred = model(torch.from_numpy(x_test[:32])).argmax(1).numpy()
    fig, axes = plt.subplots(4, 8, figsize=(8, 4.6))
    for i, a in enumerate(axes.flat):
        a.imshow(x_test[i].reshape(side, side), cmap="gray_r")
        ok = pred[i] == y_test[i]
        a.set_title(f"{pred[i]}", color="green" if ok else "red", fontsize=10)
        a.axis("off")
    fig.suptitle("test digits with predicted labels (red: wrong)")
    fig.tight_layout()
    paths.append(os.path.join(out, "ember_demo_predictions.png"))
    fig.savefig(paths[-1])
    plt.close("all")
    return paths


def main(ns):
    torch.manual_seed(ns.seed)
    if ns.dataset == "mnist":
        if not ns.data:
            print("ember demo --dataset mnist needs --data ROOT (a torchvision MNIST folder)")
            return 2
        x, y = load_mnist(os.path.expanduser(ns.data))
        hidden, epochs, lr = (256, 128, 64), ns.epochs or 3, 0.003
    else:
        x, y = load_digits()
        hidden, epochs, lr = (128, 64), ns.epochs or 30, 0.003
    tr, va, te = _split(len(y), ns.seed)
    make = lambda idx: TensorDataset(torch.from_numpy(x[idx]), torch.from_numpy(y[idx]))  # noqa
    train_loader = DataLoader(make(tr), batch_size=64, shuffle=True)
    val_loader = DataLoader(make(va), batch_size=256)
    test_loader = DataLoader(make(te), batch_size=256)
    model = Classifier(x.shape[1], hidden)
    criterion = nn.NLLLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    print(f"ember demo: {ns.dataset}, {len(tr)} train / {len(va)} validation / {len(te)} test "
          f"images\n{model}")
    history = {"train_loss": [], "val_loss": [], "val_acc": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        running, seen = 0.0, 0
        for images, labels in _progress(train_loader, len(train_loader), f"epoch {epoch:2d}"):
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(labels)
            seen += len(labels)
        val_loss, val_acc = evaluate(model, val_loader, criterion)
        history["train_loss"].append(running / seen)
        history["val_loss"].append(val_loss)
        history["val_acc"].append(val_acc)
        print(f"epoch {epoch:2d}/{epochs}  train loss {running / seen:.4f}  "
              f"validation loss {val_loss:.4f}  validation accuracy {val_acc:.2%}")
    test_loss, test_acc = evaluate(model, test_loader, criterion)
    print(f"test accuracy {test_acc:.2%} (loss {test_loss:.4f}) after "
          f"{time.perf_counter() - start:.1f} s")
    os.makedirs(ns.out, exist_ok=True)
    ckpt = os.path.join(ns.out, "ember_demo_checkpoint.pth")
    torch.save({"state_dict": model.state_dict(), "hidden": list(hidden),
                "n_in": int(x.shape[1]), "test_accuracy": test_acc}, ckpt)
    print(f"checkpoint saved to {ckpt} (load it with ember.load or torch.load)")
    for p in _save_plots(history, model, x[te], y[te], ns.out):
        print(f"plot saved to {p}")
    return 0
