"""PyTorch (CPU) peer for `ttq bench ops`: the same workloads, timed the same way (median of
repeated single calls after warm-up). Prints one JSON object. Usage: python3 torch_ops_bench.py THREADS"""
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)

def median_ns(f, warmup, rounds):
    for _ in range(warmup):
        f()
    ts = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns(); f(); ts.append(time.perf_counter_ns() - t0)
    ts.sort()
    return ts[len(ts) // 2]

out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
with torch.no_grad():
    a, b = torch.randn(768, 768), torch.randn(768, 768)
    out["sgemm_768_ns"] = median_ns(lambda: torch.mm(a, b), 5, 30)
    b2 = torch.randn(768, 3072)
    out["sgemm_768x3072_ns"] = median_ns(lambda: torch.mm(a, b2), 3, 20)
    x, y = torch.randn(1), torch.randn(1)
    def adds():
        for _ in range(10000):
            x + y
    out["tiny_add_ns"] = median_ns(adds, 5, 20) / 10000
xg, yg = torch.randn(1, requires_grad=True), torch.randn(1, requires_grad=True)
def adds_grad():
    for _ in range(10000):
        xg + yg
out["tiny_add_grad_ns"] = median_ns(adds_grad, 5, 20) / 10000

mlp = nn.Sequential(nn.Linear(768, 3072), nn.GELU(), nn.Linear(3072, 768))
opt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
xin, target = torch.randn(64, 768), torch.randn(64, 768)
def step():
    opt.zero_grad(set_to_none=True)
    loss = F.mse_loss(mlp(xin), target)
    loss.backward()
    opt.step()
out["mlp_step_ns"] = median_ns(step, 5, 30)
print(json.dumps(out))
