# ruff: noqa: E501  (the case table keeps one snippet per line)
"""Regenerate tests/data/error_vectors.json: the exceptions (and a few warnings) PyTorch raises
for common beginner mistakes.

Usage (from the repository root, with torch 2.13.0 installed, CPU build):
    python tools/gen_error_vectors.py

Adapted from the project's shared spec generator (shared/spec/errors/gen_error_vectors.py), with
the same case table, so the project's copy equals the reference vectors. Each case records the
snippet exec()'d with `torch`, `nn` = torch.nn and `F` = torch.nn.functional in scope, the
exception class (`type`: the bare name; `qualified`: module + name; `mro`: its bases, so e.g.
torch.AcceleratorError can be matched as RuntimeError) and `message` == str(exc). Warning cases
record each warning's category and text. A C++ build path inside a warning is redacted to
`<build>/` so that no absolute path is stored.
"""
import json
import os
import re
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "error_vectors.json")

CASES = [
    # --- shapes in matrix products
    ("mm_shape_mismatch_1x5_1x5", "torch.manual_seed(7)\nfeatures = torch.randn((1, 5))\nweights = torch.randn_like(features)\ntorch.mm(features, weights)"),
    ("matmul_shape_mismatch_1x5_1x5", "features = torch.ones(1, 5)\nweights = torch.ones(1, 5)\nfeatures.matmul(weights)"),
    ("matmul_operator_mismatch", "torch.ones(2, 3) @ torch.ones(2, 3)"),
    ("matmul_2d_1d_mismatch", "torch.ones(2, 3) @ torch.ones(2)"),
    ("matmul_1d_1d_mismatch", "torch.ones(3) @ torch.ones(2)"),
    ("matmul_1d_2d_mismatch", "torch.ones(2) @ torch.ones(3, 4)"),
    ("bmm_mismatch", "torch.bmm(torch.ones(2, 3, 4), torch.ones(2, 5, 6))"),
    ("mm_dtype_mismatch", "torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64)"),
    ("mm_1d_input", "torch.mm(torch.ones(3), torch.ones(3, 2))"),
    ("linear_wrong_in_features", "torch.manual_seed(0)\nmodel = nn.Linear(784, 128)\nmodel(torch.randn(64, 100))"),
    ("linear_wrong_in_features_1d", "model = nn.Linear(784, 128)\nmodel(torch.randn(100))"),
    ("linear_int_input", "model = nn.Linear(3, 2)\nmodel(torch.tensor([[1, 2, 3]]))"),
    ("linear_double_input", "model = nn.Linear(3, 2)\nmodel(torch.ones(1, 3, dtype=torch.float64))"),
    ("sequential_flatten_forgotten", "model = nn.Sequential(nn.Linear(784, 10))\nmodel(torch.randn(64, 1, 28, 28))"),
    # --- broadcasting / elementwise
    ("add_incompatible_shapes", "torch.ones(2, 3) + torch.ones(4)"),
    ("add_incompatible_shapes_2d", "torch.ones(2, 3) + torch.ones(3, 2)"),
    ("mul_incompatible_shapes", "torch.ones(5) * torch.ones(3)"),
    ("inplace_broadcast_result_shape", "a = torch.ones(3)\na += torch.ones(2, 3)"),
    ("cat_size_mismatch", "torch.cat([torch.ones(2, 3), torch.ones(2, 4)])"),
    ("stack_size_mismatch", "torch.stack([torch.ones(3), torch.ones(4)])"),
    # --- view / reshape
    ("view_non_contiguous", "torch.ones(2, 3).t().view(6)"),
    ("view_wrong_numel", "torch.ones(2, 3).view(4)"),
    ("view_wrong_numel_2d", "torch.arange(10).view(3, -1)"),
    ("reshape_wrong_numel", "torch.ones(2, 3).reshape(4, 2)"),
    ("view_two_minus_one", "torch.ones(6).view(-1, -1)"),
    ("expand_bad", "torch.ones(2, 3).expand(4, 3)"),
    ("squeeze_dim_out_of_range", "torch.ones(2, 3).sum(dim=2)"),
    ("index_out_of_range", "torch.ones(3)[5]"),
    ("too_many_indices", "torch.ones(3)[0, 0]"),
    ("transpose_dim_out_of_range", "torch.ones(3).t().transpose(0, 1)"),
    # --- autograd
    ("backward_non_scalar", "x = torch.ones(3, requires_grad=True)\ny = x * 2\ny.backward()"),
    ("backward_twice", "x = torch.ones(3, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()"),
    ("backward_no_grad_fn", "y = torch.ones(3).sum()\ny.backward()"),
    ("backward_under_no_grad", "x = torch.ones(3, requires_grad=True)\nwith torch.no_grad():\n    y = (x * 2).sum()\ny.backward()"),
    ("inplace_on_leaf_requires_grad", "x = torch.ones(3, requires_grad=True)\nx.add_(1)"),
    ("inplace_on_leaf_augassign", "x = torch.ones(3, requires_grad=True)\nx += 1"),
    ("inplace_on_view_of_leaf", "x = torch.ones(3, requires_grad=True)\nx[0] = 5.0"),
    ("inplace_on_saved_tensor", "x = torch.ones(3, requires_grad=True)\ny = x.sigmoid()\ny.mul_(2)\ny.sum().backward()"),
    ("inplace_on_saved_input", "x = torch.ones(3, requires_grad=True)\na = x * 1\nb = a * a\na.add_(1)\nb.sum().backward()"),
    ("inplace_relu_after_exp", "x = torch.ones(3, requires_grad=True)\ny = x.exp()\ntorch.relu_(y)\ny.sum().backward()"),
    ("numpy_requires_grad", "x = torch.ones(3, requires_grad=True)\nx.numpy()"),
    ("numpy_non_leaf", "x = torch.ones(3, requires_grad=True)\n(x * 2).numpy()"),
    ("requires_grad_int_tensor", "torch.tensor([1, 2, 3], requires_grad=True)"),
    ("requires_grad_setter_int", "torch.arange(3).requires_grad_()"),
    ("grad_of_non_scalar_autograd_grad", "x = torch.ones(3, requires_grad=True)\ntorch.autograd.grad(x * 2, x)"),
    ("set_requires_grad_non_leaf", "x = torch.ones(3, requires_grad=True)\ny = x * 2\ny.requires_grad = False"),
    # --- losses
    ("cross_entropy_float_target", "logits = torch.randn(3, 5)\ntarget = torch.tensor([1.0, 0.0, 4.0])\nF.cross_entropy(logits, target)"),
    ("cross_entropy_int32_target", "logits = torch.randn(3, 5)\ntarget = torch.tensor([1, 0, 4], dtype=torch.int32)\nF.cross_entropy(logits, target)"),
    ("cross_entropy_long_probs_shape", "logits = torch.randn(3, 5)\ntarget = torch.zeros(3, 5, dtype=torch.long)\nF.cross_entropy(logits, target)"),
    ("cross_entropy_target_out_of_bounds", "logits = torch.randn(3, 5)\nF.cross_entropy(logits, torch.tensor([1, 0, 5]))"),
    ("cross_entropy_batch_mismatch", "logits = torch.randn(3, 5)\nF.cross_entropy(logits, torch.tensor([1, 0]))"),
    ("cross_entropy_module_float_target", "criterion = nn.CrossEntropyLoss()\ncriterion(torch.randn(2, 4), torch.tensor([0.0, 3.0]))"),
    ("nll_loss_float_target", "F.nll_loss(torch.randn(3, 5).log_softmax(1), torch.tensor([1.0, 0.0, 4.0]))"),
    ("view_after_transpose_of_view", "torch.ones(2, 3).view(3, 2).t().view(6)"),
    ("bce_target_out_of_range", "F.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([2.0]))"),
    ("bce_input_out_of_range", "F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))"),
    # --- conv
    ("conv2d_wrong_channels", "conv = nn.Conv2d(3, 8, 5)\nconv(torch.randn(1, 1, 28, 28))"),
    ("conv2d_2d_input", "conv = nn.Conv2d(1, 8, 5)\nconv(torch.randn(28, 28))"),
    ("conv2d_kernel_too_big", "conv = nn.Conv2d(1, 8, 5)\nconv(torch.randn(1, 1, 3, 3))"),
    ("maxpool_output_too_small", "F.max_pool2d(torch.randn(1, 1, 1, 1), 2)"),
    # --- scalars / conversion
    ("item_multi_element", "torch.ones(2).item()"),
    ("bool_ambiguous", "if torch.ones(2):\n    pass"),
    ("float_multi_element", "float(torch.ones(2))"),
    ("tensor_ragged_list", "torch.tensor([[1, 2], [3]])"),
    ("tensor_from_string", "torch.tensor('abc')"),
    ("argmax_dim_out_of_range", "torch.ones(2, 3).argmax(dim=2)"),
    # --- devices
    ("cuda_method_unavailable", "torch.ones(2).cuda()"),
    ("cuda_device_kwarg_unavailable", "torch.ones(2, device='cuda')"),
    ("to_cuda_unavailable", "torch.ones(2).to('cuda')"),
    ("module_to_cuda_unavailable", "nn.Linear(2, 2).to('cuda')"),
    ("cuda_index_unavailable", "torch.zeros(1, device='cuda:0')"),
    ("bad_device_string", "torch.ones(2, device='gpu')"),
    # --- optim / data
    ("optimizer_empty_params", "torch.optim.SGD([], lr=0.1)"),
    ("sgd_without_lr_does_not_raise", "torch.optim.SGD(nn.Linear(2, 2).parameters())"),
    ("load_state_dict_missing_keys", "m = nn.Linear(2, 2)\nm.load_state_dict({'weight': torch.ones(2, 2)})"),
    ("load_state_dict_size_mismatch", "m = nn.Linear(2, 2)\nm.load_state_dict({'weight': torch.ones(3, 2), 'bias': torch.ones(2)})"),
    ("dataloader_collate_uneven", "from torch.utils.data import DataLoader\nnext(iter(DataLoader([torch.ones(2), torch.ones(3)], batch_size=2)))"),
    ("softmax_no_dim_int", "torch.softmax(torch.tensor([1, 2, 3]), dim=0)"),
    ("randn_negative_size", "torch.randn(-1)"),
    ("randint_low_ge_high", "torch.randint(5, 5, (3,))"),
    ("multinomial_negative", "torch.multinomial(torch.tensor([0.5, -0.1]), 1)"),
    ("manual_seed_negative_huge", "torch.manual_seed(-2**64)"),
]

