#!/usr/bin/env python3
"""Calibrated confidence: fits the logistic model of identify/confidence.hpp and measures it by
cross-validation over the committed folds of the measured patterns.

    scripts/calibrate.py PRESENT.csv ABSENT.csv [--folds data/folds/rruff-opxrd.csv] [--threshold 0.5]
                         [--choose-threshold 0.1] [--complete-only]

PRESENT.csv and ABSENT.csv come from `xrdid eval ... --ranks` on the same patterns, the first with
a library that holds their phases, the second with one that lacks their own structures (a hit
there is the same phase from another collection). Every query gives one example per file: the
first row's score s, margin m (s minus the second row's score), chance level c (profile and
hybrid; 0 for the other methods) and cell volume change v (in %, from the first row's
whole-pattern fit; identify/confidence.hpp), labelled 1 when the first row is a hit.
p = 1 / (1 + exp(-(b + w_s s + w_m m + w_c c + w_v v))) is fitted by Newton's method (maximum
likelihood with a small ridge); for every fold it is fitted on the other folds and applied to the
held-out one. Printed per method: the cross-validated reliability table (predicted probability
bins vs the fraction of hits), the share of queries answered "confident" (p >= threshold) when the
phase is absent and among correct first rows, and the coefficients fitted on all data (the ones
identify/confidence.cpp holds). --complete-only leaves out the patterns whose true CIF probably
lacks atoms (reference_fill below 0.5); --train-complete-only fits the coefficients and chooses
the threshold without them, and scores every pattern. --choose-threshold also chooses the threshold inside each
training set (nested cross-validation) and scores it on the held-out fold. Standard library only.
"""
import argparse
import csv
import math
import sys


def rows(path, need_fill=False, complete_only=False):
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            for k in ("score1", "score2", "chance1", "volume1") + (("reference_fill",) if need_fill else ()):
                if k not in r:
                    sys.exit(f"calibrate.py: {path} has no {k} column (write it with xrdid eval --ranks)")
            if need_fill:
                try:
                    float(r["reference_fill"])
                except ValueError:
                    sys.exit(f"calibrate.py: {path}: reference_fill of {r['name']} is not a number")
            if complete_only and 0 < float(r["reference_fill"]) < 0.5:
                continue
            out.setdefault(r["method"], []).append(r)
    return out


def features(r):
    s1, s2 = float(r["score1"]), float(r["score2"])
    return [1.0, s1, s1 - s2, float(r["chance1"]), float(r["volume1"])]


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def fit(xs, ys, ridge=1e-3, iters=50):
    w = [0.0] * len(xs[0])
    for _ in range(iters):
        n = len(w)
        g = [ridge * w[i] for i in range(n)]
        h = [[ridge if i == j else 0.0 for j in range(n)] for i in range(n)]
        for x, y in zip(xs, ys):
            p = sigmoid(sum(a * b for a, b in zip(w, x)))
            for i in range(n):
                g[i] += (p - y) * x[i]
                for j in range(n):
                    h[i][j] += p * (1 - p) * x[i] * x[j]
        step = solve(h, g)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < 1e-10:
            break
    return w


def solve(a, b):
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def trusted(data):
    """The examples a model is fitted on and a threshold chosen on (see --train-complete-only)."""
    return [d for d in data if d[5]]


def held_out(data):
    """Probabilities of every example from the model fitted on the other folds:
    (p, y, kind, rank, trusted)."""
    held = []
    for k in sorted(set(d[0] for d in data)):
        train = trusted([d for d in data if d[0] != k])
        w = fit([d[1] for d in train], [d[2] for d in train])
        held += [(sigmoid(sum(x * y for x, y in zip(w, d[1]))), d[2], d[3], d[4], d[5]) for d in data if d[0] == k]
    return held


def shares(held, t):
    """(answered confident when the phase is absent, absent queries, correct first rows answered
    confident, correct first rows) at threshold t."""
    gone = [h for h in held if h[2] == "absent" and h[3] == "0"]
    right = [h for h in held if h[2] == "present" and h[1] == 1.0]
    return sum(h[0] >= t for h in gone), len(gone), sum(h[0] >= t for h in right), len(right)


THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]


