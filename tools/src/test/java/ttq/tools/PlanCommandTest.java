package ttq.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class PlanCommandTest {
    @Test
    void listsEveryOrderWithTheChoiceMarked() throws Exception {
        MainTest.Result r = MainTest.run("plan", "--format", "tt", "--out-modes", "4,6", "--in-modes", "6,4", "--rank", "3",
                "--batch", "16", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode doc = new ObjectMapper().readTree(r.out());
        JsonNode orders = doc.get("orders");
        assertTrue(orders.size() > 5);
        int chosen = 0;
        double minFlops = Double.MAX_VALUE;
        for (JsonNode o : orders) {
            chosen += o.get("chosen").asBoolean() ? 1 : 0;
            minFlops = Math.min(minFlops, o.get("flops").asDouble());
            assertTrue(o.get("fwd_bwd_ms").asDouble() > 0);
        }
        assertEquals(1, chosen);
        for (JsonNode o : orders) {
            if (o.get("chosen").asBoolean()) {
                assertEquals(minFlops, o.get("flops").asDouble(), 1e-6);
            }
        }
    }

    @Test
    void tableAndUsageErrors() {
        MainTest.Result r = MainTest.run("plan", "--format", "ttm", "--out-modes", "4,6", "--in-modes", "6,4", "--rank", "3",
                "--batch", "8", "--no-time");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("*"), r.out());
        r = MainTest.run("plan", "--out-modes", "4,6", "--in-modes", "6", "--rank", "3");
        assertEquals(Main.EXIT_USAGE, r.code());
        r = MainTest.run("plan", "--out-modes", "4,x", "--in-modes", "6,4");
        assertEquals(Main.EXIT_USAGE, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
