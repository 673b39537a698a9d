"""torch.Generator's printed form and the rest of its methods, against torch 2.13 on a CPU-only
machine: repr/str, manual_seed's argument checks, clone_state, graphsafe_*, offsets, pickling."""

import copy
import pickle
import re

import numpy as np
import pytest

import ember
from oracle import requires_torch, torch


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001 - the type and text are what is compared
        return type(e).__name__, str(e)
    if type(r).__name__ in ("Generator", "Tensor"):
        return "ok", type(r).__name__
    return "ok", str(r)


def test_repr_is_torchs_text_with_ember_address():
    g = ember.Generator()
    assert repr(g) == f"<torch._C.Generator object at {id(g):#x}>"
    assert str(g) == repr(g)
    assert re.fullmatch(r"<torch\._C\.Generator object at 0x[0-9a-f]+>", repr(
        ember.default_generator))


@requires_torch
def test_repr_matches_torch_form():
    t, e = torch.Generator(), ember.Generator()
    assert repr(e) == repr(t).replace(f"{id(t):#x}", f"{id(e):#x}")
    assert repr(ember.manual_seed(1)) == repr(torch.manual_seed(1)).replace(
        f"{id(torch.default_generator):#x}", f"{id(ember.default_generator):#x}")


CASES = {
    "clone_state": lambda L, g: g.clone_state(),
    "graphsafe_get_state": lambda L, g: g.graphsafe_get_state(),
    "graphsafe_set_state": lambda L, g: g.graphsafe_set_state(g),
    "get_offset": lambda L, g: g.get_offset(),
    "set_offset": lambda L, g: g.set_offset(3),
    "manual_seed_returns_self": lambda L, g: g.manual_seed(3) is g,
    "manual_seed_str": lambda L, g: g.manual_seed("a"),
    "manual_seed_float": lambda L, g: g.manual_seed(1.5),
    "manual_seed_bool": lambda L, g: g.manual_seed(True),
    "manual_seed_tensor": lambda L, g: g.manual_seed(L.tensor(7)),
    "manual_seed_np_int": lambda L, g: g.manual_seed(np.int64(3)),
    "manual_seed_np_float": lambda L, g: g.manual_seed(np.float64(3)),
    "manual_seed_too_big": lambda L, g: g.manual_seed(2 ** 64),
    "manual_seed_negative": lambda L, g: g.manual_seed(-1).initial_seed(),
    "manual_seed_2_63": lambda L, g: g.manual_seed(2 ** 63).initial_seed(),
    "set_state_list": lambda L, g: g.set_state([1]),
    "set_state_none": lambda L, g: g.set_state(None),
    "set_state_float": lambda L, g: g.set_state(L.zeros(3)),
    "set_state_short": lambda L, g: g.set_state(L.zeros(3, dtype=L.uint8)),
    "device": lambda L, g: g.device,
    "initial_seed_default": lambda L, g: L.Generator().initial_seed(),
    "device_cuda": lambda L, g: L.Generator("cuda"),
    "device_cuda_kw": lambda L, g: L.Generator(device="cuda:0"),
    "device_mps": lambda L, g: L.Generator("mps"),
    "device_xpu": lambda L, g: L.Generator("xpu"),
    "device_meta": lambda L, g: L.Generator("meta"),
    "device_bad": lambda L, g: L.Generator("foo"),
    "device_int": lambda L, g: L.Generator(0),
    "device_none": lambda L, g: L.Generator(None).device,
    "device_obj": lambda L, g: L.Generator(L.device("cpu")).device,
    "device_cpu1": lambda L, g: L.Generator("cpu:1").device,
    "two_args": lambda L, g: L.Generator("cpu", "x"),
    "bad_kw": lambda L, g: L.Generator(bogus=1),
    "cdata": lambda L, g: isinstance(g._cdata, int),
    "state_dtype": lambda L, g: g.get_state().dtype,
    "global_seed_bool": lambda L, g: L.manual_seed(True).initial_seed(),
    "global_seed_tensor": lambda L, g: L.manual_seed(L.tensor(9)).initial_seed(),
    "global_seed_str": lambda L, g: L.manual_seed("x"),
    "global_set_state_list": lambda L, g: L.set_rng_state([1]),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(CASES))
def test_generator_behaviour_matches_torch(case):
    fn = CASES[case]
    try:
        t = _outcome(lambda: fn(torch, torch.Generator().manual_seed(5)))
        e = _outcome(lambda: fn(ember, ember.Generator().manual_seed(5)))
    finally:
        torch.manual_seed(0)
        ember.manual_seed(0)
    assert e == t


@requires_torch
def test_clone_state_copies_the_stream_without_advancing():
    for lib in (torch, ember):
        g = lib.Generator().manual_seed(11)
        lib.rand(5, generator=g)
        c = g.clone_state()
        assert c is not g and c.initial_seed() == 11
        assert lib.rand(4, generator=c).tolist() == lib.rand(4, generator=g).tolist()
    t = torch.Generator().manual_seed(11)
    torch.rand(5, generator=t)
    e = ember.Generator().manual_seed(11)
    ember.rand(5, generator=e)
    assert ember.rand(3, generator=e.clone_state()).tolist() == torch.rand(
        3, generator=t.clone_state()).tolist()


@requires_torch
def test_pickle_form_and_round_trip_match_torch():
    t = torch.Generator().manual_seed(21)
    e = ember.Generator().manual_seed(21)
    torch.randn(3, generator=t)
    ember.randn(3, generator=e)
    t_red, e_red = t.__reduce__(), e.__reduce__()
    assert str(e_red[1][0]) == str(t_red[1][0]) == "cpu"
    assert e_red[2][:2] == t_red[2][:2]
    assert e_red[2][2].tolist() == t_red[2][2].tolist()
    for clone in (pickle.loads(pickle.dumps(e)), copy.deepcopy(e)):
        assert clone.initial_seed() == 21
        assert clone.get_state().tolist() == e.get_state().tolist()
    again = pickle.loads(pickle.dumps(e))
    assert ember.rand(4, generator=again).tolist() == torch.rand(4, generator=t).tolist()


def test_seed_returns_the_new_initial_seed():
    g = ember.Generator()
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s and 0 <= s < 2 ** 64
