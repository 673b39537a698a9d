"""The NumPy reference's CIFAR CNN and char-RNN LSTM (see benchmarks/numpy_reference.py).

CNN: activations kept channels-last (NHWC); each 3x3 padding-1 convolution is im2col (one copy
of a sliding-window view of a zero-padded buffer into a (N*H*W, 9*C) column matrix) and one
GEMM; its backward is a GEMM for the weight gradient and, for the input gradient, the full
correlation of the output gradient with the flipped kernel (im2col again and one GEMM).
Max-pool 2x2 is three elementwise maxima over strided views, and ReLU is applied after the pool
(max-pool and ReLU commute, and the gradients agree: a window whose max is not positive gets no
gradient either way).

LSTM: time-major and feature-major inside (states are (hidden, batch), gates (4*hidden, batch),
so each gate's block is one contiguous chunk for the elementwise ops); every per-step product
(input projection, W_hh @ h, W_hh^T @ d_gates) is split into row blocks that OpenBLAS runs with
its unpacked small-matrix kernels, the gates run per step (order i, f, g, o as torch), and the
weight and bias gradients are one GEMM over the whole sequence, dx another. Initial states
are zero (the course step makes fresh zero (h, c) every step), so step 0 skips the recurrent
GEMM.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from benchmarks.numpy_reference import (
    F32,
    Dropout,
    Workspace,
    colsum,
    linear_backward,
    log_softmax,
    nll_loss,
)


def row_blocks(w, out):
    """(rows of w, rows of out) pairs splitting out = w @ x (x with out's columns) into GEMMs of
    at most 10^6 multiply-adds: OpenBLAS runs those with its small-matrix kernels, without
    packing, which is markedly faster for the LSTM's per-step products."""
    m, k = w.shape
    rows = 10 ** 6 // max(k * out.shape[1], 1) // 8 * 8
    if m * k * out.shape[1] <= 10 ** 6 or rows < 16:
        return [(w, out)]
    return [(w[lo:lo + rows], out[lo:lo + rows]) for lo in range(0, m, rows)]


def _sigmoid_(a):
    """In-place logistic sigmoid 1 / (1 + exp(-a)) (exp may overflow to inf: the result is 0)."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


class CNN(Workspace):
    """course_models.cifar_cnn: three conv3x3(pad 1)-ReLU-maxpool2 blocks, dropout, fc1-ReLU,
    dropout, fc2, trained with CrossEntropyLoss."""

    convs = ("conv1", "conv2", "conv3")

    def __init__(self, params, dropout=True, p=0.25, rng=None):
        self.p = params
        rng = rng if rng is not None else np.random.default_rng(0)
        self.drop1, self.drop2 = Dropout(p, rng, dropout), Dropout(p, rng, dropout)
        self.grads = {}  # gradient arrays (the fc layers' reused from step to step)

    def _im2col(self, key, a):
        """(N*H*W, 9*C) columns, ordered (kh, kw, c), of the NHWC `a` zero-padded by 1."""
        n, h, w, c = a.shape
        xp = self.buf(("pad", key), (n, h + 2, w + 2, c))  # its border stays zero
        xp[:, 1:-1, 1:-1] = a
        cols = self.buf(("cols", key), (n, h, w, 3, 3, c))
        np.copyto(cols, sliding_window_view(xp, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3))
        return cols.reshape(n * h * w, 9 * c)

    def _conv_pool_relu(self, i, a):
        """conv i, max-pool, ReLU of `a`: NHWC, or for the first conv the NCHW input, whose
        columns are built transposed, (C*9, N*H*W) in (c, kh, kw) order: with 3 channels the
        NHWC copy would move runs of 3 floats, the channel-major one runs of W."""
        name = self.convs[i]
        wt = self.p[name + ".weight"]
        o = wt.shape[0]
        if i == 0:
            n, c, h, w = a.shape
            xp = self.buf("pad nchw", (n, c, h + 2, w + 2))
            xp[:, :, 1:-1, 1:-1] = a
            cols = self.buf("cols nchw", (c, 3, 3, n, h, w))
            win = sliding_window_view(xp, (3, 3), axis=(2, 3))
            np.copyto(cols, win.transpose(1, 4, 5, 0, 2, 3))
            cols = cols.reshape(9 * c, n * h * w).T  # (N*H*W, C*9), a transposed view
            wm = wt.reshape(o, 9 * c)
        else:
            n, h, w, c = a.shape
            cols = self._im2col(i, a)
            wm = wt.transpose(0, 2, 3, 1).reshape(o, 9 * c)
        z = np.matmul(cols, wm.T, out=self.buf(("z", i), (n * h * w, o)))
        z += self.p[name + ".bias"]
        zr = z.reshape(n, h // 2, 2, w // 2, 2, o)
        pooled = self.buf(("pooled", i), (n, h // 2, w // 2, o))
        np.maximum(zr[:, :, 0, :, 0], zr[:, :, 0, :, 1], out=pooled)
        np.maximum(pooled, zr[:, :, 1, :, 0], out=pooled)
        np.maximum(pooled, zr[:, :, 1, :, 1], out=pooled)
        np.maximum(pooled, 0, out=pooled)
        self.cache.append((cols, zr, pooled))
        return pooled

    def _conv_backward(self, i, g, grads):
        cols, zr, pooled = self.cache[i]
        name = self.convs[i]
        wt = self.p[name + ".weight"]
        o, c = wt.shape[:2]
        n, h2, _, w2, _, _ = zr.shape
        gp = self.buf(("gpool", i), pooled.shape)
        np.greater(pooled, 0, out=gp)
        gp *= g
        mask = self.buf(("mask", i), zr.shape)
        np.equal(zr, pooled[:, :, None, :, None], out=mask)
        mask *= gp[:, :, None, :, None]
        dz = mask.reshape(-1, o)
        dw = (cols.T @ dz).T  # (first conv: a C-contiguous (C*9, N*H*W) times dz)
        grads[name + ".weight"] = (dw.reshape(o, c, 3, 3) if i == 0 else np.ascontiguousarray(
            dw.reshape(o, 3, 3, c).transpose(0, 3, 1, 2)))
        grads[name + ".bias"] = colsum(dz)
        if i == 0:
            return None
        # dx is the full correlation of dz with the flipped kernel: im2col of dz padded by 1
        # times W[o, c, 2-a, 2-b] arranged as rows (a, b, o)
        wd = wt[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(9 * o, c)
        dx = np.matmul(self._im2col(("d", i), mask.reshape(n, 2 * h2, 2 * w2, o)), wd,
                       out=self.buf(("dx", i), (n * 4 * h2 * w2, c)))
        return dx.reshape(n, 2 * h2, 2 * w2, c)

    def forward(self, x):
        """Logits of the NCHW float32 batch x; keeps what backward needs."""
        self.cache = []
        a = x
        for i in range(len(self.convs)):
            a = self._conv_pool_relu(i, a)
        self.pooled_shape = a.shape
        f0 = self.drop1.forward(a.transpose(0, 3, 1, 2).reshape(a.shape[0], -1))  # torch's view
        hid = f0 @ self.p["fc1.weight"].T
        hid += self.p["fc1.bias"]
        np.maximum(hid, 0, out=hid)
        h1 = self.drop2.forward(hid)
        self.fc_cache = f0, hid, h1
        z = h1 @ self.p["fc2.weight"].T
        z += self.p["fc2.bias"]
        return z

    def loss_and_grads(self, x, y):
        """CrossEntropyLoss (mean) of forward(x) at labels y, and {name: gradient}."""
        loss, g = nll_loss(log_softmax(self.forward(x)), y)
        grads = self.grads
        f0, hid, h1 = self.fc_cache
        g = linear_backward(g, h1, self.p["fc2.weight"], grads, "fc2")
        g = self.drop2.backward(g)
        g *= hid > 0
        g = self.drop1.backward(linear_backward(g, f0, self.p["fc1.weight"], grads, "fc1"))
        n, hh, ww, c = self.pooled_shape
        a = g.reshape(n, c, hh, ww).transpose(0, 2, 3, 1)
        for i in range(len(self.convs) - 1, -1, -1):
            a = self._conv_backward(i, a, grads)
        return loss, grads


class CharRNN(Workspace):
    """course_models.char_rnn: a batch_first multi-layer LSTM with dropout between layers, then
    dropout and fc on the output flattened to (batch*seq, hidden), trained with
    CrossEntropyLoss from zero initial states."""

    def __init__(self, params, dropout=True, p=0.5, rng=None):
        self.p = params
        self.layers = sum(n.startswith("lstm.weight_ih_l") for n in params)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.drops = [Dropout(p, rng, dropout) for _ in range(self.layers)]
        self.grads = {}  # gradient arrays (fc's reused from step to step)

    def _w(self, kind, layer):
        return self.p[f"lstm.{kind}_l{layer}"]

    def _layer_forward(self, layer, x):
        """x: (seq, in, batch). Returns the activated gates (seq, 4H, batch), h and c
        (seq+1, H, batch, index 0 the zero initial state) and tanh(c) (seq, H, batch)."""
        t_len, _, b = x.shape
        wih, whh = self._w("weight_ih", layer), self._w("weight_hh", layer)
        hid = whh.shape[1]
        gates = self.buf(("gates", layer), (t_len, 4 * hid, b))
        bias = (self._w("bias_ih", layer) + self._w("bias_hh", layer))[:, None]
        for t in range(t_len):  # the input projection, row-blocked step by step
            for wb, ob in row_blocks(wih, gates[t]):
                np.dot(wb, x[t], out=ob)
        gates += bias
        hs = self.buf(("h", layer), (t_len + 1, hid, b))  # [0] stays zero
        cs = self.buf(("c", layer), (t_len + 1, hid, b))
        tc = self.buf(("tanh c", layer), (t_len, hid, b))
        rec = np.empty((4 * hid, b), F32)
        blocks = row_blocks(whh, rec)
        tmp = np.empty((hid, b), F32)
        for t in range(t_len):
            g = gates[t]
            if t:
                for wb, ob in blocks:
                    np.dot(wb, hs[t], out=ob)
                g += rec
            _sigmoid_(g[:2 * hid])
            np.tanh(g[2 * hid:3 * hid], out=g[2 * hid:3 * hid])
            _sigmoid_(g[3 * hid:])
            i, f, gg, o = g[:hid], g[hid:2 * hid], g[2 * hid:3 * hid], g[3 * hid:]
            np.multiply(f, cs[t], out=cs[t + 1])
            np.multiply(i, gg, out=tmp)
            cs[t + 1] += tmp
            np.tanh(cs[t + 1], out=tc[t])
            np.multiply(o, tc[t], out=hs[t + 1])
        return gates, hs, cs, tc

    def _layer_backward(self, layer, cache, d_out, grads, need_input):
        """d_out: dL/dh of every step, (seq, H, batch) (any strides). Stores the layer's
        gradients; returns dL/dx as (seq, in, batch) (a transposed view) if need_input."""
        x, gates, hs, cs, tc = cache
        t_len, n_in, b = x.shape
        hid = hs.shape[1]
        h2, h3 = 2 * hid, 3 * hid
        whh_t = np.ascontiguousarray(self._w("weight_hh", layer).T)
        dg_all = self.buf(("d gates", layer), gates.shape)
        dh = np.zeros((hid, b), F32)
        dc = np.zeros((hid, b), F32)
        w = np.empty((hid, b), F32)
        blocks = row_blocks(whh_t, dh)
        for t in range(t_len - 1, -1, -1):
            act, d = gates[t], dg_all[t]
            i, f, gg, o = act[:hid], act[hid:h2], act[h2:h3], act[h3:]
            tct = tc[t]
            # local derivatives: i(1-i) g, f(1-f) c_prev, (1-g^2) i, o(1-o) tanh(c)
            np.subtract(1, act, out=d)
            d *= act
            v = d[h2:h3]
            np.multiply(gg, gg, out=v)
            np.subtract(1, v, out=v)
            v *= i
            d[:hid] *= gg
            d[hid:h2] *= cs[t]
            d[h3:] *= tct
            dh += d_out[t]
            np.multiply(tct, tct, out=w)  # dc += dh * o (1 - tanh(c)^2)
            np.subtract(1, w, out=w)
            w *= o
            w *= dh
            dc += w
            d[:h3].reshape(3, hid, b).__imul__(dc)
            d[h3:] *= dh
            dc *= f
            if t:
                for wb, ob in blocks:
                    np.dot(wb, d, out=ob)
        dg2 = self.buf(("d gates cols", layer), (4 * hid, t_len * b))
        np.copyto(dg2.reshape(4 * hid, t_len, b), dg_all.transpose(1, 0, 2))
        # [x | h_prev | 1] as rows: one GEMM gives dW_ih, dW_hh and the bias gradient
        xh = self.buf(("x h 1", layer), (n_in + hid + 1, t_len, b))
        xh[:n_in] = x.transpose(1, 0, 2)
        xh[n_in:-1] = hs[:-1].transpose(1, 0, 2)
        xh[-1] = 1
        dw = dg2 @ xh.reshape(n_in + hid + 1, -1).T
        grads[f"lstm.weight_ih_l{layer}"] = np.ascontiguousarray(dw[:, :n_in])
        grads[f"lstm.weight_hh_l{layer}"] = np.ascontiguousarray(dw[:, n_in:-1])
        grads[f"lstm.bias_ih_l{layer}"] = dw[:, -1].copy()
        grads[f"lstm.bias_hh_l{layer}"] = dw[:, -1].copy()
        if need_input:
            dx = np.matmul(dg2.T, self._w("weight_ih", layer),
                           out=self.buf(("dx", layer), (t_len * b, n_in)))  # one GEMM
            return dx.reshape(t_len, b, n_in).transpose(0, 2, 1)
        return None

    def forward(self, x):
        """Logits (time-major rows: row t*batch + b) of the (batch, seq, vocab) input x."""
        h = np.ascontiguousarray(x.transpose(1, 2, 0))
        self.cache = []
        for layer in range(self.layers):
            gates, hs, cs, tc = self._layer_forward(layer, h)
            self.cache.append((h, gates, hs, cs, tc))
            h = hs[1:]
            if layer < self.layers - 1:
                h = self.drops[layer].forward(h)
        t_len, hid, b = h.shape
        self.shape = t_len, hid, b
        self.r = self.drops[-1].forward(
            np.ascontiguousarray(h.transpose(0, 2, 1)).reshape(t_len * b, hid))
        z = self.r @ self.p["fc.weight"].T
        z += self.p["fc.bias"]
        return z

    def loss_and_grads(self, x, y):
        """CrossEntropyLoss (mean) at the targets y ((batch*seq,), batch-major as the torch
        model's output), and {name: gradient}."""
        b, t_len = x.shape[:2]
        y_tm = y.reshape(b, t_len).T.reshape(-1)
        loss, g = nll_loss(log_softmax(self.forward(x)), y_tm)
        grads = self.grads
        dr = self.drops[-1].backward(linear_backward(g, self.r, self.p["fc.weight"], grads, "fc"))
        t_len, hid, b = self.shape
        d_out = dr.reshape(t_len, b, hid).transpose(0, 2, 1)
        for layer in range(self.layers - 1, -1, -1):
            dx = self._layer_backward(layer, self.cache[layer], d_out, grads, layer > 0)
            if layer:
                d_out = self.drops[layer - 1].backward(dx)
        return loss, grads
