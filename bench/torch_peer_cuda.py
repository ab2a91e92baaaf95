#!/usr/bin/env python3
"""PyTorch GPU peer: the same Net1D (scripts/torch_net1d.py), cosine head (8,172
classes), CosFace (s=30, m=0.4) and Adam, on the device's PyTorch + cuDNN. Prints one line per
case, `case=... samples_per_s=... ms_per_step=...`, then a table.

    python3 bench/torch_peer_cuda.py [--device cuda] [--config seed] [--quick]

Cases: training at batch 16, 64, 256 in fp32 and TF32; inference at batch 1, 16,
256 (fp32). Timing: warm-up steps, then CUDA-synchronised wall time of N steps (median of
repeats). --device cpu with --config tiny runs the same code on a CPU (a check of the script).
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import torch_net1d as tn  # noqa: E402


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def run_case(cfg, classes, dev, mode, batch, tf32, warmup, steps, repeats):
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(1)
    net = tn.Net1D(cfg).to(dev)
    head = tn.CosineHead(classes, cfg["filter_list"][-1]).to(dev)
    x = (torch.rand(batch, cfg["in_channels"], cfg["input_length"]) * 2 - 1).to(dev)
    labels = torch.tensor([(i * 7919) % classes for i in range(batch)], dtype=torch.int64).to(dev)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=1e-3)
    net.train(mode == "train")

    def step():
        if mode == "infer":
            with torch.no_grad():
                head(net(x))
        else:
            opt.zero_grad(set_to_none=False)
            loss = tn.cosface_loss(head(net(x)), labels, 30.0, 0.4)
            loss.backward()
            opt.step()

    for _ in range(warmup):
        step()
    sync(dev)
    per_step = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        sync(dev)
        per_step.append((time.perf_counter() - t0) / steps)
    ms = statistics.median(per_step) * 1e3
    return ms, batch / (ms / 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--config", default="seed", choices=sorted(tn.CONFIGS))
    ap.add_argument("--classes", type=int, default=8172)
    ap.add_argument("--quick", action="store_true", help="fewer steps (a check of the script)")
    a = ap.parse_args()
    dev = torch.device(a.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("torch_peer_cuda: no CUDA device", file=sys.stderr)
        return 77
    torch.backends.cudnn.benchmark = True
    cfg = tn.CONFIGS[a.config]
    warmup, steps, repeats = (1, 2, 1) if a.quick else (5, 20, 3)
    cases = [("train", 16, False), ("train", 64, False), ("train", 256, False),
             ("train", 16, True), ("train", 256, True),
             ("infer", 1, False), ("infer", 16, False), ("infer", 256, False)]
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    print(f"torch={torch.__version__} cudnn={torch.backends.cudnn.version()} device={name} config={a.config} "
          f"classes={a.classes}")
    rows = []
    for mode, batch, tf32 in cases:
        ms, sps = run_case(cfg, a.classes, dev, mode, batch, tf32, warmup, steps, repeats)
        case = f"{mode}_b{batch}_{'tf32' if tf32 else 'fp32'}"
        print(f"case={case} ms_per_step={ms:.3f} samples_per_s={sps:.1f}", flush=True)
        rows.append((case, ms, sps))
    print("\ncase                 ms/step   samples/s")
    for case, ms, sps in rows:
        print(f"{case:<18} {ms:9.3f} {sps:11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
