"""RNN, LSTM, GRU and their cells, with torch's parameter names, layout, init and outputs.

Each layer and direction runs one fused kernel from `nn/_rnn.py`; layers are stacked here with
dropout between them (drawn like torch's), directions concatenated on the feature axis, and
packed sequences unpacked to a padded time-major batch plus `batch_sizes` for the kernels.
"""

import math

from ...amp import _hook as _amp
from ...ops.creation import empty, zeros
from ...ops.shape import cat, stack
from .. import _rnn, _rnn_proj, init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """Matches torch.nn.RNNBase: parameters weight_ih_l{k}[_reverse], weight_hh_..., bias_..."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1 or isinstance(
                dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError("hidden_size must be an integer greater than zero")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError("num_layers must be an integer greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if dropout > 0 and num_layers == 1:
            import warnings
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}")
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        f = {"device": device, "dtype": dtype}
        gates = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        out_size = proj_size or hidden_size  # the size of h (torch's real_hidden_size)
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                in_size = input_size if layer == 0 else out_size * dirs
                shapes = [("weight_ih", (gates, in_size)), ("weight_hh", (gates, out_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(empty(shape, **f)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    def __getstate__(self):
        # torch's RNNBase.__setstate__ needs _all_weights (the names per layer and direction)
        # and _flat_weights
        state = dict(self.__dict__, _flat_weights=self._flat_weights)
        names, groups = self._flat_weights_names, self.num_layers * (1 + self.bidirectional)
        n = len(names) // groups
        state["_all_weights"] = [names[i * n:(i + 1) * n] for i in range(groups)]
        return state

    def __setstate__(self, state):
        # a torch-saved RNN also carries _all_weights and _flat_weights: ember derives both
        state = {k: v for k, v in state.items() if k not in ("_all_weights", "_flat_weights")}
        super().__setstate__(state)

    @property
    def all_weights(self):
        per = (4 if self.bias else 2) + (self.proj_size > 0)
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self):
        pass

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def _layer(self, x, state, layer, d, batch_sizes):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        w_ih, w_hh = getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)
        b_ih = getattr(self, "bias_ih" + sfx) if self.bias else None
        b_hh = getattr(self, "bias_hh" + sfx) if self.bias else None
        rev = bool(d)
        if self.mode == "LSTM":
            h0, c0 = state
            if self.proj_size:
                w_hr = getattr(self, "weight_hr" + sfx)
                return _rnn_proj.lstm_proj_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, rev,
                                                 batch_sizes)
            y, h, c = _rnn.lstm_layer(x, h0, c0, w_ih, w_hh, b_ih, b_hh, rev, batch_sizes)
            return y, (h, c)
        if self.mode == "GRU":
            y, h = _rnn.GRULayer.apply(x, state, w_ih, w_hh, b_ih, b_hh, rev, batch_sizes)
            return y, h
        y, h = _rnn.RNNLayer.apply(x, state, w_ih, w_hh, b_ih, b_hh, self.mode == "RNN_RELU",
                                   rev, batch_sizes)
        return y, h

    def _forward(self, input, hx=None):
        """The forward of RNN, LSTM and GRU (torch's RNNBase itself has none)."""
        from ..utils.rnn import PackedSequence
        packed = isinstance(input, PackedSequence)
        batch_sizes = None
        if packed:
            from ..utils.rnn import _packed_to_padded
            x, batch_sizes = _packed_to_padded(input)
            batch = int(batch_sizes[0])
            unbatched = False
        else:
            x = input
            if x.dim() not in (2, 3):
                raise ValueError(f"{self.mode if self.mode in ('LSTM', 'GRU') else 'RNN'}: "
                                 f"Expected input to be 2D or 3D, got {x.dim()}D tensor instead")
            unbatched = x.dim() == 2
            if unbatched:
                x = x.unsqueeze(1)
            elif self.batch_first:
                x = x.transpose(0, 1)
            batch = x.shape[1]
        w0 = self.weight_ih_l0
        if x.dtype is not w0.dtype and not (_amp.on and _amp.active()):
            raise ValueError(f"RNN input dtype ({x.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({x.dtype})")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")
        dirs = 2 if self.bidirectional else 1
        is_lstm = self.mode == "LSTM"
        if hx is None:
            z = zeros((self.num_layers * dirs, batch, self.hidden_size), dtype=x.dtype,
                      device=x.device)
            hx = (z, z) if is_lstm else z
            if self.proj_size:
                hx = (zeros((self.num_layers * dirs, batch, self.proj_size), dtype=x.dtype,
                            device=x.device), z)
        else:
            if packed and input.sorted_indices is not None:
                idx = input.sorted_indices
                hx = tuple(h.index_select(1, idx) for h in hx) if is_lstm else \
                    hx.index_select(1, idx)
            if unbatched:
                hx = tuple(h.unsqueeze(1) for h in hx) if is_lstm else hx.unsqueeze(1)
            self._check_hidden(hx, batch, dirs, is_lstm)
        x = x.contiguous()
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                k = layer * dirs + d
                state = (hx[0][k], hx[1][k]) if is_lstm else hx[k]
                y, st = self._layer(x, state, layer, d, batch_sizes)
                outs.append(y)
                if is_lstm:
                    h_n.append(st[0])
                    c_n.append(st[1])
                else:
                    h_n.append(st)
            x = outs[0] if dirs == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                from .. import functional as F
                x = F.dropout(x, self.dropout, True)
        h = stack(h_n, 0)
        hidden = (h, stack(c_n, 0)) if is_lstm else h
        if packed:
            from ..utils.rnn import _padded_to_packed
            out = _padded_to_packed(x, input)
            if input.unsorted_indices is not None:
                idx = input.unsorted_indices
                hidden = tuple(t.index_select(1, idx) for t in hidden) if is_lstm else \
                    hidden.index_select(1, idx)
            return out, hidden
        if unbatched:
            x = x.squeeze(1)
            hidden = tuple(t.squeeze(1) for t in hidden) if is_lstm else hidden.squeeze(1)
        elif self.batch_first:
            x = x.transpose(0, 1)
        return x, hidden

    def _check_hidden(self, hx, batch, dirs, is_lstm):
        expected = (self.num_layers * dirs, batch, self.hidden_size)
        if not is_lstm:
            if tuple(hx.shape) != expected:
                raise RuntimeError(f"Expected hidden size {expected}, got {list(hx.shape)}")
            return
        sizes = ((self.proj_size or self.hidden_size), self.hidden_size)
        for k, (h, size) in enumerate(zip(hx, sizes)):
            want = expected[:2] + (size,)
            if tuple(h.shape) != want:
                raise RuntimeError(f"Expected hidden[{k}] size {want}, got {list(h.shape)}")


class RNN(RNNBase):
    """Matches torch.nn.RNN."""

    def __init__(self, *args, nonlinearity="tanh", **kwargs):
        if "nonlinearity" in kwargs:
            nonlinearity = kwargs.pop("nonlinearity")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)

    forward = RNNBase._forward


