"""The hand-written NumPy reference for the course workloads (issue 15's speed bar).

Each workload of benchmarks/run.py written as plain NumPy float32: forward, loss, backward by
hand and the optimizer update, doing what the torch step does (torch's SGD with momentum, torch's
single-tensor Adam with bias corrections, torch's clip_grad_norm_ formula). Models hold their
parameters in a dict keyed by torch's parameter names, copied from a torch or ember model built
the way run.py builds it, so the reference starts from the same weights and the same fixed batch.
Dropout draws its masks from a NumPy Generator and can be switched off (`dropout=False`).

This file holds the shared pieces (weights, losses, optimizers, dropout), the MLP and the makers
(`REFERENCES`, keyed by run.py's workload names); benchmarks/numpy_reference_cnn.py holds the
CIFAR CNN and the char-RNN LSTM.
"""

import numpy as np

from benchmarks.course_models import HIDDEN, LAYERS, VOCAB, random_batches, text_batches

F32 = np.float32


def model_weights(model):
    """{name: float32 NumPy copy} of a torch or ember model's parameters (torch's names)."""
    return {n: np.array(p.detach().cpu().numpy(), dtype=F32, copy=True)
            for n, p in model.named_parameters()}


class Dropout:
    """Inverted dropout: keeps each element with probability 1-p (mask drawn as
    `rng.random(shape) < keep`) and scales the kept ones by 1/keep; off when p is 0 or `on` is
    False. `mask` is the last mask drawn, already scaled (None when off)."""

    def __init__(self, p, rng, on=True):
        self.keep, self.rng, self.on = 1.0 - p, rng, on and p > 0
        self.mask = None

    def forward(self, x):
        if not self.on:
            self.mask = None
            return x
        self.mask = (self.rng.random(x.shape, dtype=F32) < self.keep) * F32(1.0 / self.keep)
        return x * self.mask

    def backward(self, g):
        if self.mask is not None:
            g *= self.mask
        return g


class Workspace:
    """Arrays kept from step to step by key (allocating large arrays anew at every step costs
    page faults): `buf(key, shape)` gives the array last given for that key and shape (new ones
    are zeros)."""

    def buf(self, key, shape):
        bufs = self.__dict__.setdefault("_bufs", {})
        b = bufs.get(key)
        if b is None or b.shape != shape:
            b = bufs[key] = np.zeros(shape, F32)
        return b


def log_softmax(z):
    """Row-wise log-softmax of a (N, C) float32 array (in place on z)."""
    z -= z.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    return z


def nll_loss(logp, y):
    """Mean negative log-likelihood of the (N, C) log-probabilities at labels y, and its gradient
    with respect to the logits that `logp` is the log-softmax of (softmax - one-hot) / N."""
    n = logp.shape[0]
    rows = np.arange(n)
    loss = -logp[rows, y].mean(dtype=F32)
    g = np.exp(logp)
    g[rows, y] -= 1.0
    g *= F32(1.0 / n)
    return F32(loss), g


def colsum(g):
    """Column sums of a 2-D array as a GEMV (much faster than g.sum(0) when rows are narrow)."""
    return np.ones(g.shape[0], F32) @ g


def linear_backward(g, x, w, grads, name, need_input=True):
    """Gradients of y = x @ w.T + b for dL/dy = g: writes `name`.weight/.bias into grads (into
    its arrays from the last step when there are, else new ones) and returns dL/dx (or None)."""
    gw, gb = grads.get(name + ".weight"), grads.get(name + ".bias")
    if gw is None:
        gw = grads[name + ".weight"] = np.empty_like(w)
        gb = grads[name + ".bias"] = np.empty(w.shape[0], F32)
    if gw.flags.f_contiguous and not gw.flags.c_contiguous:  # a weight stored as (in, out)
        np.matmul(x.T, g, out=gw.T)
    else:
        np.matmul(g.T, x, out=gw)
    np.matmul(np.ones(g.shape[0], F32), g, out=gb)
    return g @ w if need_input else None


