"""torch.utils._pytree, torch.hub / torch.utils.model_zoo and torch.futures against torch."""

import collections
import functools
import hashlib
import http.server
import os
import threading
import warnings

import pytest

import ember
from ember.utils import _pytree as P
from oracle import requires_torch, torch

NT = collections.namedtuple("NT", "p q")


def _trees(L):
    return [
        {"b": (1, [2, None]), "a": collections.OrderedDict(x=3), "c": NT(4, 5),
         "d": collections.deque([6]), "e": collections.defaultdict(int, {"k": 7})},
        [], (), {}, 1, None, [(1,), {"z": [2, 3]}],
        L.max(L.tensor([[1.0, 3.0], [2.0, 0.0]]), 0),
    ]


def _norm(x):
    """Leaves comparable across the two frameworks."""
    return x.tolist() if hasattr(x, "tolist") and not isinstance(x, (list, tuple)) else x


@requires_torch
@pytest.mark.parametrize("i", range(8))
def test_flatten_spec_and_roundtrip(i):
    import torch.utils._pytree as T
    e_tree, t_tree = _trees(ember)[i], _trees(torch)[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        el, es = P.tree_flatten(e_tree)
        tl, ts = T.tree_flatten(t_tree)
        assert [_norm(x) for x in el] == [_norm(x) for x in tl]
        assert repr(es) == repr(ts) and str(es) == str(ts)
        assert (es.num_leaves, es.num_nodes, es.num_children, es.is_leaf()) == \
            (ts.num_leaves, ts.num_nodes, ts.num_children, ts.is_leaf())
        assert P.treespec_pprint(es) == T.treespec_pprint(ts)
        assert repr(P.tree_unflatten(el, es)) == repr(e_tree)
        assert P.tree_leaves(e_tree) == el and list(P.tree_iter(e_tree)) == el
        assert P.tree_structure(e_tree) == es


@requires_torch
def test_map_variants_and_errors():
    import torch.utils._pytree as T
    for M in (P, T):
        assert M.tree_map(lambda a, b: a + b, (1, [2]), (10, [20])) == (11, [22])
        assert M.tree_map(lambda x, y: [x] + y, [5, 6], [[7, 9], [1, 2]]) == [[5, 7, 9],
                                                                               [6, 1, 2]]
        assert M.tree_map_only(int, lambda x: x * 2, (1, "a", 2.0)) == (2, "a", 2.0)
        assert M.tree_map(lambda x: x is None, {"x": 7, "z": None}) == {"x": False, "z": True}
        assert M.tree_all(lambda x: x > 0, [1, (2,)]) and not M.tree_any(lambda x: x > 5, [1])
        assert M.tree_any_only(str, lambda s: s == "a", [1, "a"])
        assert M.tree_leaves((1, (2, 3)), is_leaf=lambda x: isinstance(x, tuple) and
                             len(x) == 2) == [(1, (2, 3))]
        assert M.tree_is_leaf(None) and not M.tree_is_leaf({"a": 1})
        seen = []
        assert M.tree_map_(seen.append, [1, [2]]) == [1, [2]] and seen == [1, 2]
    cases = [lambda M: M.tree_map(lambda a, b: a + b, (1, [2]), (10, 20)),
             lambda M: M.tree_map(lambda a, b: a, [1, 2], [1]),
             lambda M: M.tree_map(lambda a, b: a, {"a": 1}, {"b": 1}),
             lambda M: M.tree_unflatten([1], M.tree_structure((1, 2))),
             lambda M: M.register_pytree_node(list, None, None)]
    for case in cases:
        with pytest.raises(Exception) as ee:
            case(P)
        with pytest.raises(Exception) as te:
            case(T)
        assert (type(ee.value), str(ee.value)) == (type(te.value), str(te.value))


def test_register_custom_node():
    class Point:
        def __init__(self, x, y):
            self.x, self.y = x, y

    P.register_pytree_node(Point, lambda p: ([p.x, p.y], None), lambda c, _: Point(*c))
    leaves, spec = P.tree_flatten([Point(1, 2), 3])
    assert leaves == [1, 2, 3]
    back = P.tree_unflatten([10, 20, 30], spec)
    assert (back[0].x, back[0].y, back[1]) == (10, 20, 30)
    assert repr(spec).startswith("TreeSpec(list, None, [TreeSpec(Point, None, [*,")


# ---------------------------------------------------------------- hub
@pytest.fixture
def server(tmp_path):
    root = tmp_path / "srv"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(handler.func):
        def log_message(self, *a):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(
        Quiet, directory=str(root)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_hub_dirs(monkeypatch, tmp_path):
    from ember import hub
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HUB", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    if torch is not None:
        assert torch.hub.get_dir() == hub.get_dir()
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    hub.set_dir("~/somewhere")
    assert hub.get_dir() == os.path.expanduser("~/somewhere")


def test_download_and_hash(server, tmp_path):
    from ember import hub
    root, url = server
    (root / "w.bin").write_bytes(b"ember weights" * 1000)
    digest = hashlib.sha256(b"ember weights" * 1000).hexdigest()
    dst = tmp_path / "out.bin"
    hub.download_url_to_file(f"{url}/w.bin", str(dst), digest[:8], progress=False)
    assert dst.read_bytes() == b"ember weights" * 1000
    with pytest.raises(RuntimeError) as ei:
        hub.download_url_to_file(f"{url}/w.bin", str(tmp_path / "bad"), "0000", progress=False)
    assert str(ei.value) == f'invalid hash value (expected "0000", got "{digest}")'
    assert not (tmp_path / "bad").exists() and not any(p.name.endswith(".partial")
                                                       for p in tmp_path.iterdir())


def test_load_state_dict_from_url_cache_layout(server, tmp_path, monkeypatch, capfd):
    from ember import hub
    root, url = server
    sd = {"w": ember.arange(4.0)}
    ember.save(sd, str(root / "tmp.pt"))
    digest = hashlib.sha256((root / "tmp.pt").read_bytes()).hexdigest()
    name = f"net-{digest[:8]}.pth"
    os.rename(root / "tmp.pt", root / name)
    monkeypatch.setattr(hub, "_hub_dir", str(tmp_path / "hub"))
    got = hub.load_state_dict_from_url(f"{url}/{name}", check_hash=True, progress=False)
    assert got["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    cached = tmp_path / "hub" / "checkpoints" / name
    assert cached.exists()
    assert f'Downloading: "{url}/{name}" to {cached}' in capfd.readouterr().err
    named = hub.load_state_dict_from_url(f"{url}/{name}", model_dir=str(tmp_path / "m"),
                                         file_name="x.pth", progress=False)
    assert named["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and (tmp_path / "m" / "x.pth").exists()
    (root / name).unlink()  # served no more: the cache answers
    assert ember.utils.model_zoo.load_url(f"{url}/{name}")["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    if torch is not None:  # torch reads what ember cached, from the same layout
        t = torch.hub.load_state_dict_from_url(f"{url}/{name}", model_dir=str(cached.parent))
        assert t["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_hub_load_refused():
    with pytest.raises(NotImplementedError, match=r"torch.hub.load\(repo_or_dir="):
        ember.hub.load("pytorch/vision", "resnet18")
    with pytest.raises(NotImplementedError, match=r"torch.hub.list"):
        ember.hub.list("pytorch/vision")


# ---------------------------------------------------------------- futures
def _future_story(F):
    out = []
    f = F.Future()
    out.append(f.done())
    f.set_result(5)
    out += [f.done(), f.wait(), f.value()]
    for bad in (lambda: f.set_result(6), lambda: F.Future().set_exception(5),
                lambda: F.Future().value()):
        try:
            bad()
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    g = F.Future()
    h = g.then(lambda fut: fut.wait() * 2)
    g.set_result(3)
    out.append(h.wait())
    e = F.Future()
    e.set_exception(ValueError("bad"))
    for get in (e.wait, e.value, lambda: F.wait_all([f, e])):
        try:
            get()
        except ValueError as x:
            out.append(str(x))
    k = F.Future()
    m = k.then(lambda fut: 1 / 0)
    k.set_result(1)
    try:
        m.wait()
    except RuntimeError as x:
        out.append(str(x).split("\n")[0])
    seen = []
    q = F.Future()
    q.add_done_callback(lambda fut: seen.append(fut.value()))
    q.set_result(9)
    q.add_done_callback(lambda fut: seen.append(1))
    out.append(seen)
    out.append(F.wait_all([f, g]))
    c = F.collect_all([f, g])
    out.append([x.value() for x in c.wait()])
    out.append(type(c.wait()).__name__)
    try:
        F.Future(devices=["cpu"])
    except ValueError as x:
        out.append(str(x))
    return out


@requires_torch
def test_futures_as_torch():
    assert _future_story(ember.futures) == _future_story(torch.futures)


def test_future_wait_blocks_until_another_thread_sets():
    f = ember.futures.Future()
    threading.Timer(0.05, f.set_result, args=(42,)).start()
    assert f.wait() == 42
