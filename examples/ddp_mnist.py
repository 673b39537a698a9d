"""The course's MNIST MLP (784-256-128-64-10) trained data-parallel with DistributedDataParallel.

Run with ember on 2 processes:   ember launch --nproc-per-node 2 examples/ddp_mnist.py
(on a cluster: ember launch --hostfile hosts --nnodes 4 --nproc-per-node 8 examples/ddp_mnist.py)
Each rank trains on its DistributedSampler share of every epoch; DDP averages the gradients, so
the ranks keep identical weights and a global batch of 64 (32 per rank on 2 ranks) trains as one
process on batches of 64 would. Without a dataset at --data it uses the 8x8 digits shipped inside
ember, upsampled to 28x28 (see mlp_mnist.py), so it runs offline.
"""

import argparse
import os

from mlp_mnist import load

import ember as torch
import ember.distributed as dist
from ember import nn, optim
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, TensorDataset
from ember.utils.data.distributed import DistributedSampler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="~/.ember/data")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64, help="global batch, over all ranks")
    args = p.parse_args()
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    (xtr, ytr), (xte, yte) = load(os.path.expanduser(args.data), fashion=False)
    train_set = TensorDataset(xtr, ytr)
    sampler = DistributedSampler(train_set, shuffle=True, seed=0)
    train = DataLoader(train_set, batch_size=args.batch_size // world, sampler=sampler)
    model = DDP(nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                              nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
                              nn.LogSoftmax(dim=1)))
    criterion = nn.NLLLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.03, momentum=0.9)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        total = torch.zeros(2)  # summed loss, batches
        for images, labels in train:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            total += torch.tensor([loss.item(), 1.0])
        dist.all_reduce(total)  # the mean loss over every rank's batches
        model.eval()
        with torch.no_grad():
            correct = (model.module(xte).argmax(1) == yte).sum().item()
        if rank == 0:
            print(f"epoch {epoch + 1}: training loss {total[0].item() / total[1].item():.3f}, "
                  f"test accuracy {correct / len(yte):.3f} ({world} ranks)", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
