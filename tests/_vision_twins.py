"""torch twins of ember.vision.models for tests that need one: torchvision is not installed
where these tests run, so the twin is ember's own model source (the same architecture,
tests/test_models.py checks it against torchvision's state_dict layout) executed with its
imports pointed at torch, and the pretrained-weights plumbing replaced by a plain build."""

import os
import re
import sys
import types

import ember


def _api():
    mod = types.ModuleType("_vision_twins_api")

    class Weights:
        def __init__(self, *args, **kwargs):
            pass

    mod.Weights = Weights
    mod._enum = lambda name, **entries: types.SimpleNamespace(**dict.fromkeys(entries))
    mod._build = lambda fn, enum, legacy, weights, progress, args, kwargs, remap=None: fn(
        **kwargs)
    return mod


def twin(family):
    """The module `ember/vision/models/<family>.py` built against torch (torch must import)."""
    path = os.path.join(os.path.dirname(ember.__file__), "vision", "models", family + ".py")
    with open(path, encoding="utf-8") as f:
        src = f.read()
    src = src.replace("from ... import nn", "from torch import nn")
    src = re.sub(r"from \.\.\.nn import (\w+)", r"from torch.nn import \1", src)
    src = src.replace("from ...ops.shape import", "from torch import")
    src = src.replace("from ._api import", "from _vision_twins_api import")
    sys.modules.setdefault("_vision_twins_api", _api())
    mod = types.ModuleType("twin_" + family)
    exec(compile(src, path, "exec"), mod.__dict__)
    return mod
