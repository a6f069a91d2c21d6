package ttq.engine.grad;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import ttq.engine.Function;

/**
 * Every differentiable op (each concrete {@link Function} subclass in ttq.engine.ops) must have a
 * finite-difference gradient property marked {@link GradientCheckOf}; adding an op without one
 * fails this test.
 */
class OpCoverageTest {
    @Test
    void everyRegisteredOpHasAGradientProperty() throws Exception {
        List<Class<?>> ops = opClasses();
        assertTrue(ops.size() >= 25, "expected the engine's ops, found only " + ops);
        Set<Class<?>> covered = new HashSet<>();
        for (Method m : OpGradientProperties.class.getDeclaredMethods()) {
            GradientCheckOf g = m.getAnnotation(GradientCheckOf.class);
            if (g != null) {
                assertTrue(m.isAnnotationPresent(Property.class), m.getName() + " is marked as a gradient check but is not a @Property");
                covered.addAll(List.of(g.value()));
            }
        }
        Set<String> missing = new TreeSet<>();
        for (Class<?> c : ops) {
            if (!covered.contains(c)) {
                missing.add(c.getName());
            }
        }
        assertTrue(missing.isEmpty(), "differentiable ops without a gradient property: " + missing);
    }

    /** Concrete Function subclasses found on the class path in the ops package. */
    static List<Class<?>> opClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        String pkg = "ttq.engine.ops";
        URL url = Function.class.getClassLoader().getResource(pkg.replace('.', '/'));
        assertTrue(url != null && "file".equals(url.getProtocol()), "ops package not found as a directory: " + url);
        List<Class<?>> out = new ArrayList<>();
        Path dir = Paths.get(url.toURI());
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String name = p.getFileName().toString();
                if (!name.endsWith(".class") || name.contains("$")) {
                    continue;
                }
                Class<?> c = Class.forName(pkg + "." + name.substring(0, name.length() - 6));
                if (Function.class.isAssignableFrom(c) && !Modifier.isAbstract(c.getModifiers())) {
                    out.add(c);
                }
            }
        }
        return out;
    }
}
