"""Shape reasoning on the meta device, then materialising the model on the CPU."""
import torch
import torch.nn as nn

with torch.device("meta"):
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    x = torch.randn(4, 3, 32, 32)
print(model[0].weight.device, x.device, torch.get_default_device())
print(model[5].bias)
out = model(x)
print(out.shape, out.dtype, out.device)
print(out)
n = sum(p.numel() for p in model.parameters())
print("parameters:", n)
model = model.to_empty(device="cpu")
torch.manual_seed(0)
for m in model.modules():
    if hasattr(m, "reset_parameters"):
        m.reset_parameters()
print(model[0].weight.device, f"{model(torch.ones(1, 3, 8, 8)).sum().item():.4f}")
torch.set_default_device("meta")
print(torch.zeros(2).device, torch.get_default_device())
torch.set_default_device("cpu")
print(torch.zeros(2).device)
