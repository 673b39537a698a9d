"""The three hparams-plugin summaries (experiment, session start, session end), as torch writes.

`SummaryWriter.add_hparams` writes them, then the metrics as scalars, into a sub-run directory.
Value types follow torch's checks in torch's order: int and float (bool included, since bool is
an int) become numbers, then str, then one-element tensors; anything else is refused.
"""

import logging

from ..._tensor import Tensor
from ._convert import make_np

logger = logging.getLogger("ember.utils.tensorboard.summary")

# the kinds torch tells apart: (DataType name, struct_pb2.Value field)
_NUMBER = ("DATA_TYPE_FLOAT64", "number_value")
_STRING = ("DATA_TYPE_STRING", "string_value")
_BOOL = ("DATA_TYPE_BOOL", "bool_value")


def _check_dicts(hparam_dict, metric_dict, domains):
    for name, given in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(given, dict):
            message = f"parameter: {name} should be a dictionary, nothing logged."
            logger.warning(message)
            raise TypeError(message)
    if not isinstance(domains, dict):
        raise TypeError(
            "parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in domains.items():
        if k not in hparam_dict or not isinstance(v, list) or \
                not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")


def _kind(value):
    if isinstance(value, (int, float)):
        return _NUMBER
    if isinstance(value, str):
        return _STRING
    if isinstance(value, bool):  # unreachable, as in torch: bool is an int and counts as a number
        return _BOOL
    if isinstance(value, Tensor):
        return None
    raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")


def _plugin_summary(tag, **content):
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.plugins.hparams.metadata import PLUGIN_DATA_VERSION, PLUGIN_NAME
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData
    data = HParamsPluginData(version=PLUGIN_DATA_VERSION, **content).SerializeToString()
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME, content=data))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])


def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The (experiment, session-start-info, session-end-info) summaries for one hparams run."""
    from . import _extras
    _extras.tensorboard()
    from google.protobuf import struct_pb2
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.api_pb2 import (
        DataType,
        Experiment,
        HParamInfo,
        MetricInfo,
        MetricName,
        Status,
    )
    from tensorboard.plugins.hparams.plugin_data_pb2 import SessionEndInfo, SessionStartInfo

    domains = hparam_domain_discrete or {}
    _check_dicts(hparam_dict, metric_dict, domains)
    infos = []
    start = SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        kind = _kind(v)
        if kind is None:  # a tensor: its first element, as a number, with no discrete domain
            start.hparams[k].number_value = make_np(v)[0]
            infos.append(HParamInfo(name=k, type=DataType.Value(_NUMBER[0])))
            continue
        type_name, field = kind
        setattr(start.hparams[k], field, v)
        domain = None
        if k in domains:
            domain = struct_pb2.ListValue(
                values=[struct_pb2.Value(**{field: d}) for d in domains[k]])
        infos.append(HParamInfo(name=k, type=DataType.Value(type_name), domain_discrete=domain))

    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    end = SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))
    return (_plugin_summary(metadata.EXPERIMENT_TAG, experiment=experiment),
            _plugin_summary(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            _plugin_summary(metadata.SESSION_END_INFO_TAG, session_end_info=end))
