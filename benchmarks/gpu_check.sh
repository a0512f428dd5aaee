#!/usr/bin/env bash
# One-shot GPU check of the captured training step (nn.graph_step.capture_step), run from the
# repository root on a machine with a CUDA device:
#
#     OUT=/some/dir bash benchmarks/gpu_check.sh
#
# 1. the tape's torch tests, the CUDA ones running (captured == uncaptured bit
#    for bit over 5 steps, a planted non-finite raising the named error), ≤ 90 s;
# 2. benchmarks/mlp_gpu.py --device cuda --graph: the table with the captured step's columns,
#    ≤ 150 s (about 4 minutes in all).
# Logs and the table go to $OUT (default /tmp/gpu_check).  Exit status: 0 when both passed.
set -u
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
export PYTHONPATH=$PWD
PY=${PYTHON:-python3}
date -u | tee "$OUT/env.log"
$PY -c "import torch, numpy, sys; print(sys.version.split()[0], 'torch', torch.__version__, \
'numpy', numpy.__version__, 'cuda', torch.cuda.is_available(), \
torch.cuda.get_device_name() if torch.cuda.is_available() else '-')" 2>&1 | tee -a "$OUT/env.log"

timeout 90 $PY -m pytest -q -rs -p no:cacheprovider -o addopts="" \
    tests/test_tape_graph_step.py tests/test_tape_torch.py tests/test_tape_torch_device.py \
    tests/test_tape_parameter_arrays.py 2>&1 | tee "$OUT/tests.log"
tests_rc=${PIPESTATUS[0]}
echo "tests exit status: $tests_rc" | tee -a "$OUT/tests.log"
if [ "$tests_rc" != 0 ]; then  # a diagnosis: do the captured-step tests pass with cuBLAS's
    # deterministic workspace (if they do, the difference is cuBLAS's, not the step's)?
    CUBLAS_WORKSPACE_CONFIG=:4096:8 timeout 60 $PY -m pytest -q -rs -p no:cacheprovider \
        -o addopts="" tests/test_tape_graph_step.py 2>&1 | tail -25 | tee "$OUT/tests_cublas.log"
fi

timeout 150 $PY benchmarks/mlp_gpu.py --device cuda --graph --out "$OUT/gpu.md" 2>&1 \
    | tee "$OUT/bench.log"
bench_rc=${PIPESTATUS[0]}
echo "benchmark exit status: $bench_rc" | tee -a "$OUT/bench.log"
date -u | tee -a "$OUT/env.log"
[ "$tests_rc" = 0 ] && [ "$bench_rc" = 0 ]
