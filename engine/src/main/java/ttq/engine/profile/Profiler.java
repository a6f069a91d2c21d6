package ttq.engine.profile;

import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import ttq.engine.nn.Module;

/**
 * Where a training step's time goes: per op, forward and backward apart, by op class and by module
 * path ({@code block0.attention.query}), with calls, time and bytes allocated, and a trace of every
 * interval in the Chrome trace event format ({@link ProfileReport}).
 *
 * <p>How: the engine reports the end of every recorded op's forward ({@code Function.attach}), each
 * node's backward, module entries and exits, and named sections ({@link #section}); the time since
 * the previous report is charged to what just ended, on the thread that started the profiler (work
 * split over worker threads counts in the op that split it; the trace shows those parts on one
 * track per worker thread). When no profiler runs, every hook is one read of a static field:
 * nothing is measured or allocated.
 *
 * <pre>{@code
 * ProfileReport r = Profiler.record(model, () -> { step(); step(); });
 * r.write(Path.of("runs/mine"), 2);   // profile.md, profile.csv, trace.json
 * }</pre>
 */
public final class Profiler {
    private static volatile Profiler active;

    /** A no-op scope, returned when nothing is profiled. */
    private static final Scope NONE = () -> {
    };

    private final Thread owner = Thread.currentThread();
    private final Map<Object, String> paths = new IdentityHashMap<>();
    private final ArrayDeque<String> scopes = new ArrayDeque<>();
    private final Map<String, Entry> entries = new HashMap<>();
    private final List<TraceEvent> trace = new ArrayList<>();
    private final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    /** Parts the worker threads ran while profiling: {thread id, start, end} in System.nanoTime. */
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> workerParts = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final long start;
    private long last, lastBytes, totalNanos;
    private boolean stopped;

    /** Most trace events kept (a long profile keeps its table, and its trace up to here). */
    static final int MAX_TRACE_EVENTS = 500_000;

    /** One row of the table: a phase (forward, backward, step), an op or section, a module path; calls, time, bytes. */
    static final class Entry {
        final String phase, op, path;
        long calls, nanos, bytes;

        Entry(String phase, String op, String path) {
            this.phase = phase;
            this.op = op;
            this.path = path;
        }
    }

    /** One interval of the trace: what ran, under which module, on which thread, from when (ns since start) for how long. */
    record TraceEvent(String phase, String op, String path, long startNanos, long nanos, long thread) {
    }

    /** A module or section being timed; closing it ends it. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private Profiler(Module root) {
        if (root != null) {
            for (Map.Entry<String, Module> e : root.namedModules().entrySet()) {
                paths.put(e.getValue(), e.getKey());
            }
        }
        this.start = System.nanoTime();
        this.last = start;
        this.lastBytes = threads.getCurrentThreadAllocatedBytes();
    }

    /**
     * Starts profiling on this thread; module paths are named from {@code root} (may be null). One
     * profiler at a time.
     */
    public static Profiler start(Module root) {
        synchronized (Profiler.class) {
            if (active != null) {
                throw new IllegalStateException("a profiler is already running (on " + active.owner.getName() + ")");
            }
            Profiler p = new Profiler(root);
            active = p;
            java.util.concurrent.atomic.AtomicInteger parts = new java.util.concurrent.atomic.AtomicInteger();
            ttq.kernels.Parallel.setPartListener((thread, from, to) -> {
                if (parts.incrementAndGet() <= MAX_TRACE_EVENTS) {
                    p.workerParts.add(new long[] {thread, from - p.start, to - p.start});
                }
            });
            return p;
        }
    }

    /** Stops profiling and returns what was recorded. */
    public ProfileReport stop() {
        synchronized (Profiler.class) {
            if (active == this) {
                mark("step", "(untracked)");
                active = null;
                ttq.kernels.Parallel.setPartListener(null);
            }
            stopped = true;
        }
        return new ProfileReport(new ArrayList<>(entries.values()), trace, new ArrayList<>(workerParts), totalNanos, owner.getId());
    }

    /** Runs {@code work} under a profiler and returns the report. */
    public static ProfileReport record(Module root, Runnable work) {
        Profiler p = start(root);
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            p.stop();
            throw e;
        }
        return p.stop();
    }

    /** Whether a profiler is recording (on some thread). */
    public static boolean running() {
        return active != null;
    }

    private static Profiler here() {
        Profiler p = active;
        return p != null && Thread.currentThread() == p.owner ? p : null;
    }

    // ---- hooks called by the engine and the model (each a static read when nothing is profiled) ----

    /** An op's forward just ended; returns the module path it ran under (kept for its backward), or null when not profiling. */
    public static String forwardDone(String op) {
        Profiler p = here();
        if (p == null) {
            return null;
        }
        String path = p.scopes.isEmpty() ? "" : p.scopes.peek();
        p.mark("forward", op, path);
        return path;
    }

    /** Autograd is about to run one node's backward: the time since the last report was autograd's own. */
    public static void backwardStart() {
        Profiler p = here();
        if (p != null) {
            p.mark("backward", "(autograd)", "");
        }
    }

    /** One node's backward just ended (op, and the module path its forward ran under). */
    public static void backwardDone(String op, String path) {
        Profiler p = here();
        if (p != null) {
            p.mark("backward", op, path == null ? "" : path);
        }
    }

    /** Enters a module: ops until the scope closes are charged to its path. */
    public static Scope module(Object module) {
        Scope anomaly = ttq.engine.check.AnomalyDetection.enter(module); // null unless anomaly detection is on
        Profiler p = here();
        if (p == null) {
            return anomaly == null ? NONE : anomaly;
        }
        String outer = p.scopes.isEmpty() ? "" : p.scopes.peek();
        p.mark("forward", "(glue)", outer);
        String path = p.paths.getOrDefault(module, module.getClass().getSimpleName());
        p.scopes.push(path);
        return () -> {
            p.mark("forward", "(glue)", path);
            p.scopes.pop();
            if (anomaly != null) {
                anomaly.close();
            }
        };
    }

    /** A named part of a step outside the ops (optimizer update, zeroing gradients, data): timed as one row. */
    public static Scope section(String name) {
        Profiler p = here();
        if (p == null) {
            return NONE;
        }
        p.mark("step", "(untracked)", "");
        return () -> p.mark("step", name, "");
    }

    private void mark(String phase, String op) {
        mark(phase, op, "");
    }

    private void mark(String phase, String op, String path) {
        if (stopped) {
            return;
        }
        long now = System.nanoTime(), bytes = threads.getCurrentThreadAllocatedBytes();
        long dt = now - last;
        String key = phase + '\u0000' + op + '\u0000' + path;
        Entry e = entries.computeIfAbsent(key, k -> new Entry(phase, op, path));
        e.calls++;
        e.nanos += dt;
        e.bytes += bytes - lastBytes;
        totalNanos += dt;
        if (trace.size() < MAX_TRACE_EVENTS) {
            trace.add(new TraceEvent(phase, op, path, last - start, dt, owner.getId()));
        }
        // the bookkeeping itself is not charged to the next interval
        last = System.nanoTime();
        lastBytes = threads.getCurrentThreadAllocatedBytes();
    }
}
