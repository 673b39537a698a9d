"""torch.utils._pytree: nested containers (tuple, list, dict, OrderedDict, defaultdict, deque,
namedtuple, torch.return_types) flattened to a list of leaves and a TreeSpec, and rebuilt.

Follows torch 2.13's Python pytree: the same node types and contexts, dicts keep their
insertion order, None is a leaf, TreeSpec's repr and errors are torch's. The key-path API
(tree_flatten_with_path, keystr, ...) and treespec (de)serialisation are not implemented.
"""

import dataclasses
import warnings
from collections import OrderedDict, defaultdict, deque, namedtuple

from .._compat import module_getattr as _module_getattr

__all__ = ["TreeSpec", "LeafSpec", "register_pytree_node", "tree_is_leaf", "tree_flatten",
           "tree_unflatten", "tree_iter", "tree_leaves", "tree_structure", "tree_map",
           "tree_map_", "tree_map_only", "tree_map_only_", "tree_all", "tree_any",
           "tree_all_only", "tree_any_only", "treespec_pprint", "is_namedtuple",
           "is_namedtuple_class", "is_namedtuple_instance", "is_structseq",
           "is_structseq_class", "is_structseq_instance"]


@dataclasses.dataclass(frozen=True)
class _Node:
    flatten_fn: object
    unflatten_fn: object


SUPPORTED_NODES = {}


def _register(cls, flatten_fn, unflatten_fn):
    SUPPORTED_NODES[cls] = _Node(flatten_fn, unflatten_fn)


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None,
                         to_dumpable_context=None, from_dumpable_context=None,
                         flatten_with_keys_fn=None):
    """Registers `cls` as a container: flatten_fn(node) -> (children, context) and
    unflatten_fn(children, context) -> node."""
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    from .._args import refuse_if
    api = "torch.utils._pytree.register_pytree_node"
    refuse_if(api, "to_dumpable_context", to_dumpable_context)
    refuse_if(api, "from_dumpable_context", from_dumpable_context)
    refuse_if(api, "flatten_with_keys_fn", flatten_with_keys_fn)
    _register(cls, flatten_fn, unflatten_fn)


def is_namedtuple_class(cls):
    return (isinstance(cls, type) and issubclass(cls, tuple)
            and isinstance(getattr(cls, "_fields", None), tuple)
            and all(type(f) is str for f in cls._fields)
            and callable(getattr(cls, "_make", None)) and callable(getattr(cls, "_asdict", None)))


def is_namedtuple_instance(obj):
    return is_namedtuple_class(type(obj))


def is_namedtuple(obj):
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def is_structseq_class(cls):
    """torch's C struct sequences (torch.return_types.*): ember's are named tuples defined in
    the module torch.return_types."""
    return isinstance(cls, type) and issubclass(cls, tuple) and \
        cls.__module__ == "torch.return_types"


def is_structseq_instance(obj):
    return is_structseq_class(type(obj))


def is_structseq(obj):
    return is_structseq_class(obj if isinstance(obj, type) else type(obj))


def _node_type(node):
    t = type(node)
    if is_structseq_class(t):
        return "structseq"
    if is_namedtuple_class(t):
        return namedtuple
    return t


def _dict_flatten(d):
    return list(d.values()), list(d.keys())


_register(tuple, lambda t: (list(t), None), lambda c, _: tuple(c))
_register(list, lambda t: (list(t), None), lambda c, _: list(c))
_register(dict, _dict_flatten, lambda c, k: dict(zip(k, c)))
_register(OrderedDict, _dict_flatten, lambda c, k: OrderedDict(zip(k, c)))
_register(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d.keys())]),
          lambda c, ctx: defaultdict(ctx[0], zip(ctx[1], c)))
_register(deque, lambda d: (list(d), d.maxlen), lambda c, m: deque(c, maxlen=m))
_register(namedtuple, lambda t: (list(t), type(t)), lambda c, cls: cls(*c))
_register("structseq", lambda t: (list(t), type(t)), lambda c, cls: cls._make(c))
_DICTS = (dict, OrderedDict, defaultdict)


