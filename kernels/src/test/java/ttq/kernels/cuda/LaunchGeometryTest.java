package ttq.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class LaunchGeometryTest {
    @Property
    void gridStrideLaunchesCoverEveryElement(@ForAll @LongRange(min = 0, max = 10_000_000_000L) long n) {
        LaunchGeometry g = LaunchGeometry.elementwise(n);
        assertTrue(g.gridX() >= 1 && g.gridX() <= LaunchGeometry.MAX_STRIDE_BLOCKS);
        // each thread strides by the whole grid, so any grid covers n; a small n gets no idle blocks
        if (n <= (long) LaunchGeometry.MAX_STRIDE_BLOCKS * LaunchGeometry.BLOCK) {
            assertTrue(g.threads() >= n && g.threads() - n < LaunchGeometry.BLOCK || n == 0, g + " for " + n);
        }
    }

    @Property
    void tilesCoverTheOutputExactlyOnce(@ForAll @IntRange(min = 1, max = 100_000) int m, @ForAll @IntRange(min = 1, max = 100_000) int n,
                                        @ForAll @IntRange(min = 1, max = 1000) int batch) {
        LaunchGeometry g = LaunchGeometry.tiles(m, n, batch);
        assertTrue((long) g.gridY() * LaunchGeometry.TILE >= m && (long) (g.gridY() - 1) * LaunchGeometry.TILE < m);
        assertTrue((long) g.gridX() * LaunchGeometry.TILE >= n && (long) (g.gridX() - 1) * LaunchGeometry.TILE < n);
        assertEquals(batch, g.gridZ());
        assertEquals(LaunchGeometry.TILE * LaunchGeometry.TILE, g.blockX() * g.blockY());
    }

    @Test
    void limitsAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.tiles(16 * 70_000, 8, 1));
        assertTrue(e.getMessage().contains("split the call"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.tiles(8, 8, 70_000));
        assertThrows(IllegalArgumentException.class, () -> new LaunchGeometry(1, 1, 1, 1024, 2, 1, 0));
        e = assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.perToken(10, 8000));
        assertTrue(e.getMessage().contains("shared memory"), e.getMessage());
        assertEquals(2 * 6000 * 4, LaunchGeometry.perToken(10, 6000).sharedBytes());
        assertEquals(3, LaunchGeometry.perColumn(513).gridX());
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.elementwise(-1));
    }
}
