"""One place for arguments ember does not honour.

Every public function either honours each argument it accepts or refuses a non-default value
with `unsupported(...)`, which raises `NotImplementedError("ember does not implement
torch.X(arg=...) yet")`. An argument is never accepted and silently ignored
(tests/test_signatures.py scans every public signature for parameters the body never reads).
"""


class EmberNotImplementedError(NotImplementedError):
    """A torch argument value or API that ember does not provide (yet)."""


def unsupported(api, arg, value=None):
    """Raises the refusal for `api(arg=value)`; `api` is torch's name, e.g. 'torch.save'."""
    shown = "..." if value is None else _short(value)
    raise EmberNotImplementedError(f"ember does not implement {api}({arg}={shown}) yet")


def refuse_if(api, arg, value, default=None):
    """Refuses `value` unless it equals the default (compared with `is` for None/bools)."""
    if value is default:
        return
    if default is not None and not isinstance(default, bool) and value == default:
        return
    unsupported(api, arg, value)


def _short(value):
    r = repr(value)
    return r if len(r) <= 40 else r[:37] + "..."
