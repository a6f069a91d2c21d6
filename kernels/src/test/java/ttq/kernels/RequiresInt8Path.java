package ttq.kernels;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/** Skips a property, saying why, when this CPU cannot run the named INT8 path. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@AddLifecycleHook(RequiresInt8Path.Hook.class)
@interface RequiresInt8Path {
    Int8Path value();

    /** The jqwik hook behind the annotation. */
    class Hook implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return context.findAnnotation(RequiresInt8Path.class)
                    .filter(a -> !a.value().supported())
                    .map(a -> SkipResult.skip("INT8 path " + a.value() + " (" + a.value().description()
                            + ") is not supported on this CPU; never executed"))
                    .orElse(SkipResult.doNotSkip());
        }
    }
}
