// Umbrella header bound by ttq.kernels.NativeKernels (JavaCPP).
#pragma once
#include "ttq_cpu_features.h"
#include "ttq_elementwise.h"
#include "ttq_blas.h"

#define TTQ_NATIVE_VERSION 5  // 2: skinny FP32 products; 3: fused factored linear rows; 4: inference runtime kernels; 5: fused training ops
static int ttq_native_version() { return TTQ_NATIVE_VERSION; }
#include "ttq_int8.h"
#include "ttq_int8_packed.h"
#include "ttq_skinny.h"
#include "ttq_factored.h"
#include "ttq_infer.h"
#include "ttq_train.h"
