"""Model-library code: TorchScript decorators and checks, torch.compile, assert_close."""
from typing import Optional

import torch
import torch.nn as nn
from torch.testing import assert_close


class Block(nn.Module):
    use_scale: torch.jit.Final[bool]

    def __init__(self, dim):
        super().__init__()
        self.use_scale = True
        self.fc = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)

    @torch.jit.ignore
    def no_weight_decay(self):
        return {"norm.weight"}

    @torch.jit.unused
    def debug(self, x):
        return x.sum()

    def forward(self, x, mask: Optional[torch.Tensor] = None):
        torch._assert(x.shape[-1] == self.fc.in_features, "bad width")
        if not torch.jit.is_scripting() and not torch.jit.is_tracing():
            x = x * 1.0
        y = self.norm(self.fc(x))
        if mask is not None:
            y = y * mask
        return y


torch.manual_seed(0)
m = Block(8).eval()
x = torch.randn(3, 8)
ref = m(x)
print(sorted(m.no_weight_decay()), torch.jit.is_scripting())
scripted = torch.jit.script(m)
compiled = torch.compile(m, backend="eager")  # dynamo without a C++ build
traced = torch.jit.trace(m, (x,))
for f in (scripted, compiled, traced):
    assert_close(f(x), ref)
try:
    assert_close(ref + 1e-3, ref)
except AssertionError as e:
    print(str(e).splitlines()[0])
    print(str(e).splitlines()[2])
print(f"{ref.abs().sum().item():.4f}")
try:
    m(torch.randn(3, 4))
except Exception as e:
    print(type(e).__name__, e)
