#!/usr/bin/env bash
# ember's GPU check: on a machine with an NVIDIA GPU, CuPy and (CUDA) torch, runs the
# device-parametrised tests (tests/test_device_cuda*.py) on the real GPU and the course
# benchmarks on cuda beside torch's cuda, then writes a short report.
#
#   tools/gpu_check.sh                  # report in $OUT/gpu_report.txt (or ./gpu_report.txt)
#   tools/gpu_check.sh --vendor-pytest  # here, before: copies this venv's pytest into
#                                       # .gpu_deps/ for a GPU machine whose python3 lacks it
#
# No venv is needed there: ember runs from src/ (PYTHONPATH=src) with that machine's python3
# (PYTHON=... to choose another). Budget: tests <= 5 min, benchmarks <= 4 min.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

if [ "${1:-}" = "--vendor-pytest" ]; then
    rm -rf .gpu_deps && mkdir -p .gpu_deps
    "$PY" - <<'PYEOF'
import importlib, os, shutil
for name in ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py"):
    try:
        m = importlib.import_module(name)
    except ImportError:
        continue
    src = os.path.dirname(m.__file__) if m.__file__.endswith("__init__.py") else m.__file__
    dst = os.path.join(".gpu_deps", os.path.basename(src))
    (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, dst)
    print("vendored", name)
PYEOF
    exit 0
fi

OUTDIR=${OUT:-.}
mkdir -p "$OUTDIR"
REPORT="$OUTDIR/gpu_report.txt"
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1
if ! "$PY" -c "import pytest" 2>/dev/null && [ -d .gpu_deps ]; then
    export PYTHONPATH="$PYTHONPATH:.gpu_deps"  # pytest vendored by --vendor-pytest
fi
start=$(date +%s)

{
    echo "ember GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname)"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 \
        || echo "nvidia-smi: not found"
    "$PY" - <<'PYEOF' 2>&1
import numpy
print("python", __import__("sys").version.split()[0], "| numpy", numpy.__version__)
for name in ("cupy", "torch", "pytest"):
    try:
        m = __import__(name)
        print(name, m.__version__, end="")
        if name == "torch":
            print(" | torch.cuda.is_available()", m.cuda.is_available(), end="")
        print()
    except Exception as e:  # noqa: BLE001
        print(name, "MISSING:", type(e).__name__, e)
import ember
ok = ember.cuda.is_available()
print("ember.cuda.is_available()", ok, "| device_count", ember.cuda.device_count())
if ok:
    print("ember.cuda.get_device_name()", ember.cuda.get_device_name())
    x = ember.randn(256, 256, device="cuda")
    print("smoke: (x @ x).sum() on", (x @ x).sum().device)
PYEOF
} > "$REPORT"

echo "== device-parametrised tests (real cuda and the stand-in) ==" >> "$REPORT"
timeout 300 "$PY" -m pytest -q -p no:cacheprovider -rfEs --tb=short \
    tests/test_device_cuda.py tests/test_device_cuda_nn.py > "$OUTDIR/gpu_pytest.txt" 2>&1
echo "pytest exit status $? (124: timed out); full log in gpu_pytest.txt" >> "$REPORT"
grep -E "^(FAILED|ERROR|SKIPPED)|passed|failed|error" "$OUTDIR/gpu_pytest.txt" | tail -60 \
    >> "$REPORT"

echo "== benchmarks on cuda (ember/torch, both on the GPU) ==" >> "$REPORT"
timeout 240 "$PY" -m benchmarks --device cuda --repeat 3 --out "$OUTDIR" \
    > "$OUTDIR/gpu_bench.txt" 2>&1
echo "benchmarks exit status $? (124: timed out)" >> "$REPORT"
cat "$OUTDIR/gpu_bench.txt" >> "$REPORT"
echo "total $(( $(date +%s) - start )) s" >> "$REPORT"
cat "$REPORT"
