"""Train the course's CIFAR-10 CNN briefly, export it to ONNX, and run the file in ONNX Runtime.

Run: python examples/onnx_export_cnn.py [--data ROOT] [--out cnn.onnx]. Uses CIFAR-10 under
ROOT when present, else synthetic images (see cnn_cifar10.py). Needs the onnx extra
(pip install ember[onnx]) and onnxruntime to check the exported file.
"""

import argparse
import os

import numpy as np
from cnn_cifar10 import Net, load

import ember as torch
from ember import nn, optim
from ember.utils.data import DataLoader, TensorDataset


def train(model, x, y, steps):
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    step = 0
    while step < steps:
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            step += 1
            if step % 10 == 0:
                print(f"step {step}: loss {loss.item():.4f}")
            if step == steps:
                break


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="~/.ember/data")
    p.add_argument("--out", default="cnn.onnx")
    p.add_argument("--steps", type=int, default=30)
    args = p.parse_args()
    torch.manual_seed(0)
    x, y = load(os.path.expanduser(args.data), n=256)
    model = Net()
    train(model, x, y, args.steps)

    model.eval()
    example = x[:4]
    torch.onnx.export(model, (example,), args.out, input_names=["images"],
                      output_names=["logits"],
                      dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
    print(f"exported {args.out} ({os.path.getsize(args.out) // 1024} KiB)")

    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not installed: skipping the check")
        return
    session = ort.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    batch = x[:10]  # another batch size than the traced one: the batch axis is dynamic
    (got,) = session.run(None, {"images": batch.numpy()})
    with torch.no_grad():
        want = model(batch).numpy()
    print(f"onnxruntime vs ember: max abs difference {np.abs(got - want).max():.2e}")
    assert np.allclose(got, want, rtol=1e-5, atol=1e-5)


if __name__ == "__main__":
    main()
