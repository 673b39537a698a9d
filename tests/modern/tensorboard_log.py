"""Logging a short training run to TensorBoard, then reading the events back."""
import sys

import torch
import torch.nn as nn
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch.utils.tensorboard import SummaryWriter

log_dir = sys.argv[1]
torch.manual_seed(0)
model = nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 4), torch.randn(32, 1)
with SummaryWriter(log_dir) as writer:
    for step in range(5):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        writer.add_scalar("Loss/train", loss.item(), step)
        writer.add_scalars("run", {"a": step * 0.5, "b": -step}, step)
    writer.add_histogram("fc/weight", model.weight, 4)
    writer.add_text("note", "trained", 4)
acc = EventAccumulator(log_dir)
acc.Reload()
tags = acc.Tags()
print("scalars:", sorted(tags["scalars"]), "histograms:", sorted(tags["histograms"]))
for ev in acc.Scalars("Loss/train"):
    print(ev.step, f"{ev.value:.5f}")
h = acc.Histograms("fc/weight")[0].histogram_value
print("hist", h.num, f"{h.min:.5f}", f"{h.max:.5f}", f"{h.sum:.5f}")