class SGD:
    """torch.optim.SGD: buf = momentum*buf + grad (buf = grad at the first step), p -= lr*buf;
    without momentum p -= lr*grad. Updates the parameter arrays in place."""

    def __init__(self, params, lr, momentum=0.0):
        self.params, self.lr, self.momentum, self.bufs = params, F32(lr), F32(momentum), {}
        self.tmp = {n: np.empty_like(p) for n, p in params.items()}

    def step(self, grads):
        for name, p in self.params.items():
            g = grads[name]
            if self.momentum:
                buf = self.bufs.get(name)
                if buf is None:
                    buf = self.bufs[name] = g.copy(order="K")
                else:
                    buf *= self.momentum
                    buf += g
                g = buf
            t = self.tmp[name]
            np.multiply(g, self.lr, out=t)
            p -= t


class Adam:
    """torch.optim.Adam's single-tensor update (the CPU default): m = lerp(m, g, 1-beta1),
    v = beta2*v + (1-beta2)*g*g, p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.t = 0
        self.m = {n: np.zeros_like(p) for n, p in params.items()}
        self.v = {n: np.zeros_like(p) for n, p in params.items()}
        self.tmp = {n: np.empty_like(p) for n, p in params.items()}

    def step(self, grads):
        self.t += 1
        b1, b2 = self.betas
        step_size = F32(self.lr / (1 - b1 ** self.t))
        bc2_sqrt = F32((1 - b2 ** self.t) ** 0.5)
        c1, c2, eps = F32(1 - b1), F32(1 - b2), F32(self.eps)
        for name, p in self.params.items():
            g, m, v, t = grads[name], self.m[name], self.v[name], self.tmp[name]
            np.subtract(g, m, out=t)  # m = lerp(m, g, 1 - beta1)
            t *= c1
            m += t
            v *= F32(b2)
            np.multiply(g, g, out=t)
            t *= c2
            v += t
            np.sqrt(v, out=t)  # denominator
            t /= bc2_sqrt
            t += eps
            np.divide(m, t, out=t)
            t *= step_size
            p -= t


def clip_grad_norm(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_ (2-norm): total = 2-norm of the per-parameter 2-norms,
    every gradient multiplied in place by min(max_norm / (total + 1e-6), 1). Returns total."""
    norms = np.array([np.sqrt(np.dot(g.ravel(), g.ravel())) for g in grads.values()], dtype=F32)
    total = np.sqrt(np.dot(norms, norms))
    coef = min(F32(max_norm) / (total + F32(1e-6)), F32(1.0))
    for g in grads.values():
        g *= coef
    return total


class MLP:
    """The course MLP (course_models.mlp): Linear+ReLU(+Dropout) hidden layers, a Linear output
    and LogSoftmax, trained with NLLLoss. Re-lays the weights of `params` in place (the dict's
    entries become (out, in) views of (in, out) arrays), so build it before the optimizer."""

    def __init__(self, params, dropout=0.0, rng=None, train=True):
        for n in params:  # weights stored as (in, out) (params[n] a transposed view, same
            if n.endswith(".weight"):  # values): x @ W.T then runs on a C-contiguous operand
                params[n] = np.ascontiguousarray(params[n].T).T
        self.p = params
        names = [n[:-len(".weight")] for n in params if n.endswith(".weight")]
        self.hidden, self.out = names[:-1], names[-1]
        rng = rng if rng is not None else np.random.default_rng(0)
        self.drops = [Dropout(dropout, rng, train) for _ in self.hidden]
        self.grads = {}  # gradient arrays, reused from step to step

    def forward(self, x):
        """Log-probabilities; keeps what backward needs."""
        acts = [x]
        for name, drop in zip(self.hidden, self.drops):
            z = acts[-1] @ self.p[name + ".weight"].T
            z += self.p[name + ".bias"]
            np.maximum(z, 0, out=z)
            acts.append(drop.forward(z) if drop.on else z)
        self.acts = acts
        z = acts[-1] @ self.p[self.out + ".weight"].T
        z += self.p[self.out + ".bias"]
        return log_softmax(z)

    def loss_and_grads(self, x, y):
        """NLLLoss of forward(x) at labels y, and {name: gradient}."""
        loss, g = nll_loss(self.forward(x), y)
        grads = self.grads
        g = linear_backward(g, self.acts[-1], self.p[self.out + ".weight"], grads, self.out)
        for i in range(len(self.hidden) - 1, -1, -1):
            a, drop = self.acts[i + 1], self.drops[i]
            g = drop.backward(g)
            g *= a > 0  # ReLU (a kept entry is > 0 exactly where the ReLU passed)
            g = linear_backward(g, self.acts[i], self.p[self.hidden[i] + ".weight"], grads,
                                self.hidden[i], need_input=i > 0)
        return loss, grads


