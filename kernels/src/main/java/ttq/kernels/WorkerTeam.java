package ttq.kernels;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of worker threads for {@link Parallel}'s sections. A training step runs hundreds
 * of short parallel sections back to back; waking a parked thread costs tens of microseconds on
 * a VM, so after each job a worker spins for {@link #SPIN_NANOS} before parking, and the next
 * section (usually microseconds later) starts without a wake-up. The caller always runs part 0
 * itself. One section at a time: a second concurrent caller, or a body that itself calls
 * {@link Parallel}, runs its parts inline.
 */
final class WorkerTeam {
    /**
     * How long an idle worker spins before parking: 1 ms, longer than the serial stretches inside a
     * training step (autograd bookkeeping, small ops), so a step's sections find the worker awake.
     * With 0.1 ms the ATIS TT step on 2 threads took 23.4-26.5 ms over runs, with 1 ms 22.5-22.8
     * (2026-12-06). {@code -Dttq.spinNanos=N} sets it (0: park at once).
     */
    static final long SPIN_NANOS = Long.getLong("ttq.spinNanos", 1_000_000);

    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();

    WorkerTeam(int workers) {
        this.workers = new Worker[workers];
        for (int i = 0; i < workers; i++) {
            this.workers[i] = new Worker("ttq-parallel-" + (i + 1));
            this.workers[i].start();
        }
    }

    /** Parts a section may use: the caller plus the workers. */
    int size() {
        return workers.length + 1;
    }

    /**
     * Runs body over [0, n) in {@code parts} equal parts (2 <= parts <= size()), part 0 on the
     * calling thread; returns when all have finished and rethrows the first failure. Returns
     * false (having run nothing) when the team is busy with another section.
     */
    boolean tryRun(Parallel.RangeBody body, int n, int parts) {
        if (Thread.currentThread() instanceof Worker || !busy.compareAndSet(false, true)) {
            return false;
        }
        try {
            for (int p = 1; p < parts; p++) {
                workers[p - 1].post(body, (int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts));
            }
            Throwable failure = null;
            try {
                body.run(0, (int) ((long) n / parts));
            } catch (Throwable t) {
                failure = t;
            }
            for (int p = 1; p < parts; p++) {
                Throwable t = workers[p - 1].await();
                if (failure == null) {
                    failure = t;
                }
            }
            if (failure instanceof RuntimeException re) {
                throw re;
            }
            if (failure instanceof Error er) {
                throw er;
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            return true;
        } finally {
            busy.set(false);
        }
    }

    private final class Worker extends Thread {
        private volatile long posted, done;
        private volatile boolean parked;
        private Parallel.RangeBody body;
        private int from, to;
        private Throwable failure;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        /** Hands a part to this worker (plain fields are published by the volatile write of posted). */
        void post(Parallel.RangeBody b, int f, int t) {
            body = b;
            from = f;
            to = t;
            failure = null;
            posted = posted + 1;
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        /** Waits for the posted part; its failure, or null. */
        Throwable await() {
            long want = posted;
            while (done != want) {
                Thread.onSpinWait();
            }
            Throwable t = failure;
            body = null;
            return t;
        }

        @Override
        public void run() {
            long seen = 0;
            while (true) {
                long idleSince = System.nanoTime();
                while (posted == seen) {
                    if (System.nanoTime() - idleSince < SPIN_NANOS) {
                        Thread.onSpinWait();
                        continue;
                    }
                    // Dekker-style: flag first, then re-check, so a post between the two is never missed
                    parked = true;
                    if (posted == seen) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
                seen = posted;
                Parallel.PartListener listener = Parallel.partListener();
                long start = listener != null ? System.nanoTime() : 0;
                try {
                    body.run(from, to);
                } catch (Throwable t) {
                    failure = t;
                }
                if (listener != null) {
                    listener.part(getId(), start, System.nanoTime());
                }
                done = seen;
            }
        }
    }
}