class LSTM(RNNBase):
    """Matches torch.nn.LSTM."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    forward = RNNBase._forward


class GRU(RNNBase):
    """Matches torch.nn.GRU."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)

    forward = RNNBase._forward


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        f = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **f))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **f))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **f))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **f))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prep(self, input, hx, n):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        unbatched = input.dim() == 1
        x = input.unsqueeze(0) if unbatched else input
        if hx is None:
            z = zeros((x.shape[0], self.hidden_size), dtype=x.dtype, device=x.device)
            hx = (z,) * n
        else:
            hx = tuple(h.unsqueeze(0) if unbatched else h for h in
                       (hx if isinstance(hx, tuple) else (hx,)))
        return x.unsqueeze(0), hx, unbatched

    def _out(self, res, unbatched):
        res = tuple(r.squeeze(0) if unbatched else r for r in res)
        return res if len(res) > 1 else res[0]


class RNNCell(RNNCellBase):
    """Matches torch.nn.RNNCell."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), unb = self._prep(input, hx, 1)
        _, hn = _rnn.RNNLayer.apply(x, h, self.weight_ih, self.weight_hh, self.bias_ih,
                                    self.bias_hh, self.nonlinearity == "relu", False, None)
        return self._out((hn,), unb)


class LSTMCell(RNNCellBase):
    """Matches torch.nn.LSTMCell."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), unb = self._prep(input, hx, 2)
        _, hn, cn = _rnn.LSTMCellOp.apply(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih,
                                         self.bias_hh, False, None)
        return self._out((hn, cn), unb)


class GRUCell(RNNCellBase):
    """Matches torch.nn.GRUCell."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), unb = self._prep(input, hx, 1)
        _, hn = _rnn.GRULayer.apply(x, h, self.weight_ih, self.weight_hh, self.bias_ih,
                                    self.bias_hh, False, None)
        return self._out((hn,), unb)
