"""A profiled inference step as the profiler recipe writes it."""
import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile, record_function

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))
inputs = torch.randn(5, 32)
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        model(inputs)
names = {e.key for e in prof.key_averages()}
for n in ("model_inference", "aten::linear", "aten::addmm", "aten::relu"):
    print(n, n in names)
calls = {e.key: e.count for e in prof.key_averages()}
print("linear calls", calls["aten::linear"], "relu calls", calls["aten::relu"])
table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=5)
print(table.splitlines()[1].split())
print(table.splitlines()[-1].split(":")[0])
shapes = {e.key: e.input_shapes for e in prof.key_averages(group_by_input_shape=True)}
print("addmm shapes", shapes["aten::addmm"])
