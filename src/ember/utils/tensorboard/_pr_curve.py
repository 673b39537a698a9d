"""Precision-recall curve summaries for tensorboard's pr_curves plugin, as torch computes them.

Predictions are bucketed into `num_thresholds` (at most 127, torch's cap) and reverse cumulative
sums give TP/FP/TN/FN per threshold; the summary holds a 6 x num_thresholds float tensor.
"""

import numpy as np

_MINIMUM_COUNT = 1e-7


def compute_curve(labels, predictions, num_thresholds=None, weights=None):
    """The stacked (tp, fp, tn, fn, precision, recall) rows, one column per threshold."""
    if weights is None:
        weights = 1.0
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    positive = labels.astype(np.float64)
    span = (0, num_thresholds - 1)
    tp_counts, _ = np.histogram(buckets, bins=num_thresholds, range=span,
                                weights=positive * weights)
    fp_counts, _ = np.histogram(buckets, bins=num_thresholds, range=span,
                                weights=(1.0 - positive) * weights)
    tp = np.cumsum(tp_counts[::-1])[::-1]
    fp = np.cumsum(fp_counts[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_MINIMUM_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def _curve_summary(tag, data, num_thresholds):
    from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData

    from .summary import _metadata, _pb, _shape, _value_summary
    content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    proto = _pb().TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
                              tensor_shape=_shape(data.shape[:2]))
    return _value_summary(tag=tag, metadata=_metadata("pr_curves", content), tensor=proto)


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    """A PR-curve summary from precomputed counts, precision and recall."""
    if weights is not None:  # torch's raw curve never reads weights: refuse rather than ignore
        from ..._args import unsupported
        unsupported("torch.utils.tensorboard.SummaryWriter.add_pr_curve_raw", "weights", weights)
    from ._convert import make_np
    rows = [make_np(r) if not isinstance(r, (list, tuple)) else r
            for r in (tp, fp, tn, fn, precision, recall)]
    return _curve_summary(tag, np.stack(rows), min(num_thresholds, 127))


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    """A PR-curve summary computed from binary labels and [0, 1] predictions."""
    num_thresholds = min(num_thresholds, 127)  # larger counts break the plugin, torch caps them
    data = compute_curve(labels, predictions, num_thresholds=num_thresholds, weights=weights)
    return _curve_summary(tag, data, num_thresholds)
