package ttq.kernels.cuda;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Skips a test class, reporting why (no driver, no device, no fatbin), where CUDA is unusable. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(RequiresGpu.Condition.class)
@interface RequiresGpu {
    /** The JUnit condition behind the annotation. */
    class Condition implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return CudaRuntime.isAvailable()
                    ? ConditionEvaluationResult.enabled("GPU: " + CudaRuntime.status())
                    : ConditionEvaluationResult.disabled("skipped, no usable GPU: " + CudaRuntime.unavailableReason());
        }
    }
}
