package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and docs/ stay true: every fenced shell block marked {@code <!-- ci -->} is run (each
 * line a {@code java -jar tools/target/ttq.jar ...} command, in process) and must exit 0, so a
 * command or option that no longer exists fails the build; every relative link resolves; the
 * README stays within 200 lines and links every docs page. Commands too long to run in CI are checked
 * by name: every {@code ttq COMMAND --option} written in a fenced block or an inline code span must
 * name a command and options that exist.
 */
class DocumentationTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String JAR = "java -jar tools/target/ttq.jar";
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`]+)`");

    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** The commands of the blocks marked {@code <!-- ci -->} in a page. */
    static List<String> markedCommands(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("<!-- ci -->")) {
                continue;
            }
            int j = i + 1;
            if (j >= lines.size() || !lines.get(j).strip().startsWith("```")) {
                throw new AssertionError("line " + (i + 1) + ": <!-- ci --> must stand right above a fenced block");
            }
            for (j++; j < lines.size() && !lines.get(j).strip().startsWith("```"); j++) {
                String cmd = lines.get(j).strip();
                if (!cmd.isEmpty() && !cmd.startsWith("#")) {
                    out.add(cmd);
                }
            }
        }
        return out;
    }

    /** Splits a command line into arguments (single and double quotes group). */
    static List<String> split(String line) {
        List<String> args = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|'([^']*)'|(\\S+)").matcher(line);
        while (m.find()) {
            args.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3));
        }
        return args;
    }

    @Test
    void markedCommandsRun() throws IOException {
        int ran = 0;
        for (Path page : pages()) {
            for (String cmd : markedCommands(Files.readAllLines(page))) {
                assertTrue(cmd.startsWith(JAR + " ") || cmd.equals(JAR), page.getFileName() + ": a marked command must start with '" + JAR
                        + "': " + cmd);
                List<String> args = new ArrayList<>();
                for (String a : split(cmd.substring(JAR.length()))) {
                    // paths are written relative to the repository root; the tests run in tools/
                    args.add(!a.startsWith("-") && a.contains("/") && Files.exists(ROOT.resolve(a)) ? ROOT.resolve(a).toString() : a);
                }
                MainTest.Result r = MainTest.run(args.toArray(new String[0]));
                assertEquals(0, r.code(), ROOT.relativize(page) + ": '" + cmd + "' failed: " + r.err());
                ran++;
            }
        }
        assertTrue(ran >= 5, "at least 5 marked commands in README.md and docs/, found " + ran);
    }

    @Test
    void relativeLinksResolveAndTheReadmeStaysShort() throws IOException {
        Pattern link = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            Matcher m = link.matcher(Files.readString(page));
            while (m.find()) {
                String target = m.group(1);
                if (target.startsWith("http://") || target.startsWith("https://") || target.startsWith("mailto:") || target.startsWith("#")) {
                    continue;
                }
                String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
                if (!Files.exists(page.getParent().resolve(file))) {
                    broken.add(ROOT.relativize(page) + ": " + target);
                }
            }
        }
        assertTrue(broken.isEmpty(), "links that do not resolve: " + broken);
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        assertTrue(readme.size() <= 200, "README.md has " + readme.size() + " lines (at most 200)");
        String text = String.join("\n", readme);
        List<Path> pages = pages();
        for (Path page : pages.subList(1, pages.size())) {
            assertTrue(text.contains("docs/" + page.getFileName()), "README.md does not link docs/" + page.getFileName());
        }
    }

    /** The text of fenced blocks (line by line) and inline code spans of a page. */
    static List<String> codeSnippets(String page) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : page.split("\n")) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                out.add(line);
                continue;
            }
            Matcher m = CODE_SPAN.matcher(line);
            while (m.find()) {
                out.add(m.group(1).replace("\\|", "|"));
            }
        }
        return out;
    }

    /**
     * Every {@code ttq COMMAND [SUBCOMMAND] ... --option} in a code snippet names a command and options of it (picocli's own
     * model of the CLI), so a renamed or removed option fails the build even where its command takes hours.
     */
    @Test
    void everyDocumentedCommandAndOptionExists() throws IOException {
        Pattern call = Pattern.compile("(?:^|[\\s(])(?:ttq|java -jar tools/target/ttq\\.jar)\\s+([a-z][a-z0-9-]*)((?:\\s+\\S+)*)");
        Pattern option = Pattern.compile("(?<![\\w-])(--[a-z][a-z0-9-]*)");
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        picocli.CommandLine root = new picocli.CommandLine(new Main());
        for (Path page : pages()) {
            for (String snippet : codeSnippets(Files.readString(page))) {
                // a pipe or another command on the same line ends this one
                for (String part : snippet.split("\\s(?:\\||&&|;|>)\\s")) {
                    Matcher m = call.matcher(part);
                    if (!m.find()) {
                        continue;
                    }
                    picocli.CommandLine cli = root.getSubcommands().get(m.group(1));
                    if (cli == null) {
                        wrong.add(ROOT.relativize(page) + ": unknown command in `" + part.strip() + "`");
                        continue;
                    }
                    String rest = m.group(2).strip();
                    String first = rest.isEmpty() ? "" : rest.split("\\s+")[0];
                    if (cli.getSubcommands().containsKey(first)) {
                        cli = cli.getSubcommands().get(first);
                    }
                    Matcher o = option.matcher(rest);
                    while (o.find()) {
                        checked++;
                        String name = o.group(1);
                        picocli.CommandLine.Model.OptionSpec negated = name.startsWith("--no-")
                                ? cli.getCommandSpec().findOption("--" + name.substring(5)) : null;
                        if (cli.getCommandSpec().findOption(name) == null && (negated == null || !negated.negatable())) {
                            wrong.add(ROOT.relativize(page) + ": " + cli.getCommandSpec().qualifiedName() + " has no option " + name + " (`"
                                    + part.strip() + "`)");
                        }
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " documented commands or options do not exist:\n" + String.join("\n", wrong));
        assertTrue(checked >= 100, "only " + checked + " documented options found");
    }
}