WARNING_CASES = [
    ("grad_of_non_leaf_warning", "x = torch.ones(3, requires_grad=True)\ny = x * 2\ny.sum().backward()\n_ = y.grad"),
    ("softmax_implicit_dim_warning", "F.softmax(torch.ones(2, 3))"),
    ("mse_broadcast_warning", "F.mse_loss(torch.ones(3, 1), torch.ones(3))"),
    ("tensor_from_tensor_warning", "t = torch.ones(2)\ntorch.tensor(t)"),
]


def _redact(w):
    """'(Triggered internally at /abs/build/path/aten/...:N.)' -> '... at <build>/aten/...'."""
    msg = str(w.message)
    red = re.sub(r"\(Triggered internally at [^)]*?/(aten|c10|torch)/",
                 r"(Triggered internally at <build>/\1/", msg)
    rec = {"category": w.category.__name__, "message": red}
    if red != msg:
        rec["redacted"] = "absolute build-machine path prefix replaced by <build>/"
    return rec


def _name(cls):
    return cls.__module__ + "." + cls.__qualname__


def _run_case(cid, code):
    rec = {"id": cid, "code": code}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, {"torch": torch, "nn": nn, "F": F})
        rec["raises"] = False
    except Exception as e:  # noqa: BLE001 - recording whatever torch raises is the point
        rec.update({"raises": True, "type": type(e).__name__, "qualified": _name(type(e)),
                    "mro": [_name(c) for c in type(e).__mro__[1:-2]], "message": str(e)})
    return rec


def _run_warning_case(cid, code):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(code, {"torch": torch, "nn": nn, "F": F})
    return {"id": cid, "code": code, "warnings": [_redact(w) for w in caught]}


def main():
    out = {"torch_version": torch.__version__, "cuda_available": torch.cuda.is_available(),
           "note": "messages recorded from a CPU-only build; a CUDA build on a machine without a "
                   "GPU/driver raises different text for the device cases (see torch-internals.md)",
           "cases": [_run_case(cid, code) for cid, code in CASES],
           "warnings": [_run_warning_case(cid, code) for cid, code in WARNING_CASES]}
    text = json.dumps(out, indent=1)
    if re.search(r"(?<![\w.])/(__w|tmp|work|home|root|usr|opt)/", text):
        raise SystemExit("an absolute path leaked into the vectors; add a redaction")
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote", len(out["cases"]), "cases and", len(out["warnings"]), "warning cases to", OUT)


if __name__ == "__main__":
    main()
