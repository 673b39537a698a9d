"""torch.backends.quantized: the quantized engine setting, with torch's CPU-build values and
checks (ember has no quantized kernels; the setting is kept and read back)."""

from .._compat import module_getattr as _module_getattr
from . import ContextProp, flag_module

_IDS = {"none": 0, "": 0, None: 0, "fbgemm": 1, "qnnpack": 2, "onednn": 3, "x86": 4}
_NAMES = {0: "none", 1: "fbgemm", 2: "qnnpack", 3: "onednn", 4: "x86"}
_ENGINE = [4]
_SUPPORTED = (2, 3, 4, 1)  # torch's x86 CPU build: qnnpack, onednn, x86, fbgemm


def _set_engine(value):
    if value not in _IDS:
        raise RuntimeError(f"{value} is not a valid value for quantized engine")
    engine = _IDS[value]
    if engine not in _SUPPORTED:
        raise RuntimeError("quantized engine NoQEngine is not supported")
    _ENGINE[0] = engine


def _refuse_assignment(value):
    raise RuntimeError("Assignment not supported")


flag_module(__name__, engine=ContextProp(lambda: _NAMES[_ENGINE[0]], _set_engine),
            supported_engines=ContextProp(lambda: [_NAMES[e] for e in _SUPPORTED],
                                          _refuse_assignment))
__getattr__ = _module_getattr(__name__)
