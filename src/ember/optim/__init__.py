"""ember.optim: torch's optimizers and learning-rate schedulers, updating arrays in place."""

from .._compat import module_getattr as _module_getattr
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "SGD", "SparseAdam", "lr_scheduler", "swa_utils"]
# swa_utils needs ember.nn: it loads on first use
__getattr__ = _module_getattr(__name__, {"swa_utils": (".swa_utils", None)})
