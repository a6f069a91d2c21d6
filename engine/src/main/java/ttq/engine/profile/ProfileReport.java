package ttq.engine.profile;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@link Profiler} recorded: rows of (phase, op, module path) with calls, time and bytes
 * allocated, and the intervals as a trace. {@link #write} puts profile.md and profile.csv (rows
 * sorted by time, then the same by op class over all modules) and trace.json (Chrome trace event
 * format: open it in Perfetto or chrome://tracing) into a folder.
 */
public final class ProfileReport {
    private final List<Profiler.Entry> entries;
    private final List<Profiler.TraceEvent> trace;
    private final List<long[]> workerParts;
    private final long totalNanos, thread;

    ProfileReport(List<Profiler.Entry> entries, List<Profiler.TraceEvent> trace, List<long[]> workerParts, long totalNanos, long thread) {
        this.entries = entries;
        this.trace = trace;
        this.workerParts = workerParts;
        this.totalNanos = totalNanos;
        this.thread = thread;
    }

    /** A row of the table: milliseconds over all recorded steps, and bytes allocated. */
    public record Row(String phase, String op, String path, long calls, double ms, long bytes) {
    }

    /** Rows by (phase, op, module path), most time first. */
    public List<Row> rows() {
        List<Row> out = new ArrayList<>();
        for (Profiler.Entry e : entries) {
            out.add(new Row(e.phase, e.op, e.path, e.calls, e.nanos / 1e6, e.bytes));
        }
        out.sort(Comparator.comparingDouble(Row::ms).reversed());
        return out;
    }

    /** Rows by (phase, op) over all module paths, most time first. */
    public List<Row> byOp() {
        Map<String, long[]> sums = new LinkedHashMap<>();
        Map<String, String[]> names = new LinkedHashMap<>();
        for (Profiler.Entry e : entries) {
            String key = e.phase + '\u0000' + e.op;
            long[] s = sums.computeIfAbsent(key, k -> new long[3]);
            s[0] += e.calls;
            s[1] += e.nanos;
            s[2] += e.bytes;
            names.put(key, new String[] {e.phase, e.op});
        }
        List<Row> out = new ArrayList<>();
        sums.forEach((k, s) -> out.add(new Row(names.get(k)[0], names.get(k)[1], "(all)", s[0], s[1] / 1e6, s[2])));
        out.sort(Comparator.comparingDouble(Row::ms).reversed());
        return out;
    }

    /** Milliseconds recorded in all. */
    public double totalMs() {
        return totalNanos / 1e6;
    }

    /** Milliseconds recorded in one phase (forward, backward or step). */
    public double phaseMs(String phase) {
        double ms = 0;
        for (Profiler.Entry e : entries) {
            ms += e.phase.equals(phase) ? e.nanos / 1e6 : 0;
        }
        return ms;
    }

    /** The trace's events on the training thread (for tests). */
    public int traceEvents() {
        return trace.size();
    }

    /** Parts of parallel sections the worker threads ran (for tests). */
    public int workerParts() {
        return workerParts.size();
    }

    /** Writes profile.md, profile.csv and trace.json into dir; {@code steps} is how many steps were recorded (for per-step means). */
    public void write(Path dir, int steps, String title) throws IOException {
        Files.createDirectories(dir);
        List<Row> byOp = byOp(), rows = rows();
        StringBuilder csv = new StringBuilder("table,phase,op,module,calls,total_ms,ms_per_step,ms_per_call,share,mb_allocated\n");
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        md.append(String.format(Locale.ROOT, "%d steps recorded, %.1f ms per step: forward %.1f, backward %.1f, rest of the step %.1f.%n%n",
                steps, totalMs() / steps, phaseMs("forward") / steps, phaseMs("backward") / steps, phaseMs("step") / steps));
        md.append("Times are the interval from one op's end to the next on the profiled thread (work split over worker threads counts "
                + "in the op that split it); (glue) is code between ops inside a module, (untracked) outside, (autograd) the backward "
                + "pass's own bookkeeping.\n");
        table(md, csv, "By op", "by_op", byOp, steps, 40);
        table(md, csv, "By op and module", "by_module", rows, steps, 60);
        Files.writeString(dir.resolve("profile.md"), md, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("profile.csv"), csv, StandardCharsets.UTF_8);
        try (Writer w = Files.newBufferedWriter(dir.resolve("trace.json"), StandardCharsets.UTF_8)) {
            w.write("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
            w.write(String.format(Locale.ROOT, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"training thread\"}}",
                    thread));
            for (Profiler.TraceEvent e : trace) {
                w.write(String.format(Locale.ROOT, ",%n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":%d,"
                        + "\"args\":{\"module\":\"%s\"}}", json(e.op()), e.phase(), e.startNanos() / 1e3, e.nanos() / 1e3, e.thread(), json(e.path())));
            }
            // worker threads: each part named after the training thread's interval it ran in (the op that split the work)
            java.util.Set<Long> workers = new java.util.TreeSet<>();
            for (long[] part : workerParts) {
                Profiler.TraceEvent in = enclosing(part[1] + (part[2] - part[1]) / 2);
                workers.add(part[0]);
                w.write(String.format(Locale.ROOT, ",%n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":%d,"
                        + "\"args\":{\"module\":\"%s\"}}", in == null ? "(parallel part)" : json(in.op()), in == null ? "worker" : in.phase(),
                        part[1] / 1e3, (part[2] - part[1]) / 1e3, part[0], in == null ? "" : json(in.path())));
            }
            int n = 0;
            for (long id : workers) {
                w.write(String.format(Locale.ROOT, ",%n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%d,\"args\":{\"name\":\"worker %d\"}}",
                        id, ++n));
            }
            w.write("\n]}\n");
        }
    }

    /** The training thread's interval containing time t (ns since the start), or null. Intervals are in time order. */
    private Profiler.TraceEvent enclosing(long t) {
        int lo = 0, hi = trace.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Profiler.TraceEvent e = trace.get(mid);
            if (t < e.startNanos()) {
                hi = mid - 1;
            } else if (t >= e.startNanos() + e.nanos()) {
                lo = mid + 1;
            } else {
                return e;
            }
        }
        return null;
    }

    private void table(StringBuilder md, StringBuilder csv, String title, String key, List<Row> rows, int steps, int mdRows) {
        md.append("\n## ").append(title).append("\n\n| phase | op | module | calls/step | ms/step | ms/call | share | MB/step |\n|---|---|---|---:|---:|---:|---:|---:|\n");
        int shown = 0;
        for (Row r : rows) {
            double share = totalNanos == 0 ? 0 : r.ms() / (totalNanos / 1e6);
            double perCall = r.calls() == 0 ? 0 : r.ms() / r.calls();
            csv.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%d,%.4f,%.4f,%.4f,%.5f,%.4f%n", key, r.phase(), csvCell(r.op()), csvCell(r.path()),
                    r.calls(), r.ms(), r.ms() / steps, perCall, share, r.bytes() / 1e6));
            if (shown++ < mdRows) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %.3f | %.3f | %.1f%% | %.2f |%n", r.phase(), r.op(),
                        r.path().isEmpty() ? "-" : r.path(), (double) r.calls() / steps, r.ms() / steps, perCall, 100 * share,
                        r.bytes() / 1e6 / steps));
            }
        }
        if (rows.size() > mdRows) {
            md.append("\n(").append(rows.size() - mdRows).append(" more rows in profile.csv)\n");
        }
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static String json(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
