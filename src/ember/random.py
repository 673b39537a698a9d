"""ember.random: seeding and state of the global CPU generator (matches torch.random)."""

import contextlib

from ._compat import module_getattr as _module_getattr
from ._random import Generator, default_generator

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng",
           "default_generator", "Generator"]
__getattr__ = _module_getattr(__name__)


def manual_seed(seed):
    """Matches torch.manual_seed: only the low 32 bits reach the engine; returns the generator."""
    return default_generator.manual_seed(int(seed))


def seed():
    """Matches torch.seed: reseed non-deterministically and return the 64-bit seed."""
    return default_generator.seed()


def initial_seed():
    """Matches torch.initial_seed."""
    return default_generator.initial_seed()


def get_rng_state():
    """Matches torch.get_rng_state: torch's 5,056-byte uint8 state."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Matches torch.set_rng_state."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Matches torch.random.fork_rng: the CPU generator's state is restored on exit (ember's
    CUDA tensors draw from the CPU generator, so there is no device state to fork)."""
    if not enabled:
        yield
        return
    state = default_generator._get_state_array()
    try:
        yield
    finally:
        default_generator._set_state_array(state)
