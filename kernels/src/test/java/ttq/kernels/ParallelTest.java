package ttq.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The worker team behind {@link Parallel}: coverage, failures, nesting and concurrent callers. */
class ParallelTest {
    private static final int N = 4 * Parallel.GRAIN + 17;

    @Test
    void everyIndexRunsExactlyOnceOverManySections() {
        int[] hits = new int[N];
        for (int section = 0; section < 2000; section++) {
            Parallel.forRange(N, (from, to) -> {
                for (int i = from; i < to; i++) {
                    hits[i]++;
                }
            });
        }
        int[] want = new int[N];
        java.util.Arrays.fill(want, 2000);
        assertArrayEquals(want, hits);
    }

    @Test
    void workersAreUsedWhenTheMachineHasSeveralCores() {
        ConcurrentHashMap<String, Boolean> threads = new ConcurrentHashMap<>();
        Parallel.forChunks(Parallel.threads(), c -> threads.put(Thread.currentThread().getName(), true));
        assertEquals(Parallel.threads(), threads.size(), "threads seen: " + threads.keySet());
    }

    @Test
    void aFailureInAnyPartIsRethrownAfterAllPartsFinish() {
        AtomicInteger finished = new AtomicInteger();
        for (int failing = 0; failing < Parallel.threads(); failing++) {
            int f = failing;
            finished.set(0);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forChunks(Parallel.threads(), c -> {
                if (c == f) {
                    throw new IllegalStateException("part " + c);
                }
                finished.incrementAndGet();
            }));
            assertEquals("part " + f, e.getMessage());
            assertEquals(Parallel.threads() - 1, finished.get());
        }
        // the team still works afterwards
        everyIndexRunsExactlyOnceOverManySections();
    }

    @Test
    void nestedSectionsRunInline() {
        AtomicInteger inner = new AtomicInteger();
        Parallel.forChunks(Parallel.threads(), c -> Parallel.forRange(N, (from, to) -> inner.addAndGet(to - from)));
        assertEquals(Parallel.threads() * N, inner.get());
    }

    @Test
    void concurrentCallersEachGetTheirWholeRange() throws InterruptedException {
        long[] sums = new long[4];
        Thread[] callers = new Thread[sums.length];
        for (int t = 0; t < callers.length; t++) {
            int id = t;
            callers[t] = new Thread(() -> {
                for (int s = 0; s < 300; s++) {
                    AtomicInteger count = new AtomicInteger();
                    Parallel.forRange(N, (from, to) -> count.addAndGet(to - from));
                    sums[id] += count.get();
                }
            });
            callers[t].start();
        }
        for (Thread t : callers) {
            t.join();
        }
        for (long s : sums) {
            assertEquals(300L * N, s);
        }
        assertTrue(Parallel.threads() >= 1);
    }
}
