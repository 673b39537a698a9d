"""The course's MNIST/FashionMNIST MLP (784-256-128-64-10), as a plain PyTorch-style script.

Run with ember:  python examples/mlp_mnist.py [--data ROOT] [--fashion]
(or unmodified PyTorch code through `ember run`). With no dataset at ROOT it trains on the
8x8 digits shipped inside ember, upsampled to 28x28, so it always runs offline.
"""

import argparse
import os

import numpy as np

import ember as torch
from ember import nn, optim
from ember.utils.data import DataLoader, TensorDataset


def load(root, fashion):
    try:
        from ember.vision import datasets
        cls = datasets.FashionMNIST if fashion else datasets.MNIST
        tr, te = cls(root, train=True), cls(root, train=False)
        norm = lambda d: ((d.data.float() / 255) - 0.5) / 0.5  # noqa: E731
        return (norm(tr), tr.targets), (norm(te), te.targets)
    except Exception as e:  # no local copy: fall back to the shipped digits
        print(f"({type(e).__name__}: using the shipped 8x8 digits, upsampled to 28x28)")
        from ember._demo import load_digits
        x, y = load_digits()
        x = np.kron(x.reshape(-1, 8, 8), np.ones((3, 3), np.float32))
        x = np.pad(x, ((0, 0), (2, 2), (2, 2)))
        x, y = torch.from_numpy((x - 0.5) / 0.5), torch.from_numpy(y)
        return (x[:1400], y[:1400]), (x[1400:], y[1400:])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="~/.ember/data")
    p.add_argument("--fashion", action="store_true")
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()
    torch.manual_seed(0)
    (xtr, ytr), (xte, yte) = load(os.path.expanduser(args.data), args.fashion)
    train = DataLoader(TensorDataset(xtr, ytr), batch_size=64, shuffle=True)
    test = DataLoader(TensorDataset(xte, yte), batch_size=256)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                          nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
                          nn.LogSoftmax(dim=1))
    criterion = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.03, momentum=0.9)
    for epoch in range(args.epochs):
        total = 0.0
        for images, labels in train:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in test)
        model.train()
        print(f"epoch {epoch + 1}: training loss {total / len(train):.3f}, "
              f"test accuracy {correct / len(test.dataset):.3f}")


if __name__ == "__main__":
    main()
