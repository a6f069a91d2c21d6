#!/usr/bin/env bash
# Prepares device-runtime/ (git-ignored) for the GPU machine, which has CUDA 13, nvcc and PyTorch
# but no JDK and no network: a jlink'd Java runtime, the ttq jars and the dependencies a training
# run and `ttq bench` need (not the BERT teacher jars), and run.sh. Pass it to the device tool as
#   carry: ["device-runtime"]   command: device-runtime/run.sh info
# The folder must stay under the device tool's 64 MiB; the script prints its size and fails above.
# The org.bytedeco:cuda jar binds the machine's own CUDA libraries (no redist artifact carried).
set -euo pipefail
cd "$(dirname "$0")/.."
out=device-runtime
java_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}"
"$java_home/bin/jlink" --version >/dev/null

./mvnw -B -q install -DskipTests
rm -rf "$out"
mkdir -p "$out/lib"
cp engine/target/ttq-engine-*.jar kernels/target/ttq-kernels-*.jar model/target/ttq-model-*.jar "$out/lib/"
cp tools/target/ttq-tools-*.jar "$out/lib/" 2>/dev/null || true
rm -f "$out"/lib/*-sources.jar "$out"/lib/*-javadoc.jar "$out"/lib/original-*.jar
# runtime dependencies of tools, minus the teachers (ONNX files, 90+ MB) and their tokenizer
./mvnw -B -q -pl tools dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$PWD/$out/deps" \
  -DexcludeGroupIds=dev.langchain4j,ai.djl,ai.djl.huggingface,com.microsoft.onnxruntime \
  -DexcludeArtifactIds=gson,error_prone_annotations,jna,commons-compress,commons-codec,commons-io
mv "$out"/deps/*.jar "$out/lib/"
rmdir "$out/deps"
rm -f "$out"/lib/ttq-*-tests.jar

# the GPU tests and JUnit's console launcher, for tools/device-check.sh (no Maven on the device)
mkdir -p "$out/test-classes"
cp -r kernels/target/test-classes/ttq "$out/test-classes/"
./mvnw -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1 -DoutputDirectory="$PWD/$out" \
  -Dmdep.stripVersion=true

# OpenBLAS's jar carries two JNI builds of the same library; ttq loads libjniopenblas, not _full (24 MB)
command -v zip >/dev/null || { echo "prepare-device.sh needs zip (apt-get install -y zip)" >&2; exit 1; }
blas_jar=$(ls "$out"/lib/openblas-*-linux-x86_64.jar)
zip -q -d "$blas_jar" '*/libjniopenblas_full.so' >/dev/null
# of the CUDA preset's JNI libraries ttq binds cudart (driver API), cuBLAS and NVRTC only
cuda_jar=$(ls "$out"/lib/cuda-*-linux-x86_64.jar)
zip -q -d "$cuda_jar" '*/libjninpp*' '*/libjnicufft*' '*/libjnicudnn*' '*/libjnicusolver*' '*/libjnicusparse*' '*/libjnicurand*' \
  '*/libjninccl*' '*/libjninvjpeg*' '*/libjninvcomp*' '*/libjninvml*' '*/libjnicupti*' '*/libjnicufile*' '*/libjninvblas*' >/dev/null

# jdk.unsupported for JavaCPP, java.management for JvmRelaunch, java.xml for JUnit's reports; no java.desktop: plots are not
# made on the device (bench and train write tables only)
"$java_home/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,jdk.unsupported \
  --strip-debug --no-man-pages --no-header-files --compress=2 --output "$out/jre"
if command -v strip >/dev/null 2>&1; then
  strip --strip-unneeded "$out/jre/lib/server/libjvm.so"
fi

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# ttq on the GPU machine: the carried runtime and jars, from the repository root.
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/jre/bin/java" ${TTQ_JAVA_OPTS:--Xmx16g} -cp "$here/lib/*" ttq.tools.Main "$@"
RUN
chmod +x "$out/run.sh"
bytes=$(du -sb "$out" | cut -f1)
echo "prepared $out: $bytes bytes of the 67108864 (64 MiB) the device tool carries ($(ls "$out/lib" | wc -l) jars)"
if (( bytes > 67108864 )); then
  echo "device-runtime is over the device tool's 64 MiB carry limit" >&2
  exit 1
fi
