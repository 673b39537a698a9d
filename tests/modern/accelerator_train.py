"""Written the way today's official examples are: the device comes from torch.accelerator, the
tutorial's `torch.backends.mps` idiom picks one too, a small CNN trains on synthetic digits."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.fc1 = nn.Linear(8 * 5 * 5, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-accel", action="store_true")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    use_accel = not args.no_accel and torch.accelerator.is_available()
    torch.manual_seed(1)
    if use_accel:
        device = torch.accelerator.current_accelerator()
    else:
        device = torch.device("cpu")
    print("device:", device, "accelerators:", torch.accelerator.device_count())

    # the beginner tutorial's idiom
    tutorial_device = ("cuda" if torch.cuda.is_available() else "mps"
                       if torch.backends.mps.is_available() else "cpu")
    print(f"Using {tutorial_device} device; mps built: {torch.backends.mps.is_built()}")
    print("cudnn:", torch.backends.cudnn.is_available(), torch.backends.cudnn.enabled,
          torch.backends.cudnn.benchmark)

    x = torch.randn(64, 1, 14, 14)
    y = torch.randint(0, 10, (64,))
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch_idx, (data, target) in enumerate(loader):
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(loader.dataset)}]"
                  f"\tLoss: {loss.item():.5f}")
        scheduler.step()
        model.eval()
        with torch.no_grad():
            out = model(x.to(device))
            correct = out.argmax(dim=1).eq(y.to(device)).sum().item()
        print(f"Test: accuracy {correct}/{len(x)}, lr {scheduler.get_last_lr()[0]:.4f}")


if __name__ == "__main__":
    main()
