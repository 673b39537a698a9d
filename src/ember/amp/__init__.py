"""torch.amp: autocast (mixed precision regions) and GradScaler (loss scaling).

Design of the autocast hook: torch casts at its dispatcher; ember has none, so each op on
torch's CPU autocast lists (ATen's autocast_mode.cpp: "lower_precision_fp", "fp32", "promote")
starts with one line, `if _amp.on and _amp.active(): return _amp.lower(op, ...)` (or `fp32`,
`promote`). `_hook.on` is a plain module flag, True only while some thread has CPU autocast
enabled, so with autocast off an op pays one attribute read. When it is on, `active()` reads the
per-thread state (autocast state is thread-local, as torch's) and the policy casts the eligible
tensor arguments (floating, on the CPU, not float64) and calls the op again with autocast
excluded, so the ops it is built from run as their inputs are. Casts of float32 leaf weights that
require grad are cached for the region (torch's weight cache, `cache_enabled`), cleared when the
outermost autocast exits. Where ember's composition differs from torch's, the hook follows
torch's: einsum casts only when it contracts across operands (torch's bmm), a full tensordot,
matrix_exp, lu_solve and bilinear run as their inputs are (`plain`: torch reaches no listed op,
ember's matmul inside must not cast), and the fused RNN/LSTM kernels take inputs rounded to the
autocast dtype and return it (`lower_fused`, as torch's oneDNN layer). Only CPU autocast changes
results; the other device types keep their state only (ember has no CUDA op lists).
The modules load on first use, so the ops can import `_hook` while `import ember` runs.
"""

from .._compat import module_getattr as _module_getattr

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
__getattr__ = _module_getattr(__name__, {
    "autocast": (".autocast_mode", "autocast"), "custom_fwd": (".autocast_mode", "custom_fwd"),
    "custom_bwd": (".autocast_mode", "custom_bwd"),
    "is_autocast_available": (".autocast_mode", "is_autocast_available"),
    "_enter_autocast": (".autocast_mode", "_enter_autocast"),
    "_exit_autocast": (".autocast_mode", "_exit_autocast"),
    "GradScaler": (".grad_scaler", "GradScaler"), "autocast_mode": (".autocast_mode", None),
    "grad_scaler": (".grad_scaler", None)})
