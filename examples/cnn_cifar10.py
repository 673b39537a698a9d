"""The course's CIFAR-10 CNN (conv 3->16->32->64, max-pool, dropout 0.25, fc 1024->500->10).

Run: python examples/cnn_cifar10.py [--data ROOT]. Uses CIFAR-10 in torchvision's layout under
ROOT when present, else a small synthetic data set of the same shape, so it always runs.
"""

import argparse
import os

import numpy as np

import ember as torch
import ember.nn.functional as F
from ember import nn, optim
from ember.utils.data import DataLoader, TensorDataset


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


def load(root, n=512):
    try:
        from ember.vision import datasets
        ds = datasets.CIFAR10(root, train=True)
        x = torch.from_numpy(ds.data[:n].transpose(0, 3, 1, 2).astype(np.float32) / 255 - 0.5)
        return x / 0.5, torch.tensor(ds.targets[:n])
    except Exception as e:
        print(f"({type(e).__name__}: using {n} synthetic 32x32 images)")
        rng = np.random.default_rng(0)
        y = rng.integers(0, 10, n)
        x = rng.standard_normal((n, 3, 32, 32)).astype(np.float32) * 0.5
        x[np.arange(n), y % 3, :, :] += (y[:, None, None] / 5.0).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(y)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="~/.ember/data")
    p.add_argument("--epochs", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(0)
    x, y = load(os.path.expanduser(args.data))
    loader = DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True)
    model = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    for epoch in range(args.epochs):
        total = 0.0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        print(f"epoch {epoch + 1}: training loss {total / len(loader.dataset):.4f}")


if __name__ == "__main__":
    main()
