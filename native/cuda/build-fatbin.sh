#!/usr/bin/env bash
# Compiles native/cuda/*.cu into one fatbin for the kernels jar: SASS for the data-centre GPUs
# CUDA 13 supports (sm_80 A100, sm_90 H100/H200) plus compute_90 PTX, which the driver JIT-compiles
# for newer GPUs. Why nvcc at build time and not NVRTC at run time: compile errors surface in CI
# on machines with no GPU, and the GPU machine needs no compiler. Without nvcc the build goes on
# with no fatbin; ttq.kernels.cuda.CudaRuntime then reports CUDA unavailable and says why.
# usage: build-fatbin.sh OUT_FILE
set -euo pipefail
out="$1"
src_dir="$(cd "$(dirname "$0")" && pwd)"
nvcc_bin="${NVCC:-$(command -v nvcc || true)}"
if [[ -z "$nvcc_bin" && -x /usr/local/cuda/bin/nvcc ]]; then
  nvcc_bin=/usr/local/cuda/bin/nvcc
fi
if [[ -z "$nvcc_bin" ]]; then
  echo "ttq: nvcc not found; CUDA kernels not built (CPU build unaffected)"
  rm -f "$out"
  exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$out.tmp"
"$nvcc_bin" -fatbin -O3 -std=c++17 \
  -gencode arch=compute_80,code=sm_80 \
  -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 \
  -o "$tmp" "$src_dir/ttq_cuda_kernels.cu"
mv "$tmp" "$out"
echo "ttq: built $out with $("$nvcc_bin" --version | tail -1)"
