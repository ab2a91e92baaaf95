#!/usr/bin/python3
"""PyTorch 1.13 (CPU) peer of `xrdid model --bench ...`: the same Net1D config, cosine head, batch,
classes and thread count; prints `ms_per_step=<median>` on its last line (warm-up steps untimed).

    /usr/bin/python3 bench/torch_peer.py --bench infer|train --batch 16 --classes 8172 --threads 2

infer: eval mode under torch.no_grad(), backbone + cosine head.
train: train mode (dropout on), zero_grad, forward, CosFace (s=30, m=0.4), backward, Adam lr 1e-3.
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))
import torch_net1d as tn  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="seed", choices=sorted(tn.CONFIGS))
    ap.add_argument("--bench", required=True, choices=["infer", "train"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--classes", type=int, default=8172)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    cfg = tn.CONFIGS[a.config]
    net = tn.Net1D(cfg)
    head = tn.CosineHead(a.classes, cfg["filter_list"][-1])
    x = torch.rand(a.batch, cfg["in_channels"], cfg["input_length"]) * 2 - 1
    labels = torch.tensor([(i * 7919) % a.classes for i in range(a.batch)], dtype=torch.int64)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=1e-3)
    if a.bench == "infer":
        net.eval()
    else:
        net.train()
    times = []
    for it in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        if a.bench == "infer":
            with torch.no_grad():
                cos = head(net(x))
        else:
            opt.zero_grad(set_to_none=False)
            loss = tn.cosface_loss(head(net(x)), labels, 30.0, 0.4)
            loss.backward()
            opt.step()
        dt = (time.perf_counter() - t0) * 1e3
        print(f"{'warm-up' if it < a.warmup else 'step'} {it}: {dt:.2f} ms", file=sys.stderr)
        if it >= a.warmup:
            times.append(dt)
    print(f"torch={torch.__version__} config={a.config} mode={a.bench} batch={a.batch} classes={a.classes} "
          f"threads={torch.get_num_threads()} steps={len(times)}")
    print(f"ms_per_step={statistics.median(times)}")


if __name__ == "__main__":
    main()
