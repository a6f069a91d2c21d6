package ttq.engine.grad;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import ttq.engine.Function;

/** Marks a property as the finite-difference gradient check of the given op classes. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface GradientCheckOf {
    Class<? extends Function>[] value();
}
