#!/usr/bin/env python3
"""The one table of a GPU check: bench_cuda's JSON (ceilings, kernels, whole steps) beside the
PyTorch peer's lines (bench/torch_peer_cuda.py), as same-run ratios against the GPU goals below.
Standard library only.

    python3 scripts/gpu_report.py out/bench_cuda.json out/peer.txt [out/conv_peer.txt]
"""
import json
import re
import sys

# case -> (goal description, predicate on (ours samples/s, peer samples/s, ours ms/step))
GOALS = {
    "train_b16_fp32": (">= 5x peer", lambda o, p, ms: p and o / p >= 5),
    "train_b256_fp32": (">= 2x peer", lambda o, p, ms: p and o / p >= 2),
    "train_b16_tf32": (">= 5x peer", lambda o, p, ms: p and o / p >= 5),
    "train_b256_tf32": (">= 2x peer", lambda o, p, ms: p and o / p >= 2),
    "infer_b1_fp32": ("<= 1.5 ms", lambda o, p, ms: ms <= 1.5),
    "infer_b256_fp32": (">= 2x peer", lambda o, p, ms: p and o / p >= 2),
}


def case_of(b):
    m = re.match(r"BM_Step_Train/batch:(\d+)/tf32:(\d)/graph:(\d)", b["name"])
    if m:
        return f"train_b{m[1]}_{'tf32' if m[2] == '1' else 'fp32'}" + ("" if m[3] == "1" else "_eager")
    m = re.match(r"BM_Step_Infer/(\d+)", b["name"])
    if m:
        return f"infer_b{m[1]}_fp32"
    return None


def main(bench_json, peer_txt, conv_txt=None):
    try:
        with open(bench_json) as f:
            benches = [b for b in json.load(f)["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    except (OSError, ValueError, KeyError) as e:
        print(f"gpu_report: no benchmark results ({e})")
        benches = []
    peer = {}
    try:
        for line in open(peer_txt):
            m = re.match(r"case=(\S+) ms_per_step=(\S+) samples_per_s=(\S+)", line)
            if m:
                peer[m[1]] = float(m[3])
    except OSError:
        pass

    cudnn = {}
    try:
        for line in open(conv_txt) if conv_txt else []:
            m = re.match(r"kernel=(\S+) us=(\S+)", line)
            if m:
                cudnn[m[1]] = float(m[2])
    except OSError:
        pass

    ceil = {}
    print("ceilings measured on this card")
    for b in benches:
        if b["name"].startswith("BM_Ceiling"):
            v = b.get("FLOP/s") or b.get("bytes/s")
            unit = "TFLOP/s" if "FLOP/s" in b else "TB/s"
            ceil["tf32" if "TF32" in b.get("label", "") else "fp32" if "FLOP/s" in b else "bw"] = v
            print(f"  {b.get('label', b['name']):<40} {v / 1e12:8.2f} {unit}")

    print("\nkernels (batch 16, seed shapes)            time        rate      of ceiling   cuDNN us  cuDNN/ours")
    for b in benches:
        if not b["name"].startswith("BM_Kernel"):
            continue
        t = b["real_time"]
        unit = b.get("time_unit", "us")
        if "FLOP/s" in b:
            r, c, u = b["FLOP/s"], ceil.get("fp32"), "TFLOP/s"
        else:
            r, c, u = b.get("bytes/s", 0), ceil.get("bw"), "TB/s"
        frac = f"{100 * r / c:5.1f} %" if c else "   -"
        name = b["name"][len("BM_Kernel_"):].replace("/manual_time", "")
        ref = cudnn.get(name)
        us = t if unit == "us" else t * 1e3 if unit == "ms" else t / 1e3
        vs = f"   {ref:8.1f}  {ref / us:6.2f}x" if ref else ""
        print(f"  {name:<40} {t:8.1f} {unit} {r / 1e12:7.2f} {u:<7} {frac}{vs}")

    print("\nwhole step (seed Net1D + 8,172-class cosine head, CosFace, Adam)")
    print(f"  {'case':<22} {'ours/s':>10} {'peer/s':>10} {'ratio':>7} {'ms':>8}  goal")
    for b in benches:
        case = case_of(b)
        if not case:
            continue
        ours = b.get("items_per_second", 0.0)
        ms = b["real_time"] if b.get("time_unit") == "ms" else b["real_time"] / 1e3
        p = peer.get(case.replace("_eager", ""))
        goal, ok = GOALS.get(case, ("", None))
        verdict = "" if not goal else ("met" if ok(ours, p, ms) else "NOT met")
        ratio = f"{ours / p:6.2f}x" if p else "     -"
        print(f"  {case:<22} {ours:10.1f} {p or 0:10.1f} {ratio} {ms:8.3f}  {goal} {verdict}")
    if not peer:
        print("  (no peer results: the ratios need bench/torch_peer_cuda.py's output)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
