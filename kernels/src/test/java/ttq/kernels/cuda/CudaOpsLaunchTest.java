package ttq.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the launchers send to the GPU, checked on the host with a recording launcher and fake memory. */
class CudaOpsLaunchTest {
    record Launch(String kernel, LaunchGeometry geometry, Object[] args) {
    }

    final List<Launch> launches = new ArrayList<>();
    final CachingAllocator allocator = new CachingAllocator(new CachingAllocatorTest.FakeDevice(1L << 34));
    final CudaOps ops = new CudaOps((k, g, a) -> launches.add(new Launch(k, g, a)), allocator);

    CudaBuffer floats(long n) {
        return allocator.allocate(Math.max(1, n) * 4);
    }

    @Test
    void everyLauncherNamesAKernelOfTheList() {
        CudaBuffer a = floats(4096), b = floats(4096), c = floats(4096), d = floats(4096), s = floats(1), t = floats(1);
        ops.geluForward(a, b, 4096);
        ops.geluBackward(a, b, c, 4096);
        ops.softmaxForward(a, b, 64, 64);
        ops.softmaxBackward(a, b, c, 64, 64);
        ops.layerNormForward(a, b, c, d, floats(64), floats(64), 64, 64, 1e-12f);
        ops.layerNormBackward(a, b, floats(64), floats(64), c, d, floats(64), floats(64), 64, 64);
        ops.lsqForward(a, s, b, 4096, 4);
        ops.lsqBackward(a, s, b, c, t, 4096, 4, false);
        ops.adamUpdate(a, b, c, d, 4096, 1e-3f, 0.9f, 0.98f, 1e-8f, 0f, false, 1);
        ops.batchedSgemm(false, false, 16, 16, 16, 1f, a, 16, 256, b, 16, 256, 0f, c, 16, 256, 4);
        ops.int8Gemm(a, b, c, 8, 8, 16);
        ops.requantize(a, b, 100, 0.5f);
        int[] rowModes = {4, 4}, colModes = {2, 3}, ranks = {1, 3, 1};
        ops.ttmGather(floats(100), allocator.allocate(16), allocator.allocate(28), rowModes, colModes, ranks, new int[] {0, 15},
                allocator.allocate(8), floats(12));
        List<String> used = launches.stream().map(Launch::kernel).distinct().toList();
        assertEquals(CudaOps.KERNELS.size(), used.size(), "launched " + used);
        assertTrue(CudaOps.KERNELS.containsAll(used));
    }

    @Test
    void logDomainAdamLaunchesTheAdamKernelWithTheFlagAndNoWeightDecay() {
        CudaBuffer a = floats(16), b = floats(16), c = floats(16), d = floats(16);
        ops.adamUpdate(a, b, c, d, 16, 1e-3f, 0.9f, 0.98f, 1e-8f, 0.01f, true, 3);
        ops.adamUpdateLogDomain(a, b, c, d, 16, 1e-3f, 0.9f, 0.98f, 1e-8f, 3);
        Object[] plain = launches.get(0).args(), log = launches.get(1).args();
        assertEquals("ttq_adam_update", launches.get(1).kernel());
        assertEquals(14, log.length);
        assertEquals(0, plain[13]);
        assertEquals(1, log[13]);
        assertEquals(0f, log[9], "no weight decay on a log-domain parameter");
        assertEquals(0, log[10], "not decoupled");
        assertEquals(plain[11], log[11], "same bias corrections");
        assertThrows(IllegalArgumentException.class, () -> ops.adamUpdateLogDomain(a, b, c, d, 17, 1e-3f, 0.9f, 0.98f, 1e-8f, 1));
    }

