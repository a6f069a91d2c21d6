package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's public API is documented: every public or protected declaration (type, constructor,
 * method, field) in engine and model carries a Javadoc comment, unless it overrides one that does.
 * The javadoc tool's own lint (configured in the parent pom) skips missing comments, so this is where
 * an undocumented addition fails the build.
 */
class ApiDocumentationTest {
    private static final Pattern DECLARATION = Pattern.compile("^\\s*(public|protected)\\s.*");

    @Test
    void everyPublicDeclarationOfEngineAndModelHasAJavadocComment() throws IOException {
        List<String> undocumented = new ArrayList<>();
        for (String module : List.of("engine", "model")) {
            Path root = Path.of("..", module, "src", "main", "java");
            assertTrue(Files.isDirectory(root), "sources of " + module + " at " + root.toAbsolutePath());
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                    undocumented.addAll(undocumented(file));
                }
            }
        }
        assertTrue(undocumented.isEmpty(), undocumented.size() + " public declarations without Javadoc:\n" + String.join("\n", undocumented));
    }

    @Test
    void aMissingCommentIsFound() {
        List<String> lines = List.of("package p;", "", "/** Documented. */", "public final class A {",
                "    /** Documented. */", "    @Deprecated", "    public void a() {", "    }", "",
                "    public void b() {", "    }", "", "    @Override", "    public String toString() {",
                "        return \"\";", "    }", "", "    @SuppressWarnings({", "        \"x\" })",
                "    public void c() {", "    }", "    // not Javadoc", "    public int d;", "}");
        List<String> found = undocumented(Path.of("A.java"), lines);
        assertTrue(found.size() == 3 && found.get(0).contains(":10:") && found.get(1).contains(":20:")
                && found.get(2).contains(":23:"), found.toString());
    }

    private static List<String> undocumented(Path file) throws IOException {
        return undocumented(file, Files.readAllLines(file));
    }

    static List<String> undocumented(Path file, List<String> lines) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!DECLARATION.matcher(lines.get(i)).matches()) {
                continue;
            }
            boolean override = false;
            int j = i - 1;
            // walk back over annotations (possibly spanning lines) and blank lines
            while (j >= 0) {
                String s = lines.get(j).strip();
                if (s.isEmpty() || s.startsWith("@")) {
                    override |= s.startsWith("@Override");
                    j--;
                } else if (s.endsWith(")") || s.endsWith("})") || s.endsWith(",")) {
                    int k = j;
                    while (k >= 0 && !lines.get(k).strip().startsWith("@")) {
                        k--;
                    }
                    if (k < 0) {
                        break;
                    }
                    j = k;
                } else {
                    break;
                }
            }
            if (override) {
                continue;
            }
            boolean documented = false;
            if (j >= 0 && lines.get(j).strip().endsWith("*/")) {
                int k = j;
                while (k >= 0 && !lines.get(k).contains("/*")) {
                    k--;
                }
                documented = k >= 0 && lines.get(k).contains("/**");
            }
            if (!documented) {
                out.add(file + ":" + (i + 1) + ": " + lines.get(i).strip());
            }
        }
        return out;
    }
}
