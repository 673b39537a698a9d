"""ember.version: torch.version's fields for this build of ember (a CPU build: no CUDA/ROCm
toolkit is compiled in; a GPU is reached through CuPy when one is present, see ember.cuda)."""

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]

__version__ = "0.1.0"
debug = False
cuda = None
git_version = "unknown"
hip = None
rocm = None
xpu = None
