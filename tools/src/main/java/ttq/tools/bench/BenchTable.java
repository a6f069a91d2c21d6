package ttq.tools.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A benchmark result table: printed aligned, and written as CSV, JSON and Markdown. */
public final class BenchTable {
    private final String title;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();
    private final Map<String, String> context = new LinkedHashMap<>();

    public BenchTable(String title, List<String> columns) {
        this.title = title;
        this.columns = List.copyOf(columns);
    }

    /** Adds a row of already formatted cells (one per column). */
    public void row(String... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + columns.size() + " columns");
        }
        rows.add(List.of(cells));
    }

    /** Records a fact about the run (machine, threads, versions) shown above the table. */
    public void context(String key, String value) {
        context.put(key, value);
    }

    public List<List<String>> rows() {
        return rows;
    }

    /** The table aligned for a terminal. */
    public String format() {
        int[] w = new int[columns.size()];
        for (int c = 0; c < w.length; c++) {
            w[c] = columns.get(c).length();
            for (List<String> r : rows) {
                w[c] = Math.max(w[c], r.get(c).length());
            }
        }
        StringBuilder sb = new StringBuilder(title).append('\n');
        context.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        appendRow(sb, columns, w);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < w.length; c++) {
            rule.append(c == 0 ? "" : "  ").append("-".repeat(w[c]));
        }
        sb.append(rule).append('\n');
        for (List<String> r : rows) {
            appendRow(sb, r, w);
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> cells, int[] w) {
        for (int c = 0; c < w.length; c++) {
            String cell = cells.get(c);
            sb.append(c == 0 ? "" : "  ");
            sb.append(c == 0 ? String.format("%-" + w[c] + "s", cell) : String.format("%" + w[c] + "s", cell));
        }
        sb.append('\n');
    }

    /** Writes NAME.csv, NAME.json and NAME.md into dir. */
    public void write(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        StringBuilder csv = new StringBuilder(String.join(",", columns)).append('\n');
        for (List<String> r : rows) {
            List<String> quoted = new ArrayList<>();
            for (String cell : r) {
                quoted.add(cell.contains(",") ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell);
            }
            csv.append(String.join(",", quoted)).append('\n');
        }
        Files.writeString(dir.resolve(name + ".csv"), csv, StandardCharsets.UTF_8);
        List<Map<String, String>> json = new ArrayList<>();
        for (List<String> r : rows) {
            Map<String, String> m = new LinkedHashMap<>();
            for (int c = 0; c < columns.size(); c++) {
                m.put(columns.get(c), r.get(c));
            }
            json.add(m);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("title", title);
        doc.put("context", context);
        doc.put("rows", json);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(name + ".json").toFile(), doc);
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        context.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append("\n| ").append(String.join(" | ", columns)).append(" |\n|");
        for (int c = 0; c < columns.size(); c++) {
            md.append(c == 0 ? "---|" : "---:|");
        }
        md.append('\n');
        for (List<String> r : rows) {
            md.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        Files.writeString(dir.resolve(name + ".md"), md, StandardCharsets.UTF_8);
    }
}
