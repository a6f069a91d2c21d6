#!/usr/bin/env bash
# The GPU machine's check, in one short run (prepare device-runtime/ first with tools/prepare-device.sh):
#   device tool: carry ["device-runtime"], command "bash tools/device-check.sh", timeout_s 300
# Prints the device, then runs every CUDA kernel against the CPU (CudaOpsDeviceTest) and the
# fatbin check; JUnit's report lands in $OUT (or ./device-check-report) for reading back.
set -uo pipefail
cd "$(dirname "$0")/.."
rt=device-runtime
report="${OUT:-device-check-report}"
mkdir -p "$report"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -2
"$rt/run.sh" info 2>&1 | grep -E "^(cpu|cuda|native) "
"$rt/jre/bin/java" -jar "$rt/junit-platform-console-standalone.jar" execute \
  -cp "$rt/test-classes:$(ls "$rt"/lib/*.jar | tr '\n' ':')" \
  --select-class ttq.kernels.cuda.CudaOpsDeviceTest --select-class ttq.kernels.cuda.CudaFatbinTest \
  --details=tree --disable-banner --disable-ansi-colors --reports-dir="$report" 2>&1 | tail -60
