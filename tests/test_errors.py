"""torch's exceptions for the mistakes first users make, replayed on ember.

Each vector in tests/data/error_vectors.json (made from torch 2.13 by
tools/gen_error_vectors.py) is a snippet exec()'d with `torch` bound to ember (and `nn`, `F` to
ember.nn and ember.nn.functional): ember must raise the same exception type with the same text,
or nothing where torch raised nothing. A snippet whose API ember does not have yet (nn, optim,
DataLoader, ...) is skipped, naming what is missing, and runs as soon as that API lands.
"""

import importlib
import json
import os
import re
import warnings

import pytest

import ember

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "data", "error_vectors.json")) as _f:
    VECTORS = json.load(_f)

# Vectors that fail for a known reason outside the core; each names the file that owns the fix.
KNOWN = {}


def _module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _on_ember(code):
    """The snippet with its `from torch... import` lines pointed at ember (the real torch, the
    oracle, is importable in this process too)."""
    return re.sub(r"\bfrom torch(?=[.\s])", "from ember", code)


def _namespace():
    nn = _module("ember.nn")
    return {"torch": ember, "nn": nn,
            "F": _module("ember.nn.functional") if nn is not None else None}


def _missing(code):
    """The names a snippet uses that ember does not provide yet."""
    ns = _namespace()
    missing = []
    for prefix, owner in (("torch", "ember"), ("nn", "ember.nn"), ("F", "ember.nn.functional")):
        mod = ns[prefix]
        for name in re.findall(rf"(?<![\w.]){prefix}\.(\w+)", code):
            if mod is None or not hasattr(mod, name) and _module(f"{owner}.{name}") is None:
                missing.append(f"{owner}.{name}")
    for dotted in re.findall(r"from (torch(?:\.\w+)+) import (\w+)", code):
        mod = _module("ember" + dotted[0][len("torch"):])
        if mod is None or not hasattr(mod, dotted[1]):
            missing.append(dotted[0].replace("torch", "ember") + "." + dotted[1])
    return sorted(set(missing))


def _cases():
    for case in VECTORS["cases"]:
        marks = []
        if case["id"] in KNOWN:
            marks.append(pytest.mark.xfail(reason=KNOWN[case["id"]], strict=True))
        yield pytest.param(case, id=case["id"], marks=marks)


def _strip_cpp_suffix(msg):
    return re.sub(r" \(Triggered internally at [^)]*\)$", "", msg)


def test_vectors_are_torch_2_13_cpu():
    assert VECTORS["torch_version"].startswith("2.13")
    assert VECTORS["cuda_available"] is False
    assert len(VECTORS["cases"]) >= 80


@pytest.mark.parametrize("case", list(_cases()))
def test_error_vector(case):
    missing = _missing(case["code"])
    assert not missing, "ember lacks " + ", ".join(missing)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(_on_ember(case["code"]), _namespace())
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            got = (type(e).__name__, str(e))
        else:
            got = None
    want = (case["type"], case["message"]) if case["raises"] else None
    assert got == want


def _warning_cases():
    for case in VECTORS["warnings"]:
        marks = []
        if case["id"] in KNOWN:
            marks.append(pytest.mark.xfail(reason=KNOWN[case["id"]], strict=True))
        yield pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", list(_warning_cases()))
def test_warning_vector(case):
    missing = _missing(case["code"])
    assert not missing, "ember lacks " + ", ".join(missing)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(_on_ember(case["code"]), _namespace())
    got = [(w.category.__name__, _strip_cpp_suffix(str(w.message))) for w in caught]
    want = [(w["category"], _strip_cpp_suffix(w["message"])) for w in case["warnings"]]
    assert got == want
