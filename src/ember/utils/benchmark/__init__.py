"""torch.utils.benchmark on ember: `Timer` (timeit, blocked_autorange, adaptive_autorange),
`Measurement` and `Compare`, laid out as torch's package (utils/common.py, timer.py, compare.py)
so that objects print with the same module path shape: ember's own classes say
`ember.utils.benchmark.utils.common.Measurement`, where torch's say `torch.utils...`, because
the object is ember's (its pickle names that path) and repr names an object's real class.
`Timer` runs its statement in a namespace where `torch` is ember."""

from ..._compat import module_getattr as _module_getattr
from .utils.common import (  # noqa: F401
    Measurement,
    TaskSpec,
    ordered_unique,
    select_unit,
    set_torch_threads,
    trim_sigfig,
    unit_to_english,
)
from .utils.compare import Colorize, Compare  # noqa: F401
from .utils.timer import Language, Timer, timer  # noqa: F401

__all__ = ["TaskSpec", "Measurement", "select_unit", "unit_to_english", "trim_sigfig",
           "ordered_unique", "set_torch_threads", "Timer", "timer", "Language", "Colorize",
           "Compare"]
__getattr__ = _module_getattr(__name__)  # torch's names ember lacks say so
