#!/usr/bin/python3
"""Straightforward scipy.sparse BEADS (Ning, Selesnick & Duval 2014), written from
docs/method.md §6 (not from pybeads), used to cross-check and time the C++ version.

Usage:
  beads_reference.py spec [--dia-quirk]       # docs/method.md §13.2 test signal: costs, x, f
  beads_reference.py time FILE.xy [--repeat K] [--xrdid build/xrdid]
      # time BEADS on the intensities of FILE (scaled to max 100); with --xrdid also time the
      # C++ version (xrdid denoise --time-runs) with the same parameters and print the ratio

--dia-quirk builds D1/D2 the way scipy.sparse.spdiags does when given diagonals of length N−1
(the last +1 of D1 and of D2 is lost). Checked and rejected: it gives cost[0] = 13847.4, far
from §13.2's 13549.510369, while the exact matrices give 13549.5099; so the D1/D2 of §6.1 are right.
Later iterations cannot be compared closer than ~1e-3: the MM iteration is chaotic at that
level (scaling y by 1 + 1e-15 moves cost[1] by 4e-5 and Σx by 1e-3), see tests/denoise/test_beads.cpp.
Run with Debian's /usr/bin/python3 (python3-scipy).
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl

EPS0 = 1e-6
EPS1 = 1e-6


def filter_matrices(d, fc, n):
    """A, B of docs/method.md §6.2: banded Toeplitz, b = (-z+2-1/z)^d, a = b + t (z+2+1/z)^d."""
    b = np.array([1.0])
    q = np.array([1.0])
    for _ in range(d):
        b = np.convolve(b, [-1.0, 2.0, -1.0])
        q = np.convolve(q, [1.0, 2.0, 1.0])
    wc = 2 * np.pi * fc
    t = ((1 - np.cos(wc)) / (1 + np.cos(wc))) ** d
    a = b + t * q
    offs = list(range(-d, d + 1))
    A = sp.diags([np.full(n - abs(k), a[k + d]) for k in offs], offs, format="csc")
    B = sp.diags([np.full(n - abs(k), b[k + d]) for k in offs], offs, format="csc")
    return A, B


def diff_matrices(n, quirk):
    if quirk:
        e = np.ones(n - 1)
        D1 = sp.spdiags(np.vstack((-e, e)), [0, 1], n - 1, n)
        D2 = sp.spdiags(np.vstack((e, -2 * e, e)), [0, 1, 2], n - 2, n)
    else:
        D1 = sp.diags([-np.ones(n - 1), np.ones(n - 1)], [0, 1], shape=(n - 1, n))
        D2 = sp.diags([np.ones(n - 2), -2 * np.ones(n - 2), np.ones(n - 2)], [0, 1, 2], shape=(n - 2, n))
    return sp.csc_matrix(D1), sp.csc_matrix(D2)


def beads(y, d=1, fc=0.006, r=6.0, lam0=0.4, lam1=4.0, lam2=3.2, nit=15, pen="L1_v2", quirk=False):
    if pen == "L1_v1":
        phi = lambda v: np.sqrt(v * v + EPS1)
        wfun = lambda v: 1.0 / np.sqrt(v * v + EPS1)
    else:
        phi = lambda v: np.abs(v) - EPS1 * np.log(np.abs(v) + EPS1)
        wfun = lambda v: 1.0 / (np.abs(v) + EPS1)

    def theta(x):
        s = np.sum(x[x > EPS0]) - r * np.sum(x[x < -EPS0])
        m = np.abs(x) <= EPS0
        xm = x[m]
        return s + np.sum((1 + r) / (4 * EPS0) * xm**2 + (1 - r) / 2 * xm + EPS0 * (1 + r) / 4)

    n = len(y)
    A, B = filter_matrices(d, fc, n)
    H = lambda v: B @ spl.spsolve(A, v)
    D1, D2 = diff_matrices(n, quirk)
    D = sp.vstack([D1, D2]).tocsc()
    BTB = (B.T @ B).tocsc()
    lam = np.concatenate([lam1 * np.ones(n - 1), lam2 * np.ones(n - 2)])
    b0 = (1 - r) / 2 * np.ones(n)
    rhs = BTB @ spl.spsolve(A, y) - lam0 * (A.T @ b0)
    x = y.copy()
    cost = []
    for _ in range(nit):
        Lam = sp.diags(lam * wfun(D @ x))
        gamma = (1 + r) / (4 * np.maximum(np.abs(x), EPS0))
        M = 2 * lam0 * sp.diags(gamma) + D.T @ Lam @ D
        Q = (BTB + A.T @ M @ A).tocsc()
        x = A @ spl.spsolve(Q, rhs)
        res = y - x
        cost.append(0.5 * np.sum(H(res) ** 2) + lam0 * theta(x) + lam1 * np.sum(phi(D1 @ x)) + lam2 * np.sum(phi(D2 @ x)))
    f = y - x - H(y - x)
    return x, f, np.array(cost)


def spec_signal():
    n = np.arange(1000, dtype=float)
    return (100 * np.exp(-0.5 * ((n - 300) / 5) ** 2) + 50 * np.exp(-0.5 * ((n - 600) / 8) ** 2)
            + 30 * np.exp(-0.5 * ((n - 620) / 4) ** 2) + 20 + 1e-4 * (n - 500) ** 2 + 2 * np.sin(1.7 * n))


def main(argv):
    if len(argv) < 2 or argv[1] not in ("spec", "time"):
        print(__doc__)
        return 2
    quirk = "--dia-quirk" in argv
    if argv[1] == "spec":
        x, f, cost = beads(spec_signal(), quirk=quirk)
        np.set_printoptions(precision=6, suppress=True, linewidth=150)
        print("cost", ", ".join(f"{c:.6f}" for c in cost))
        print("x[295..305]", ", ".join(f"{v:.6f}" for v in x[295:306]))
        print(f"sum x {x.sum():.6f}")
        print("f[0..4]", ", ".join(f"{v:.6f}" for v in f[:5]), f"f[500] {f[500]:.6f} sum f {f.sum():.6f}")
        return 0
    path = argv[2]
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
    data = np.loadtxt(path, comments=["#", ";", "!"], usecols=(0, 1))
    y = data[:, 1] * (100.0 / np.max(np.abs(data[:, 1])))
    best = best_cpu = 1e30
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        beads(y, quirk=quirk)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    print(f"scipy BEADS N={len(y)} 15 iterations (reference parameters, no extension): best of {repeat}: "
          f"{best * 1e3:.1f} ms wall, {best_cpu * 1e3:.1f} ms CPU")
    if "--xrdid" in argv:  # the C++ program on the same data, same parameters, same run
        import re, subprocess, tempfile
        exe = argv[argv.index("--xrdid") + 1]
        with tempfile.TemporaryDirectory() as d:
            cmd = [exe, "denoise", path, "-o", d + "/x.xy", "--no-extend", "--fc", "0.006", "--lam0", "0.4",
                   "--lam1", "4", "--lam2", "3.2", "--eps", "1e-6", "--iterations", "15", "--time-runs", str(max(repeat, 10))]
            err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
        print(err.strip())
        ms = float(re.search(r"([0-9.]+) ms CPU", err).group(1))
        print(f"speed-up (CPU time, scipy / C++): {best_cpu * 1e3 / ms:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
