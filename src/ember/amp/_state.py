"""torch's top-level autocast state functions (torch.is_autocast_enabled, set_autocast_dtype, ...).

The state itself lives in `_hook` (per thread, as torch's); these are the checked public doors,
with torch's argument errors and the DeprecationWarnings of the per-device legacy spellings.
"""

import warnings

from . import _hook

__all__ = ["is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
           "set_autocast_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "get_autocast_cpu_dtype", "get_autocast_gpu_dtype", "get_autocast_ipu_dtype",
           "get_autocast_xla_dtype", "set_autocast_cpu_dtype", "set_autocast_gpu_dtype",
           "set_autocast_ipu_dtype", "set_autocast_xla_dtype", "is_autocast_cpu_enabled",
           "is_autocast_ipu_enabled", "is_autocast_xla_enabled", "set_autocast_cpu_enabled",
           "set_autocast_ipu_enabled", "set_autocast_xla_enabled"]

_NO_KEY = "unknown device type for autocast in get_autocast_dispatch_key_from_device_type"


def _kind(api, value, position=1):
    if not isinstance(value, str):
        raise TypeError(f"{api}(): argument 'device_type' (position {position}) must be str, "
                        f"not {type(value).__name__}")
    return _hook.device_type(value)


def _check_bool(api, value, position):
    if not isinstance(value, bool):
        raise TypeError(f"{api}(): argument 'enabled' (position {position}) must be bool, not "
                        f"{type(value).__name__}")


def _check_dtype(api, value, position):
    from .._dtype import dtype
    if not isinstance(value, dtype):
        raise TypeError(f"{api}(): argument 'dtype' (position {position}) must be torch.dtype, "
                        f"not {type(value).__name__}")


def _with_key(kind):
    if kind not in _hook.AVAILABLE:
        raise RuntimeError(_NO_KEY)
    return kind


def is_autocast_enabled(device_type="cuda"):
    """With no argument, the CUDA state (torch's legacy form)."""
    kind = _with_key(_kind("is_autocast_enabled", device_type))
    return _hook.state.enabled.get(kind, False)


def set_autocast_enabled(device_type, enabled=None):
    """set_autocast_enabled(device_type, enabled), or the legacy set_autocast_enabled(enabled)."""
    if enabled is None and isinstance(device_type, bool):
        device_type, enabled = "cuda", device_type
    elif enabled is None:
        _check_bool("set_autocast_enabled", device_type, 1)
    _check_bool("set_autocast_enabled", enabled, 2)
    _hook.set_enabled(_with_key(_kind("set_autocast_enabled", device_type)), enabled)


def get_autocast_dtype(device_type):
    return _hook.get_dtype(_kind("get_autocast_dtype", device_type))


def set_autocast_dtype(device_type, dtype):
    kind = _kind("set_autocast_dtype", device_type)
    _check_dtype("set_autocast_dtype", dtype, 2)
    _hook.state.dtype[_with_key(kind)] = dtype


def is_autocast_cache_enabled():
    return _hook.state.cache_enabled


def set_autocast_cache_enabled(enabled):
    if not isinstance(enabled, bool):
        raise TypeError(f"enabled must be a bool (got {type(enabled).__name__})")
    _hook.state.cache_enabled = enabled


def clear_autocast_cache():
    _hook.clear_cache()


def autocast_increment_nesting():
    _hook.state.nesting += 1
    return _hook.state.nesting


def autocast_decrement_nesting():
    _hook.state.nesting -= 1
    return _hook.state.nesting


def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.",
                  DeprecationWarning, stacklevel=3)


def _legacy_get(kind):
    def get():
        _deprecated(f"get_autocast_{_name(kind)}_dtype()", f"get_autocast_dtype('{kind}')")
        return _hook.get_dtype(kind)
    get.__name__ = f"get_autocast_{_name(kind)}_dtype"
    return get


def _legacy_set_dtype(kind):
    def set_dtype(dtype):
        _deprecated(f"set_autocast_{_name(kind)}_dtype(dtype)",
                    f"set_autocast_dtype('{kind}', dtype)")
        _check_dtype(f"set_autocast_{_name(kind)}_dtype", dtype, 1)
        _hook.state.dtype[kind] = dtype
    set_dtype.__name__ = f"set_autocast_{_name(kind)}_dtype"
    return set_dtype


def _legacy_is_enabled(kind):
    def is_enabled():
        _deprecated(f"is_autocast_{kind}_enabled()", f"is_autocast_enabled('{kind}')")
        return _hook.state.enabled.get(kind, False)
    is_enabled.__name__ = f"is_autocast_{kind}_enabled"
    return is_enabled


def _legacy_set_enabled(kind):
    def set_enabled(enabled):
        _deprecated(f"set_autocast_{kind}_enabled(enabled)",
                    f"set_autocast_enabled('{kind}', enabled)")
        _check_bool(f"set_autocast_{kind}_enabled", enabled, 1)
        _hook.set_enabled(kind, enabled)
    set_enabled.__name__ = f"set_autocast_{kind}_enabled"
    return set_enabled


def _name(kind):
    return "gpu" if kind == "cuda" else kind


get_autocast_cpu_dtype = _legacy_get("cpu")
get_autocast_gpu_dtype = _legacy_get("cuda")
get_autocast_ipu_dtype = _legacy_get("ipu")
get_autocast_xla_dtype = _legacy_get("xla")
set_autocast_cpu_dtype = _legacy_set_dtype("cpu")
set_autocast_gpu_dtype = _legacy_set_dtype("cuda")
set_autocast_ipu_dtype = _legacy_set_dtype("ipu")
set_autocast_xla_dtype = _legacy_set_dtype("xla")
is_autocast_cpu_enabled = _legacy_is_enabled("cpu")
is_autocast_ipu_enabled = _legacy_is_enabled("ipu")
is_autocast_xla_enabled = _legacy_is_enabled("xla")
set_autocast_cpu_enabled = _legacy_set_enabled("cpu")
set_autocast_ipu_enabled = _legacy_set_enabled("ipu")
set_autocast_xla_enabled = _legacy_set_enabled("xla")
