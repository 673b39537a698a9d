# ruff: noqa: E501  (the case table keeps one snippet per line)
"""Regenerate tests/data/print_vectors.json: tensor repr() vectors printed by real PyTorch.

Usage (from the repository root, with torch 2.13 installed):  python tools/gen_print_vectors.py

Adapted from the project's shared spec generator (shared/spec/printing/gen_print_vectors.py):
the same cases, plus the `more` block below, and every strided tensor's elements stored
exactly as zlib-compressed, base64-encoded raw little-endian bytes (`input.raw`), so that the
tests can rebuild any input, large ones included, without torch and without ember's ops.
Each case: the snippet that was exec()'d (binds `t`; may call torch.set_printoptions or
set_default_dtype first), the input's description, and `expected` == repr(t). Print options and
the default dtype are reset before every case. A case marked "derived" was not printed by torch
on a real device (no CUDA on the generating host); see its "note".
"""
import base64
import json
import os
import zlib
from unittest import mock

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "print_vectors.json")
C = []  # (id, code)


def add(cid, code):
    C.append((cid, code.strip("\n")))


# ---------------------------------------------------------------- fixed-point floats
add("f32_basic", "t = torch.tensor([0.1, 0.2, 0.3])")
add("f32_mixed_sign_width", "t = torch.tensor([-1.5, 10.25, 100.125])")
add("f32_pi", "t = torch.tensor([3.14159265])")
add("f32_ratio_over_1000_sci_a", "t = torch.tensor([0.12345, 0.00015, 2.71828])")
add("f32_notebook_row", "t = torch.tensor([[-0.1468, 0.7861, 0.9468, -1.1143, 1.6908]])")
add("f32_notebook_result", "t = torch.tensor([[-1.6619]])")
add("f32_negative_only", "t = torch.tensor([-0.5, -0.25])")
add("f32_ratio_999", "t = torch.tensor([0.5, 499.5])")
add("f32_ratio_over_1000_sci_b", "t = torch.tensor([12345.678, 0.5])")
add("f32_large_fixed", "t = torch.tensor([12345.678, 100.5])")
add("f32_ratio_over_1000_sci_c", "t = torch.tensor([99999999.0, 12.5])")
add("f32_exactly_1e8_fixed_nonint", "t = torch.tensor([99999999.0, 200000.5])")
add("f32_small_1e-4_fixed", "t = torch.tensor([0.00011, 0.1])")
add("f32_neg_zero_nonint", "t = torch.tensor([-0.0, 0.5])")
add("f32_2d", "t = torch.tensor([[1.5, -2.25, 3.0], [4.125, 5.0, -6.0625]])")
add("f32_3d", "t = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 4")
add("f32_4d", "t = torch.arange(16, dtype=torch.float32).reshape(2, 2, 2, 2) - 7.5")
add("f32_transposed_view", "t = (torch.arange(6, dtype=torch.float32).reshape(2, 3) / 3).t()")
# ---------------------------------------------------------------- integer-valued floats
add("f32_int_mode", "t = torch.tensor([1., 2., 3.])")
add("f32_int_mode_widths", "t = torch.tensor([-1., 10., 100.])")
add("f32_zeros", "t = torch.zeros(3)")
add("f32_zeros_2d", "t = torch.zeros(2, 3)")
add("f32_ones_2d", "t = torch.ones(2, 2)")
add("f32_neg_zero_int_mode", "t = torch.tensor([-0.0, 1.0])")
add("f32_only_neg_zero", "t = torch.tensor([-0.0])")
add("f32_int_mode_1000_ratio", "t = torch.tensor([1., 1000.])")
add("f32_int_mode_1001_ratio_sci", "t = torch.tensor([1., 1001.])")
add("f32_int_mode_1e8", "t = torch.tensor([100000000.])")
add("f32_int_mode_above_1e8_sci", "t = torch.tensor([200000000.])")
add("f32_int_mode_arange", "t = torch.arange(10.)")
add("f32_int_mode_negative", "t = torch.tensor([[-3., 4.], [5., -600.]])")
# ---------------------------------------------------------------- nan / inf
add("nan_only", "t = torch.tensor([float('nan')])")
add("inf_both", "t = torch.tensor([float('inf'), float('-inf')])")
add("nan_with_nonint", "t = torch.tensor([1.5, float('nan')])")
add("nan_with_int", "t = torch.tensor([1., float('nan')])")
add("inf_with_int", "t = torch.tensor([1., float('inf'), -2.])")
add("inf_with_nonint_wide", "t = torch.tensor([123.25, float('-inf')])")
add("nan_inf_sci", "t = torch.tensor([float('nan'), float('inf'), 2.5, 1e-5])")
add("nan_2d", "t = torch.tensor([[float('nan'), 0.5], [1.25, float('inf')]])")
add("nan_0d", "t = torch.tensor(float('nan'))")
add("inf_0d", "t = torch.tensor(float('-inf'))")
add("all_zero_and_nan", "t = torch.tensor([0., float('nan')])")
# ---------------------------------------------------------------- scientific
add("sci_small_min", "t = torch.tensor([1e-5, 1.0])")
add("sci_1e-4_boundary", "t = torch.tensor([0.0001, 0.5])")
add("sci_big", "t = torch.tensor([1e10])")
add("sci_range", "t = torch.tensor([1.5e-10, 2.5e10])")
add("sci_negative", "t = torch.tensor([-1.5e-10, 2.5e10, -3.0])")
add("sci_ratio", "t = torch.tensor([0.001, 5.0])")
add("sci_2d", "t = torch.tensor([[1e-8, 1.0], [100.0, -1e6]])")
add("sci_0d", "t = torch.tensor(1e-5)")
add("sci_0d_big", "t = torch.tensor(123456789012.0)")
add("sci_3digit_exponent_f64", "t = torch.tensor([1e-300, 1e300], dtype=torch.float64)")
add("sci_denormal_f32", "t = torch.tensor([1e-40, 1.0])")
add("sci_float32_max", "t = torch.tensor([3.4028234663852886e38, -1.0])")
# ---------------------------------------------------------------- 0-d
add("scalar_f32", "t = torch.tensor(3.14159)")
add("scalar_f32_int", "t = torch.tensor(3.)")
add("scalar_f32_neg", "t = torch.tensor(-0.5)")
add("scalar_f32_zero", "t = torch.tensor(0.)")
add("scalar_f64", "t = torch.tensor(2.5, dtype=torch.float64)")
add("scalar_i64", "t = torch.tensor(5)")
add("scalar_i32", "t = torch.tensor(-5, dtype=torch.int32)")
add("scalar_bool", "t = torch.tensor(True)")
add("scalar_sum_grad", "t = (torch.ones(3, requires_grad=True) * 2).sum()")
add("scalar_mean_grad", "t = torch.tensor([1., 2., 4.], requires_grad=True).mean()")
add("scalar_item_like_loss", "t = torch.tensor(0.6931471805599453)")
# ---------------------------------------------------------------- precision / sci_mode options
add("precision_2", "torch.set_printoptions(precision=2)\nt = torch.tensor([1.12345, -2.5])")
add("precision_8", "torch.set_printoptions(precision=8)\nt = torch.tensor([1.12345, -2.5])")
add("precision_0_fixed", "torch.set_printoptions(precision=0)\nt = torch.tensor([1.4, 2.6])")
add("precision_1_sci", "torch.set_printoptions(precision=1)\nt = torch.tensor([1e-6, 3.0])")
add("sci_mode_false_tiny", "torch.set_printoptions(sci_mode=False)\nt = torch.tensor([1e-6, 3.0])")
add("sci_mode_false_huge", "torch.set_printoptions(sci_mode=False)\nt = torch.tensor([1e10, 3.5])")
add("sci_mode_true_plain", "torch.set_printoptions(sci_mode=True)\nt = torch.tensor([0.5, 3.0])")
add("sci_mode_true_int_mode", "torch.set_printoptions(sci_mode=True)\nt = torch.tensor([1., 20.])")
add("sci_mode_true_ints_unaffected", "torch.set_printoptions(sci_mode=True)\nt = torch.tensor([1, 20])")
add("profile_short", "torch.set_printoptions(profile='short')\nt = torch.arange(2000.) / 3")
add("profile_full", "torch.set_printoptions(profile='full')\nt = torch.arange(1001)")
add("precision_and_reset_sci", "torch.set_printoptions(precision=3, sci_mode=None)\nt = torch.tensor([1e-5, 2.0])")
# ---------------------------------------------------------------- line width / wrapping
add("wrap_f32_1d", "t = torch.arange(30, dtype=torch.float32) / 3")
add("wrap_i64_1d", "t = torch.arange(100)")
add("wrap_i64_negative", "t = torch.arange(-50, 50, 3)")
add("wrap_2d_rows", "t = torch.arange(60, dtype=torch.float32).reshape(3, 20) / 7")
add("wrap_3d", "t = torch.arange(2 * 2 * 25, dtype=torch.float32).reshape(2, 2, 25) * 1.5")
add("linewidth_40", "torch.set_printoptions(linewidth=40)\nt = torch.arange(20, dtype=torch.float32) / 3")
add("linewidth_200", "torch.set_printoptions(linewidth=200)\nt = torch.arange(40, dtype=torch.float32) / 3")
add("linewidth_10_min_one_per_line", "torch.set_printoptions(linewidth=10)\nt = torch.tensor([123.5, 456.25, 7.125])")
add("wrap_bool", "t = torch.arange(30) % 3 == 0")
add("wrap_sci", "t = torch.logspace(-10, 10, 21)")
# ---------------------------------------------------------------- summarisation
add("summ_1000_not", "t = torch.arange(1000)")
add("summ_1001_yes", "t = torch.arange(1001)")
add("summ_f32_1d", "t = torch.arange(2000, dtype=torch.float32) / 7")
add("summ_2d", "t = torch.arange(10000, dtype=torch.float32).reshape(100, 100) / 100")
add("summ_2d_narrow", "t = torch.arange(3000).reshape(1000, 3)")
add("summ_2d_wide", "t = torch.arange(3000).reshape(3, 1000)")
add("summ_3d", "t = torch.arange(2000).reshape(10, 10, 20)")
add("summ_4d", "t = torch.arange(4 * 5 * 6 * 10, dtype=torch.float32).reshape(4, 5, 6, 10) / 10")
add("summ_width_from_edges_only", "t = torch.cat([torch.full((3,), 1.5), torch.full((1000,), 123456.5), torch.full((3,), 2.5)])")
add("summ_sci_decided_on_edges", "t = torch.cat([torch.ones(3), torch.full((1000,), 1e-9), torch.ones(3)])")
add("threshold_5", "torch.set_printoptions(threshold=5)\nt = torch.arange(10)")
add("threshold_5_2d", "torch.set_printoptions(threshold=5)\nt = torch.arange(12.).reshape(3, 4)")
add("edgeitems_2", "torch.set_printoptions(edgeitems=2)\nt = torch.arange(1500)")
add("edgeitems_1_2d", "torch.set_printoptions(edgeitems=1, threshold=10)\nt = torch.arange(30).reshape(5, 6)")
add("edgeitems_0", "torch.set_printoptions(edgeitems=0)\nt = torch.arange(1500)")
add("edgeitems_0_2d", "torch.set_printoptions(edgeitems=0)\nt = torch.arange(3000.).reshape(30, 100)")
add("edgeitems_0_small_not_summarised", "torch.set_printoptions(edgeitems=0)\nt = torch.arange(5)")
# ---------------------------------------------------------------- dtypes
add("f64_suffix", "t = torch.tensor([1.5, 2.25], dtype=torch.float64)")
add("f64_int_mode", "t = torch.tensor([1., 2.], dtype=torch.float64)")
add("f64_precision_rounding", "t = torch.tensor([0.123456789, 1/3], dtype=torch.float64)")
add("f16", "t = torch.tensor([0.1, 65504.0, -2.5], dtype=torch.float16)")
add("f16_small", "t = torch.tensor([0.1, 0.2], dtype=torch.float16)")
add("bf16", "t = torch.tensor([0.1, 3.0, -1e10], dtype=torch.bfloat16)")
add("i64_no_suffix", "t = torch.tensor([1, -20, 300])")
add("i32", "t = torch.tensor([1, -20, 300], dtype=torch.int32)")
add("i16", "t = torch.tensor([7, -8], dtype=torch.int16)")
add("i8", "t = torch.tensor([127, -128], dtype=torch.int8)")
add("u8", "t = torch.tensor([0, 255, 7], dtype=torch.uint8)")
add("i64_big", "t = torch.tensor([2**62, -5])")
add("i64_2d", "t = torch.tensor([[1, 22], [333, -4444]])")
add("bool_1d", "t = torch.tensor([True, False, True])")
add("bool_2d", "t = torch.tensor([[True], [False]])")
add("bool_compare", "t = torch.tensor([1., 2., 3.]) > 1.5")
add("c64", "t = torch.tensor([1 + 2j, -3.5 - 0.25j])")
add("c64_int_parts", "t = torch.tensor([1 + 2j, 3 - 4j])")
add("c128_suffix", "t = torch.tensor([0.5 + 1e-5j], dtype=torch.complex128)")
add("c64_0d", "t = torch.tensor(1 - 1j)")
add("c64_nan", "t = torch.tensor([complex(float('nan'), 1.0), 2 + 0j])")
add("default_dtype_f64_prints_f32_suffix", "torch.set_default_dtype(torch.float64)\nt = torch.tensor([1.5, 2.0], dtype=torch.float32)")
add("default_dtype_f64_no_suffix", "torch.set_default_dtype(torch.float64)\nt = torch.tensor([1.5, 2.0])")
add("default_dtype_f64_c128_no_suffix", "torch.set_default_dtype(torch.float64)\nt = torch.tensor([1 + 1j])")
# ---------------------------------------------------------------- empty tensors
add("empty_1d_f32", "t = torch.tensor([])")
add("empty_0x3", "t = torch.zeros(0, 3)")
add("empty_i64", "t = torch.zeros(0, dtype=torch.int64)")
add("empty_2x0_f64", "t = torch.zeros(2, 0, dtype=torch.float64)")
add("empty_bool", "t = torch.zeros(0, dtype=torch.bool)")
add("empty_requires_grad", "t = torch.zeros(0, 2, requires_grad=True)")
add("empty_3d", "t = torch.zeros(1, 0, 2)")
# ---------------------------------------------------------------- autograd suffixes
add("requires_grad_leaf", "t = torch.tensor([1., 2.], requires_grad=True)")
add("requires_grad_f64", "t = torch.tensor([1., 2.], dtype=torch.float64, requires_grad=True)")
add("grad_fn_add", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a + 1")
add("grad_fn_add_tensors", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a + a")
add("grad_fn_sub", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a - 0.5")
add("grad_fn_mul", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a * 3")
add("grad_fn_div", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a / 3")
add("grad_fn_neg", "a = torch.tensor([1., 2.], requires_grad=True)\nt = -a")
add("grad_fn_pow", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a ** 2")
add("grad_fn_exp", "a = torch.tensor([0., 1.], requires_grad=True)\nt = a.exp()")
add("grad_fn_log", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.log()")
add("grad_fn_relu", "a = torch.tensor([-1., 2.], requires_grad=True)\nt = torch.relu(a)")
add("grad_fn_sigmoid", "a = torch.tensor([0., 2.], requires_grad=True)\nt = torch.sigmoid(a)")
add("grad_fn_tanh", "a = torch.tensor([0., 2.], requires_grad=True)\nt = torch.tanh(a)")
add("grad_fn_sum", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.sum()")
add("grad_fn_mean", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.mean()")
add("grad_fn_view", "a = torch.tensor([1., 2., 3., 4.], requires_grad=True)\nt = a.view(2, 2)")
add("grad_fn_reshape_alias", "a = torch.tensor([1., 2., 3., 4.], requires_grad=True)\nt = a.reshape(2, 2)")
add("grad_fn_transpose", "a = torch.ones(2, 3, requires_grad=True)\nt = a.t()")
add("grad_fn_mm", "a = torch.ones(2, 3, requires_grad=True)\nt = a @ torch.ones(3, 2)")
add("grad_fn_matmul_1d", "a = torch.ones(3, requires_grad=True)\nt = a @ torch.ones(3)")
add("grad_fn_linear", "torch.manual_seed(0)\nlin = torch.nn.Linear(3, 2)\nt = lin(torch.ones(1, 3))")
add("grad_fn_linear_nobias", "torch.manual_seed(0)\nlin = torch.nn.Linear(3, 2, bias=False)\nt = lin(torch.ones(1, 3))")
add("grad_fn_softmax", "a = torch.tensor([1., 2.], requires_grad=True)\nt = torch.softmax(a, dim=0)")
add("grad_fn_log_softmax", "a = torch.tensor([1., 2.], requires_grad=True)\nt = torch.log_softmax(a, dim=0)")
add("grad_fn_cross_entropy", "a = torch.tensor([[1., 2.]], requires_grad=True)\nt = torch.nn.functional.cross_entropy(a, torch.tensor([1]))")
add("grad_fn_mse", "a = torch.tensor([1., 2.], requires_grad=True)\nt = torch.nn.functional.mse_loss(a, torch.zeros(2))")
add("grad_fn_index", "a = torch.tensor([1., 2., 3.], requires_grad=True)\nt = a[1:]")
add("grad_fn_select", "a = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)\nt = a[0]")
add("grad_fn_unsqueeze", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.unsqueeze(0)")
add("grad_fn_clone", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.clone()")
add("grad_fn_cat", "a = torch.tensor([1., 2.], requires_grad=True)\nt = torch.cat([a, a])")
add("grad_fn_expand", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.expand(2, 2)")
add("grad_fn_max", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.max()")
add("grad_fn_abs", "a = torch.tensor([-1., 2.], requires_grad=True)\nt = a.abs()")
add("grad_fn_sqrt", "a = torch.tensor([1., 4.], requires_grad=True)\nt = a.sqrt()")
add("grad_fn_to_double", "a = torch.tensor([1., 2.], requires_grad=True)\nt = a.double()")
add("grad_fn_nonint_suffix_f64", "a = torch.tensor([0.5, 2.25], dtype=torch.float64, requires_grad=True)\nt = a * 2")
add("detach_no_suffix", "a = torch.tensor([1., 2.], requires_grad=True)\nt = (a * 2).detach()")
add("no_grad_no_suffix", "a = torch.tensor([1., 2.], requires_grad=True)\nwith torch.no_grad():\n    t = a * 2")
add("parameter_repr", "t = torch.nn.Parameter(torch.tensor([1., 2.]))")
add("parameter_2d_repr", "torch.manual_seed(0)\nt = torch.nn.Linear(3, 2).weight")
add("parameter_no_grad", "t = torch.nn.Parameter(torch.tensor([1., 2.]), requires_grad=False)")
# ---------------------------------------------------------------- suffix line breaking
add("suffix_fits", "t = torch.arange(15, dtype=torch.float64) / 3")
add("suffix_wraps_dtype", "t = torch.arange(8, dtype=torch.float64) / 3")
add("suffix_wraps_grad", "a = (torch.arange(8, dtype=torch.float32) / 3).requires_grad_()\nt = a * 1")
add("suffix_wraps_two", "t = (torch.arange(8, dtype=torch.float64) / 3).requires_grad_()")
add("suffix_2d_after_rows", "t = (torch.arange(12, dtype=torch.float64).reshape(3, 4) / 3).requires_grad_()")
add("suffix_one_line_long", "t = torch.tensor([123456.5, 234567.25, 345678.125, 456789.0625], dtype=torch.float64, requires_grad=True)")
# ---------------------------------------------------------------- misc
add("meta_device", "t = torch.empty(2, 3, device='meta')")
add("meta_device_f64", "t = torch.empty(2, 3, device='meta', dtype=torch.float64)")
add("sparse_coo", "t = torch.tensor([[0., 1.5], [2., 0.]]).to_sparse()")
add("neg_view", "t = torch.tensor([1 + 1j]).conj()")
add("arange_int_large_values", "t = torch.arange(0, 10**12, 10**11)")
add("randn_seed0_2x3", "torch.manual_seed(0)\nt = torch.randn(2, 3)")
add("rand_seed0_5", "torch.manual_seed(0)\nt = torch.rand(5)")

# ---------------------------------------------------------------- more (ember's additions)
add("sci_mode_true_mixed_sign_width", "torch.set_printoptions(sci_mode=True)\nt = torch.tensor([-0.5, 3.0])")
add("sci_mode_true_zeros_ignored", "torch.set_printoptions(sci_mode=True)\nt = torch.zeros(3)")
add("sci_mode_false_int_big", "torch.set_printoptions(sci_mode=False)\nt = torch.tensor([1., 1e9])")
add("sci_mode_false_nonint_tiny_neg", "torch.set_printoptions(sci_mode=False)\nt = torch.tensor([-1e-7, 2.5])")
add("precision_2_half_even", "torch.set_printoptions(precision=2)\nt = torch.tensor([0.125, 0.375, 2.675], dtype=torch.float64)")
add("precision_6_sci", "torch.set_printoptions(precision=6)\nt = torch.tensor([1.23456789e-7, 3.0])")
add("precision_10_f64", "torch.set_printoptions(precision=10)\nt = torch.tensor([1 / 3, -2 / 3], dtype=torch.float64)")
add("f32_rounding_edges", "t = torch.tensor([0.99995, 9.99995, 0.00015])")
add("f32_neg_tiny_only", "t = torch.tensor([-1e-5])")
add("f16_int_ratio_sci", "t = torch.tensor([65504., 1.], dtype=torch.float16)")
add("f16_summ", "t = torch.arange(2000, dtype=torch.float16)")
add("c64_2d", "t = torch.tensor([[1 + 2j, 3.5 - 1j], [0.001j, -2 + 0j]])")
add("c128_sci", "t = torch.tensor([1e-8 + 1e8j, 1 - 1j], dtype=torch.complex128)")
add("c64_neg_zero_imag", "t = torch.complex(torch.tensor([1., 2.]), torch.tensor([-0.0, 0.0]))")
add("c64_inf_imag", "t = torch.complex(torch.tensor([1.5, 2.]), torch.tensor([float('inf'), -3.25]))")
add("c64_summ", "t = torch.complex(torch.arange(2000.) / 3, -torch.arange(2000.))")
add("c64_wrap", "t = torch.complex(torch.arange(20.) / 3, -torch.arange(20.))")
add("c64_empty", "t = torch.zeros(0, dtype=torch.complex64)")
add("c128_scalar", "t = torch.tensor(1.5 + 0j, dtype=torch.complex128)")
add("u8_scalar", "t = torch.tensor(200, dtype=torch.uint8)")
add("f16_scalar", "t = torch.tensor(0.1, dtype=torch.float16)")
add("i16_empty_2d", "t = torch.zeros(3, 0, dtype=torch.int16)")
add("f16_empty", "t = torch.zeros(0, dtype=torch.float16)")
add("i32_summ_2d", "t = torch.arange(5000, dtype=torch.int32).reshape(50, 100)")
add("bool_summ", "t = torch.arange(2000) % 3 == 0")
add("u8_summ", "t = (torch.arange(3000) % 256).to(torch.uint8)")
add("i8_2d", "t = torch.tensor([[-128, 5, 0], [7, 127, -1]], dtype=torch.int8)")
add("i64_neg_2d_wrap", "t = torch.arange(-30, 30).reshape(3, 20) * 1000")
add("f32_5d", "t = torch.arange(32.).reshape(2, 2, 2, 2, 2) / 2")
add("summ_5d", "torch.set_printoptions(threshold=100)\nt = torch.arange(840.).reshape(2, 3, 4, 5, 7)")
add("linewidth_30_2d", "torch.set_printoptions(linewidth=30)\nt = torch.arange(24.).reshape(4, 6) / 7")
add("linewidth_30_suffix", "torch.set_printoptions(linewidth=30)\nt = torch.tensor([1.5, 2.5], dtype=torch.float64, requires_grad=True)")
add("linewidth_120_ints", "torch.set_printoptions(linewidth=120)\nt = torch.arange(100)")
add("edgeitems_5", "torch.set_printoptions(edgeitems=5)\nt = torch.arange(2000) * 3")
add("edgeitems_6_not_cut", "torch.set_printoptions(threshold=10, edgeitems=6)\nt = torch.arange(12.)")
add("threshold_0_small", "torch.set_printoptions(threshold=0)\nt = torch.tensor([1.5, 2., 3.])")
add("threshold_0_scalar", "torch.set_printoptions(threshold=0)\nt = torch.tensor(2.5)")
add("edgeitems_0_scalar", "torch.set_printoptions(edgeitems=0)\nt = torch.tensor(2.5)")
add("edgeitems_0_grad", "torch.set_printoptions(edgeitems=0)\nt = torch.tensor([1., 2.], requires_grad=True)")
add("edgeitems_0_empty", "torch.set_printoptions(edgeitems=0)\nt = torch.zeros(0, 2)")
add("default_f64_int64", "torch.set_default_dtype(torch.float64)\nt = torch.tensor([1, 2])")
add("default_f64_c64_suffix", "torch.set_default_dtype(torch.float64)\nt = torch.tensor([1 + 1j], dtype=torch.complex64)")
add("default_f64_empty", "torch.set_default_dtype(torch.float64)\nt = torch.zeros(0)")
add("default_f64_empty_f32", "torch.set_default_dtype(torch.float64)\nt = torch.zeros(0, dtype=torch.float32)")
add("default_f64_f32_grad_wrap", "torch.set_default_dtype(torch.float64)\nt = (torch.arange(8, dtype=torch.float32) / 3).requires_grad_()")
add("grad_2d_wrap_suffix", "t = (torch.arange(40.).reshape(2, 20) / 3).requires_grad_()")
add("summ_grad", "t = (torch.arange(2000.) / 3).requires_grad_()")
add("summ_2d_f64_suffix", "t = torch.arange(3000, dtype=torch.float64).reshape(30, 100) / 9")
add("summ_sci_2d", "t = torch.arange(4000.).reshape(40, 100) * 1e-6")
add("nan_inf_int_width", "t = torch.tensor([float('nan'), 1., float('-inf'), 12.])")
add("int_mode_neg_zero_only_sci", "torch.set_printoptions(sci_mode=True)\nt = torch.tensor([-0.0, 0.0])")
add("randn_seed1_3x4", "torch.manual_seed(1)\nt = torch.randn(3, 4)")
add("randn_seed2_sci", "torch.manual_seed(2)\nt = torch.randn(6) * 1e-5")


DEVICE_CASES = [
    ("device_suffix_cpu_when_default_is_cuda",
     "t = torch.tensor([1., 2.])  # printed while torch._C._get_default_device() reports 'cuda'"),
    ("device_suffix_cpu_when_default_is_cuda_grad",
     "t = torch.tensor([1.5, 2.], dtype=torch.float64, requires_grad=True) * 2  # default device reported as 'cuda'"),
]


DERIVED_CODE = {
    "device_suffix_cpu_when_default_is_cuda": "t = torch.tensor([1., 2.], device='cuda:0')",
    "device_suffix_cpu_when_default_is_cuda_grad":
        "t = torch.tensor([1.5, 2.], dtype=torch.float64, device='cuda:0', requires_grad=True) * 2",
}


def describe(t):
    d = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
         "requires_grad": bool(t.requires_grad), "is_leaf": bool(t.is_leaf),
         "grad_fn": type(t.grad_fn).__name__ if t.grad_fn is not None else None,
         "device": str(t.device), "layout": str(t.layout).replace("torch.", ""),
         "is_parameter": isinstance(t, torch.nn.Parameter)}
    if t.device.type == "meta" or t.layout != torch.strided:
        return d
    a = t.detach().resolve_conj().resolve_neg().contiguous()
    if a.numel() <= 64:
        d["values"] = [fmt(v) for v in a.reshape(-1).tolist()]
    raw = a.reshape(-1).view(torch.uint8).numpy().tobytes()
    d["raw"] = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    return d


def fmt(v):
    if isinstance(v, complex):
        return [fmt(v.real), fmt(v.imag)]
    return repr(v) if isinstance(v, (bool, int)) or v == v else "nan"


def run(code):
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    ns = {"torch": torch}
    exec(code, ns)
    t = ns["t"]
    exp = repr(t)
    d = describe(t)
    opts = torch._tensor_str.get_printoptions()
    dd = torch.get_default_dtype()
    torch.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    return exp, d, opts, dd


def main():
    cases = []
    for cid, code in C:
        exp, d, opts, dd = run(code)
        cases.append({"id": cid, "code": code, "printoptions": opts,
                      "default_dtype": str(dd).replace("torch.", ""), "input": d, "expected": exp})
    # device suffix: make torch believe the default device is CUDA (real printing code path)
    for cid, code in DEVICE_CASES:
        with mock.patch.object(torch._C, "_get_default_device", lambda: "cuda"):
            exp, d, opts, dd = run(code)
        cases.append({"id": cid, "code": code, "printoptions": opts, "default_dtype": "float32",
                      "input": d, "expected": exp,
                      "note": "printed by torch with torch._C._get_default_device patched to "
                              "return 'cuda'"})
        cases.append({"id": cid.replace("cpu_when_default_is_cuda", "cuda0"), "derived": True,
                      "code": DERIVED_CODE[cid], "printoptions": opts, "default_dtype": "float32",
                      "input": dict(d, device="cuda:0"),
                      "expected": exp.replace("device='cpu'", "device='cuda:0'"),
                      "note": "derived from the case above by substituting the device string; "
                              "a CUDA tensor printed on a CPU-default host shows "
                              "device='cuda:0' in the same position"})
    with open(OUT, "w") as f:
        json.dump({"torch_version": torch.__version__, "count": len(cases), "cases": cases}, f,
                  indent=1)
        f.write("\n")
    print("wrote", len(cases), "cases to", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