def choose_threshold(held, max_absent):
    """The lowest threshold of THRESHOLDS whose share of absent phases answered confident is at
    most max_absent (most correct answers kept confident)."""
    for t in THRESHOLDS:
        g, ng, _, _ = shares(held, t)
        if g <= max_absent * ng:
            return t
    return THRESHOLDS[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("present")
    ap.add_argument("absent")
    ap.add_argument("--folds", default="data/folds/rruff-opxrd.csv")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--complete-only", action="store_true",
                    help="only patterns whose true CIF is complete (the reference_fill column >= 0.5)")
    ap.add_argument("--train-complete-only", action="store_true",
                    help="fit the coefficients and choose the threshold on the patterns whose true CIF is complete, "
                         "and score every pattern")
    ap.add_argument("--choose-threshold", type=float, metavar="SHARE",
                    help="also choose the threshold, in a cross-validation nested in each training set, as the "
                         "lowest that answers at most SHARE of the absent phases confident, and score it on the "
                         "held-out fold")
    a = ap.parse_args()
    with open(a.folds) as f:
        fold = {r["name"]: int(r["fold"]) for r in csv.DictReader(f)}
    need_fill = a.complete_only or a.train_complete_only
    present, absent = rows(a.present, need_fill, a.complete_only), rows(a.absent, need_fill, a.complete_only)
    for method in sorted(set(present) & set(absent)):
        data = []  # (fold, x, y, kind, rank, trusted) kind: "present" or "absent"
        for kind, table in (("present", present[method]), ("absent", absent[method])):
            for r in table:
                if r["name"] not in fold:
                    continue
                complete = not (0 < float(r.get("reference_fill") or 0) < 0.5)
                data.append((fold[r["name"]], features(r), 1.0 if r["rank"] == "1" else 0.0, kind, r["rank"],
                             complete or not a.train_complete_only))
        held = held_out(data)
        w_all = fit([d[1] for d in trusted(data)], [d[2] for d in trusted(data)])
        print(f"== {method}: {len(data)} examples, cross-validated over {len(set(d[0] for d in data))} folds")
        if a.train_complete_only:
            print(f"fitted on the {len(trusted(data))} examples whose true CIF is complete, scored on all")
        print(f"{'predicted':>12} {'queries':>8} {'mean p':>8} {'hits':>8}")
        edges = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0001]
        for lo, hi in zip(edges, edges[1:]):
            b = [h for h in held if lo <= h[0] < hi]
            if b:
                print(f"{lo:5.1f}-{min(hi, 1.0):<5.1f} {len(b):8d} {sum(h[0] for h in b) / len(b):8.3f} "
                      f"{sum(h[1] for h in b) / len(b):8.3f}")
        t = a.threshold
        conf_gone, n_gone, conf_right, n_right = shares(held, t)
        print(f"phase absent (no hit in the top 10): {conf_gone}/{n_gone} = "
              f"{100.0 * conf_gone / max(1, n_gone):.1f} % answered confident (p >= {t})")
        print(f"correct first rows: {conf_right}/{n_right} = {100.0 * conf_right / max(1, n_right):.1f} % confident")
        if a.choose_threshold is not None:
            tot, picks = [0, 0, 0, 0], []
            for k in sorted(set(d[0] for d in data)):
                train = [d for d in data if d[0] != k]
                inner = held_out(train)
                tk = choose_threshold([h for h in inner if h[4]], a.choose_threshold)
                picks.append(tk)
                w = fit([d[1] for d in trusted(train)], [d[2] for d in trusted(train)])
                test = [(sigmoid(sum(x * y for x, y in zip(w, d[1]))), d[2], d[3], d[4]) for d in data if d[0] == k]
                tot = [u + v for u, v in zip(tot, shares(test, tk))]
            g, ng, r, nr = tot
            all_t = choose_threshold([h for h in held if h[4]], a.choose_threshold)
            print(f"threshold chosen per fold (at most {100 * a.choose_threshold:.0f} % of absent phases confident "
                  f"on the training folds): {picks}; on all data: {all_t}")
            print(f"  held out: phase absent {g}/{ng} = {100.0 * g / max(1, ng):.1f} % confident, correct first rows "
                  f"{r}/{nr} = {100.0 * r / max(1, nr):.1f} % confident")
        print(f"coefficients (all data): bias {w_all[0]:.4f}  w_score {w_all[1]:.4f}  w_margin {w_all[2]:.4f}  "
              f"w_chance {w_all[3]:.4f}  w_volume {w_all[4]:.4f}")


if __name__ == "__main__":
    main()