class TrainStep:
    """A reference training step: step() runs loss, gradients, optional clipping and the
    optimizer on the fixed batch (x, y) and returns the loss; `last_grads` keeps the gradients
    (after clipping)."""

    def __init__(self, model, opt, x, y, clip=None):
        self.model, self.opt, self.x, self.y, self.clip = model, opt, x, y, clip
        self.last_grads = None

    def __call__(self):
        with np.errstate(over="ignore"):
            loss, grads = self.model.loss_and_grads(self.x, self.y)
        if self.clip is not None:
            clip_grad_norm(grads, self.clip)
        self.opt.step(grads)
        self.last_grads = grads
        return loss


def _seeded(lib, build):
    lib.manual_seed(0)
    return model_weights(build(lib))


def make_mlp_train(lib, opt="sgd", batch=64):
    """run.py's MLP train step (SGD momentum 0.9 lr 0.01, or Adam lr 0.003), weights from `lib`'s
    seeded model (the course MLP has no dropout)."""
    from benchmarks.course_models import mlp
    params = _seeded(lib, mlp)
    model = MLP(params)
    o = SGD(params, lr=0.01, momentum=0.9) if opt == "sgd" else Adam(params, lr=0.003)
    xs, ys = random_batches(1, (batch, 784))
    return TrainStep(model, o, xs[0], ys[0])


def make_mlp_infer(lib, batch):
    """run.py's MLP inference: log-probabilities of a fixed batch (no dropout, no gradients)."""
    from benchmarks.course_models import mlp
    model = MLP(_seeded(lib, mlp), train=False)
    x = random_batches(1, (batch, 784))[0][0]
    return lambda: model.forward(x)


def make_cnn_train(lib, batch, dropout=True):
    """run.py's CIFAR CNN train step (SGD lr 0.01, CrossEntropyLoss, dropout 0.25 if `dropout`)."""
    from benchmarks.course_models import cifar_cnn
    from benchmarks.numpy_reference_cnn import CNN
    params = _seeded(lib, cifar_cnn)
    xs, ys = random_batches(1, (batch, 3, 32, 32))
    return TrainStep(CNN(params, dropout=dropout), SGD(params, lr=0.01), xs[0], ys[0])


def make_lstm_train(lib, seq=50, batch=32, dropout=True, vocab=VOCAB, hidden=HIDDEN,
                    layers=LAYERS, max_norm=5.0, lr=0.001):
    """run.py's char-RNN train step: LSTM + fc, CrossEntropyLoss, clip_grad_norm_(max_norm),
    Adam(lr), fresh zero states each step, dropout 0.5 if `dropout`."""
    from benchmarks.course_models import char_rnn
    from benchmarks.numpy_reference_cnn import CharRNN
    params = _seeded(lib, lambda L: char_rnn(L, vocab, hidden, layers))
    xs, ys = text_batches(1, batch, seq, vocab=vocab, seed=0)
    return TrainStep(CharRNN(params, dropout=dropout), Adam(params, lr=lr), xs[0],
                     ys[0].reshape(-1), clip=max_norm)


REFERENCES = {  # run.py's workload name -> maker(lib) of the NumPy reference's step()
    "MLP train step, SGD (batch 64)": lambda L: make_mlp_train(L, "sgd"),
    "MLP train step, Adam (batch 64)": lambda L: make_mlp_train(L, "adam"),
    "MLP inference (batch 1)": lambda L: make_mlp_infer(L, 1),
    "MLP inference (batch 64)": lambda L: make_mlp_infer(L, 64),
    "CIFAR CNN train step (batch 20)": lambda L: make_cnn_train(L, 20),
    "CIFAR CNN train step (batch 64)": lambda L: make_cnn_train(L, 64),
    "LSTM char-RNN train step (2x256, seq 50, batch 32)": make_lstm_train,
}