class TreeSpec:
    """The structure of a pytree: its node type, context and children's specs."""

    __slots__ = ("_type", "_context", "_children", "num_nodes", "num_leaves", "num_children")

    def __init__(self, type, context, children_specs):
        self._type, self._context, self._children = type, context, list(children_specs)
        self.num_children = len(self._children)
        self.num_leaves = sum(c.num_leaves for c in self._children) if type is not None else 1
        self.num_nodes = 1 + sum(c.num_nodes for c in self._children)

    @property
    def type(self):
        return self._context if self._type == "structseq" else self._type

    @property
    def context(self):
        return None if self._type == "structseq" else self._context

    @property
    def children_specs(self):
        warnings.warn("`treespec.children_specs` is deprecated. Use `treespec.child(index)` to "
                      "access a single child, or `treespec.children()` to get all children.",
                      FutureWarning, stacklevel=2)
        return self._children

    def is_leaf(self):
        return self.num_nodes == 1 and self.num_leaves == 1

    def children(self):
        return list(self._children)

    def child(self, index):
        return self._children[index]

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (self._type == other._type and self._context == other._context
                and self._children == other._children)

    __hash__ = None

    def __repr__(self, indent=0):
        if self.is_leaf():
            return "*"
        name = self.type.__name__
        out = f"TreeSpec({name}, {self.context}, ["
        if self.num_children:
            indent += 2
            out += self._children[0].__repr__(indent)
            out += "," if self.num_children > 1 else ""
            out += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self._children[1:])
        return out + "])"

    def flatten_up_to(self, tree):
        """The subtrees of `tree` at this spec's leaves (tree must have this spec as a
        prefix)."""
        out = []
        self._up_to(tree, out)
        return out

    def _up_to(self, node, out):
        if self.is_leaf():
            out.append(node)
            return
        t = _node_type(node)
        both_dicts = self._type in _DICTS and t in _DICTS
        if not both_dicts and t != self._type:
            raise ValueError(f"Node type mismatch; expected {self.type!r}, but got "
                             f"{node.__class__ if t == 'structseq' else t!r}.")
        if len(node) != self.num_children:
            raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got "
                             f"{len(node)}.")
        if both_dicts:
            keys = self._context[1] if self._type is defaultdict else self._context
            got, want = set(node), set(keys)
            if got != want:
                msg = ""
                if want - got:
                    msg += f"; missing key(s): {want - got}"
                if got - want:
                    msg += f"; extra key(s): {got - want}"
                raise ValueError(f"Node keys mismatch{msg}.")
            children = [node[k] for k in keys]
        else:
            children, context = SUPPORTED_NODES[t].flatten_fn(node)
            if t is not deque and context != self._context:
                raise ValueError(f"Node context mismatch for node type {self.type!r}; "
                                 f"expected {self._context!r}, but got {context!r}.")
        for sub, spec in zip(children, self._children):
            spec._up_to(sub, out)

    def unflatten(self, leaves):
        if not isinstance(leaves, (list, tuple)):
            leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} "
                             f"but the spec refers to a pytree that holds {self.num_leaves} "
                             f"items ({self}).")
        if self.is_leaf():
            return leaves[0]
        children, start = [], 0
        for spec in self._children:
            children.append(spec.unflatten(leaves[start:start + spec.num_leaves]))
            start += spec.num_leaves
        return SUPPORTED_NODES[self._type].unflatten_fn(children, self._context)


class LeafSpec(TreeSpec):
    """The spec of a leaf (printed `*`)."""

    __slots__ = ()

    def __init__(self):
        super().__init__(None, None, [])

    def __repr__(self, indent=0):
        return "*"


_LEAF = LeafSpec()


def tree_is_leaf(tree, is_leaf=None):
    if is_leaf is not None and is_leaf(tree):
        return True
    return _node_type(tree) not in SUPPORTED_NODES


def _flatten(tree, is_leaf, leaves):
    if tree_is_leaf(tree, is_leaf):
        leaves.append(tree)
        return _LEAF
    t = _node_type(tree)
    children, context = SUPPORTED_NODES[t].flatten_fn(tree)
    return TreeSpec(t, context, [_flatten(c, is_leaf, leaves) for c in children])


def tree_flatten(tree, is_leaf=None):
    """(leaves, treespec) of a pytree."""
    leaves = []
    return leaves, _flatten(tree, is_leaf, leaves)


def tree_unflatten(leaves, treespec):
    if not isinstance(treespec, TreeSpec):
        raise TypeError(f"tree_unflatten(leaves, treespec): Expected `treespec` to be instance "
                        f"of TreeSpec but got item of type {type(treespec)}.")
    return treespec.unflatten(leaves)


def tree_iter(tree, is_leaf=None):
    if tree_is_leaf(tree, is_leaf):
        yield tree
        return
    children, _ = SUPPORTED_NODES[_node_type(tree)].flatten_fn(tree)
    for c in children:
        yield from tree_iter(c, is_leaf)


def tree_leaves(tree, is_leaf=None):
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree, is_leaf=None):
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func, tree, *rests, is_leaf=None):
    """func applied leaf by leaf (over `tree` and the matching subtrees of `rests`)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten(map(func, *flat))


def tree_map_(func, tree, *rests, is_leaf=None):
    """func applied to each leaf for its side effects; returns `tree`."""
    leaves, spec = tree_flatten(tree, is_leaf)
    flat = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for _ in map(func, *flat):
        pass
    return tree


def _only(type_or_types_or_pred):
    if isinstance(type_or_types_or_pred, (type, tuple)):
        return lambda x: isinstance(x, type_or_types_or_pred)
    if callable(type_or_types_or_pred):
        return type_or_types_or_pred
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def _map_only(type_or_types_or_pred, func):
    pred = _only(type_or_types_or_pred)
    return lambda x: func(x) if pred(x) else x


def tree_map_only(type_or_types_or_pred, /, func, tree, is_leaf=None):
    return tree_map(_map_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func, tree, is_leaf=None):
    return tree_map_(_map_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_all(pred, tree, is_leaf=None):
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred, tree, is_leaf=None):
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, /, pred, tree, is_leaf=None):
    return all(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


def tree_any_only(type_or_types, /, pred, tree, is_leaf=None):
    return any(pred(x) for x in tree_iter(tree, is_leaf) if isinstance(x, type_or_types))


class _Asterisk(str):
    __slots__ = ()

    def __new__(cls):
        return super().__new__(cls, "*")

    def __repr__(self):
        return "*"


def treespec_pprint(treespec):
    return repr(tree_unflatten([_Asterisk()] * treespec.num_leaves, treespec))


__getattr__ = _module_getattr(__name__)
