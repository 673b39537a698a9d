"""A training loop written as nanoGPT-style scripts are: a context from torch.amp.autocast, a
GradScaler enabled only for float16, bfloat16 autocast on the CPU."""
from contextlib import nullcontext

import torch
import torch.nn as nn

torch.manual_seed(0)
device_type = "cpu"
for dtype in ("bfloat16", "float32"):
    ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    ctx = (nullcontext() if dtype == "float32"
           else torch.amp.autocast(device_type=device_type, dtype=ptdtype))
    scaler = torch.amp.GradScaler(device_type, enabled=(dtype == "float16"))
    model = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.LayerNorm(32), nn.Linear(32, 4))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    x, y = torch.randn(8, 16), torch.randint(0, 4, (8,))
    for step in range(3):
        with ctx:
            logits = model(x)
            loss = nn.functional.cross_entropy(logits, y)
        print(dtype, step, logits.dtype, loss.dtype, f"{loss.item():.2f}",
              torch.is_autocast_enabled(device_type))
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
    print("scaler enabled:", scaler.is_enabled(), "scale:", scaler.get_scale())
with torch.autocast("cpu"):
    a = torch.randn(2, 3) @ torch.randn(3, 2)
    print(a.dtype, torch.get_autocast_dtype("cpu"))
print(torch.finfo(torch.bfloat16))
print(torch.iinfo(torch.int32).max, torch.finfo(torch.float32).eps)