    @Test
    void quantizerBackwardReducesPerBlockPartialsInASecondLaunch() {
        CudaBuffer x = floats(1_000_000), gy = floats(1_000_000), gx = floats(1_000_000), s = floats(1), gs = floats(1);
        long liveBefore = allocator.liveBytes();
        ops.lsqBackward(x, s, gy, gx, gs, 1_000_000, 8, true);
        assertEquals(2, launches.size());
        Launch first = launches.get(0), second = launches.get(1);
        assertEquals("ttq_lsq_backward", first.kernel());
        int blocks = first.geometry().gridX();
        assertEquals(LaunchGeometry.stridedBlocks(1_000_000), blocks);
        assertEquals(-128f, first.args()[6]);
        assertEquals(127f, first.args()[7]);
        assertEquals("ttq_sum_partials", second.kernel());
        assertSame(first.args()[4], second.args()[0], "the partials buffer feeds the second stage");
        assertEquals(blocks, second.args()[1]);
        assertSame(gs, second.args()[2]);
        assertEquals(1, second.args()[3]);
        assertEquals(1, second.geometry().gridX());
        assertTrue(((CudaBuffer) first.args()[4]).isClosed(), "the temporary returns to the cache");
        assertEquals(liveBefore, allocator.liveBytes());
    }

    @Test
    void batchedGemmGeometryAndOperandChecks() {
        CudaBuffer a = floats(10 * 300 * 7), b = floats(10 * 7 * 40), c = floats(10 * 300 * 40);
        ops.batchedSgemm(false, false, 300, 40, 7, 1f, a, 7, 2100, b, 40, 280, 0f, c, 40, 12000, 10);
        LaunchGeometry g = launches.get(0).geometry();
        assertEquals(List.of(3, 19, 10), List.of(g.gridX(), g.gridY(), g.gridZ()));
        // one more batch entry would read past A
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.batchedSgemm(false, false, 300, 40, 7, 1f, a, 7, 2100, b, 40, 280, 0f, c, 40, 12000, 11));
        assertTrue(e.getMessage().contains("operand A"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ops.batchedSgemm(true, false, 300, 40, 7, 1f, a, 7, 2100, b, 40, 280, 0f, c, 40,
                12000, 1));
        assertTrue(e.getMessage().contains("leading dimension"), e.getMessage());
        assertEquals(1, launches.size(), "nothing launched for refused calls");
    }

    @Test
    void wrongSizesNeverReachTheDevice() {
        CudaBuffer small = floats(10), big = floats(1000);
        assertThrows(IllegalArgumentException.class, () -> ops.geluForward(small, big, 11));
        assertThrows(IllegalArgumentException.class, () -> ops.softmaxForward(big, small, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> ops.lsqForward(big, big, big, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> ops.int8Gemm(big, big, big, 4, 4, 6));
        assertThrows(IllegalArgumentException.class, () -> ops.adamUpdate(big, big, big, big, 10, 1e-3f, 0.9f, 0.98f, 1e-8f, 0f, false, 0));
        small.close();
        assertThrows(IllegalStateException.class, () -> ops.geluForward(small, big, 1));
        assertTrue(launches.isEmpty());
    }

    @Test
    void ttmLookupChecksIdsAndSizesSharedMemory() {
        int[] rowModes = {8, 8, 8}, colModes = {8, 12, 8}, ranks = {1, 30, 30, 1};
        long[] off = CudaOps.ttmCoreOffsets(rowModes, colModes, ranks);
        assertArrayEquals(new long[] {0, 1920, 1920 + 86400, 1920 + 86400 + 1920}, off);
        assertArrayEquals(new int[] {8, 8, 8, 8, 12, 8, 1, 30, 30, 1}, CudaOps.ttmDims(rowModes, colModes, ranks));
        CudaBuffer cores = floats(off[3]), offsets = allocator.allocate(24), dims = allocator.allocate(40), ids = allocator.allocate(12),
                out = floats(3 * 768);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.ttmGather(cores, offsets, dims, rowModes, colModes, ranks, new int[] {1, 512, 2}, ids, out));
        assertTrue(e.getMessage().contains("id 512 at position 1"), e.getMessage());
        ops.ttmGather(cores, offsets, dims, rowModes, colModes, ranks, new int[] {1, 511, 2}, ids, out);
        LaunchGeometry g = launches.get(0).geometry();
        assertEquals(3, g.gridX());
        assertEquals(2 * (8 * 12 * 30) * 4, g.sharedBytes()); // the largest intermediate: n1 n2 x p2
    }
}
