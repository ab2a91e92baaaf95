#!/usr/bin/env python3
"""cuDNN (through PyTorch) on the convolution shapes of bench_cuda's BM_Kernel_Conv1d, so each of
our conv kernels has a same-card peer. The "same" padding is applied to the input once, outside
the timed region (PyTorch's conv1d pads symmetrically only), so the time is the convolution alone.
Prints one line per case, `kernel=Conv1d/Cin:..:bwd:B us=...`, in bench_cuda's naming; FP32
(no TF32), cudnn.benchmark on, CUDA-event timing, median of 30 after 5 warm-ups.

    python3 bench/torch_conv_peer.py [--device cuda]
"""
import argparse
import statistics
import sys

import torch
import torch.nn.functional as F

# (C_in, C_out, L_in, K, stride, groups): bench/bench_cuda.cpp's list; batch 16.
SHAPES = [(1, 64, 6000, 16, 2, 1), (64, 64, 3000, 16, 1, 4), (160, 160, 1500, 16, 2, 10),
          (1024, 1024, 47, 16, 1, 64), (64, 64, 3000, 1, 1, 1), (1024, 1024, 24, 1, 1, 1)]


def same_pad(L, K, s):
    lo = (L + s - 1) // s
    total = max(0, (lo - 1) * s + K - L)
    return total // 2, total - total // 2


def timed(fn, dev, warm=5, reps=30):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize(dev)
    out = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        out.append(a.elapsed_time(b) * 1e3)  # us
    return statistics.median(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("torch_conv_peer: no CUDA device", file=sys.stderr)
        return 77
    dev = torch.device(a.device)
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(0)
    print(f"torch={torch.__version__} cudnn={torch.backends.cudnn.version()} device={torch.cuda.get_device_name(dev)}")
    for cin, cout, L, K, s, g in SHAPES:
        pl, pr = same_pad(L, K, s)
        x = F.pad(torch.rand(16, cin, L, device=dev) * 2 - 1, (pl, pr)).requires_grad_(True)
        w = ((torch.rand(cout, cin // g, K, device=dev) * 2 - 1) * 0.1).requires_grad_(True)
        b = torch.rand(cout, device=dev).requires_grad_(True)
        y = F.conv1d(x, w, b, stride=s, groups=g)
        dy = torch.rand_like(y)
        fwd = timed(lambda: F.conv1d(x, w, b, stride=s, groups=g), dev)

        def bwd():
            yy = F.conv1d(x, w, b, stride=s, groups=g)
            torch.autograd.grad(yy, (x, w, b), dy)

        both = timed(bwd, dev)
        name = f"Conv1d/Cin:{cin}/Cout:{cout}/L:{L}/K:{K}/s:{s}/G:{g}"
        print(f"kernel={name}/bwd:0 us={fwd:.1f}", flush=True)
        print(f"kernel={name}/bwd:1 us={max(both - fwd, 0.0):.1f}", flush=True)  # backward alone
    return 0


if __name__ == "__main__":
    sys.exit(main())
