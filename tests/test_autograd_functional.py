"""torch.autograd.functional against torch: vjp, jvp, jacobian (create_graph, strict,
vectorize, strategy), hessian, hvp and vhp, with torch's outputs and errors."""

from oracle import arr, check, check_error


def f1(L, x):
    return x.exp() * x[0]


def f2(L, x, y):
    return (x.sin() * y.sum(), x + y)


def fs(L, x):
    return (x.sin() * x).sum()


def fs2(L, x, y):
    return (x * y.exp()).sum() + (x ** 3).sum()


X, Y, V = arr((3,), dtype="float64"), arr((3,), dtype="float64", seed=1), \
    arr((3,), dtype="float64", seed=2)


def test_vjp_jvp():
    check(lambda L, x, v: L.autograd.functional.vjp(lambda t: f1(L, t), x, v), X, V, grad=False)
    check(lambda L, x, y, v: L.autograd.functional.vjp(lambda a, b: f2(L, a, b), (x, y), (v, v)),
          X, Y, V, grad=False)
    check(lambda L, x, v: L.autograd.functional.jvp(lambda t: f1(L, t), x, v), X, V, grad=False)
    check(lambda L, x, y, v: L.autograd.functional.jvp(lambda a, b: f2(L, a, b), (x, y), (v, v)),
          X, Y, V, grad=False)
    check(lambda L, x: L.autograd.functional.vjp(lambda t: t.sum(), x), X, grad=False)
    # create_graph keeps the graph to the inputs
    check(lambda L, x, v: L.autograd.functional.vjp(lambda t: f1(L, t), x, v,
                                                    create_graph=True)[1], X, V)
    check(lambda L, x, v: L.autograd.functional.jvp(lambda t: f1(L, t), x, v,
                                                    create_graph=True)[1], X, V)


def test_jacobian_strategies():
    for kw in ({}, {"vectorize": True}, {"vectorize": True, "strategy": "forward-mode"}):
        check(lambda L, x: L.autograd.functional.jacobian(lambda t: f1(L, t), x, **kw), X,
              grad=False)
        check(lambda L, x, y: L.autograd.functional.jacobian(lambda a, b: f2(L, a, b), (x, y),
                                                             **kw), X, Y, grad=False)
    check(lambda L, x: L.autograd.functional.jacobian(lambda t: f1(L, t), x, create_graph=True),
          X)
    check(lambda L, x: L.autograd.functional.jacobian(lambda t: (t * 2, t.new_ones(2)), x), X,
          grad=False)


def test_hessian_hvp_vhp():
    check(lambda L, x: L.autograd.functional.hessian(lambda t: fs(L, t), x), X, grad=False)
    check(lambda L, x, y: L.autograd.functional.hessian(lambda a, b: fs2(L, a, b), (x, y)), X, Y,
          grad=False)
    check(lambda L, x: L.autograd.functional.hessian(lambda t: fs(L, t), x, vectorize=True,
                                                     outer_jacobian_strategy="forward-mode"),
          X, grad=False)
    for name in ("hvp", "vhp"):
        check(lambda L, x, v: getattr(L.autograd.functional, name)(lambda t: fs(L, t), x, v),
              X, V, grad=False)
        check(lambda L, x, y, v: getattr(L.autograd.functional, name)(
            lambda a, b: fs2(L, a, b), (x, y), (v, v)), X, Y, V, grad=False)
        check(lambda L, x, v: getattr(L.autograd.functional, name)(
            lambda t: fs(L, t), x, v, create_graph=True)[1], X, V)


def test_errors_match_torch():
    AF = "autograd.functional"

    def af(L):
        return L.autograd.functional
    assert AF
    check_error(lambda L, x: af(L).vjp(lambda t: t * 2, x), X)
    check_error(lambda L, x: af(L).vjp(lambda t: t * 2, [x]), X)
    check_error(lambda L, x: af(L).vjp(lambda t: t * 2, (x, 1.0)), X)
    check_error(lambda L, x: af(L).vjp(lambda t: t * 2, x, x[:2]), X)
    check_error(lambda L, x: af(L).vjp(lambda a, b: (a, b), (x, x), (x,)), X)
    check_error(lambda L, x: af(L).vjp(lambda t: t * 2, x, (x, x)), X)
    check_error(lambda L, x: af(L).vjp(lambda t: 2.0, x), X)
    check_error(lambda L, x: af(L).vjp(lambda t: x.detach() * 2, x, x, strict=True), X)
    check_error(lambda L, x: af(L).vjp(lambda t: t * 2 + x.detach(), (x, x), x, strict=True), X)
    check_error(lambda L, x: af(L).jvp(lambda t: t * 2, x), X)
    check_error(lambda L, x: af(L).jvp(lambda t: t.detach(), x, x, strict=True), X)
    check_error(lambda L, x: af(L).jacobian(lambda t: t, x, strategy="sideways"), X)
    check_error(lambda L, x: af(L).jacobian(lambda t: t, x, strategy="forward-mode"), X)
    check_error(lambda L, x: af(L).jacobian(lambda t: t, x, strategy="forward-mode",
                                            create_graph=True), X)
    check_error(lambda L, x: af(L).jacobian(lambda t: t, x, strategy="forward-mode",
                                            strict=True), X)
    check_error(lambda L, x: af(L).jacobian(lambda t: t * 2, x, vectorize=True, strict=True), X)
    check_error(lambda L, x: af(L).jacobian(lambda a, b: a * 2, (x, x), strict=True), X)
    check_error(lambda L, x: af(L).hessian(lambda t: t * 2, x), X)
    check_error(lambda L, x: af(L).hessian(lambda t: (t, t), x), X)
    check_error(lambda L, x: af(L).hessian(lambda t: (t * 2).sum(), x, strict=True), X)
    check_error(lambda L, x: af(L).hessian(lambda t: t.sum(), x, outer_jacobian_strategy="up"),
                X)
    check_error(lambda L, x: af(L).hvp(lambda t: (t * 2).sum(), x, x, strict=True), X)
    check_error(lambda L, x: af(L).vhp(lambda t: (t * 2).sum(), x, x, strict=True), X)
    check_error(lambda L, x: af(L).hvp(lambda t: t * 2, x, x), X)
    check_error(lambda L, x: af(L).vhp(lambda t: t.sum(), x), X)
