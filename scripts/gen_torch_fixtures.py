#!/usr/bin/python3
"""Writes the PyTorch reference fixtures in tests/data/torch/ (read by tests/nn/test_torch_fixtures.cpp).

Run with Debian's PyTorch 1.13 (CPU):
    /usr/bin/python3 scripts/gen_torch_fixtures.py

Files (safetensors, written by hand below; the generator command is in each file's __metadata__):
  ops_f64.safetensors   every op of nn/functional.hpp on small F64 inputs: outputs and the input
                        gradients of sum(out * R) for a fixed random R (R = 1 for scalar losses).
  ops_f32.safetensors   F32 conv1d / linear with "abs" tensors (the same computation on |inputs|)
                        from which the test derives a rigorous rounding-error bound.
  net1d_f64.safetensors a reduced Net1D (config in metadata "config", use_do=false) + cosine head:
                        weights and buffers by xrdid's names, input, labels, train-mode embedding,
                        cosines, CosFace loss, every parameter gradient ("grad.<name>"), BN buffers
                        after the train-mode forward ("after.<name>"), parameters after one Adam
                        step with lr 1e-3 ("adam.<name>"), eval-mode outputs after the update, and an
                        F32 eval-mode forward ("f32.*").
Everything is seeded (torch.manual_seed), so reruns give identical files.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_net1d as tn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "data", "torch")
COMMAND = "/usr/bin/python3 scripts/gen_torch_fixtures.py"

DTYPES = {torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def write_safetensors(path, tensors, metadata):
    """8-byte LE header length, JSON header {name: {dtype, shape, data_offsets}} + __metadata__, raw LE data."""
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        code, npdt = DTYPES[t.dtype]
        raw = t.numpy().astype(npdt, copy=False).tobytes(order="C")
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)  # align the data section to 8 bytes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
    return os.path.getsize(path)


def rnd(*shape, dtype=torch.float64, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float64) * scale).to(dtype)


def grads_of(out, R, inputs):
    """Input gradients of sum(out * R); zeros for inputs that do not influence out."""
    gs = torch.autograd.grad((out * R).sum(), inputs, allow_unused=True)
    return [torch.zeros_like(i) if g is None else g for g, i in zip(gs, inputs)]


def leaf(t):
    return t.clone().requires_grad_(True)


# ---- ops (F64) ------------------------------------------------------------------------------------
def conv_case(T, name, n, cin, cout, length, k, stride, dilation, groups, same, pad=(0, 0), bias=True,
              dtype=torch.float64):
    x = leaf(rnd(n, cin, length, dtype=dtype))
    w = leaf(rnd(cout, cin // groups, k, dtype=dtype, scale=0.5))
    b = leaf(rnd(cout, dtype=dtype)) if bias else None
    if same:
        pad = tn.same_pad_amounts(length, k, stride, dilation)
    out = F.conv1d(F.pad(x, pad), w, b, stride=stride, dilation=dilation, groups=groups)
    R = rnd(*out.shape, dtype=dtype)
    ins = [x, w] + ([b] if bias else [])
    gs = grads_of(out, R, ins)
    T[f"{name}.x"], T[f"{name}.w"], T[f"{name}.R"], T[f"{name}.out"] = x, w, R, out
    T[f"{name}.grad_x"], T[f"{name}.grad_w"] = gs[0], gs[1]
    if bias:
        T[f"{name}.b"], T[f"{name}.grad_b"] = b, gs[2]
    # stride, dilation, groups, same, pad_left, pad_right (explicit pads only used when same = 0)
    T[f"{name}.opts"] = torch.tensor([stride, dilation, groups, int(same), pad[0], pad[1]], dtype=torch.int64)
    if dtype == torch.float32:
        # The same computation on |x|, |w|, |b|, |R| in F64: sum of |terms| of every output/gradient
        # element, for the rounding-error bound gamma_n * sum|terms|.
        ax, aw = x.detach().abs().double().requires_grad_(True), w.detach().abs().double().requires_grad_(True)
        ab = b.detach().abs().double() if bias else None
        aout = F.conv1d(F.pad(ax, pad), aw, ab, stride=stride, dilation=dilation, groups=groups)
        agx, agw = torch.autograd.grad((aout * R.abs().double()).sum(), [ax, aw])
        T[f"{name}.abs_out"], T[f"{name}.abs_grad_x"], T[f"{name}.abs_grad_w"] = aout, agx, agw
        # Reference values computed in F64 from the F32-rounded inputs (exact up to ~1e-16).
        xd, wd = x.detach().double().requires_grad_(True), w.detach().double().requires_grad_(True)
        bd = b.detach().double().requires_grad_(True) if bias else None
        dout = F.conv1d(F.pad(xd, pad), wd, bd, stride=stride, dilation=dilation, groups=groups)
        dg = grads_of(dout, R.double(), [xd, wd] + ([bd] if bias else []))
        T[f"{name}.out"], T[f"{name}.grad_x"], T[f"{name}.grad_w"] = dout, dg[0], dg[1]
        if bias:
            T[f"{name}.grad_b"] = dg[2]


def gen_ops_f64():
    torch.manual_seed(1234)
    T = {}
    # conv1d: groups / stride / dilation / odd lengths / asymmetric "same" padding / explicit pads.
    conv_case(T, "conv.c0", 2, 4, 6, 13, 5, 2, 1, 2, True)             # odd L, stride 2
    conv_case(T, "conv.c1", 1, 3, 3, 11, 3, 1, 2, 3, True)             # depthwise, dilation 2
    conv_case(T, "conv.c2", 2, 8, 8, 17, 16, 2, 1, 2, True)            # k16 s2 odd L: pad 7/8
    conv_case(T, "conv.c3", 2, 8, 8, 18, 16, 1, 1, 4, True)            # k16 s1: pad 7/8
    conv_case(T, "conv.c4", 2, 6, 4, 10, 4, 3, 1, 2, False, (1, 3), bias=False)  # explicit pads, no bias
    conv_case(T, "conv.c5", 3, 5, 7, 9, 1, 1, 1, 1, True)              # 1x1
    conv_case(T, "conv.c6", 2, 8, 8, 16, 16, 2, 1, 2, True)            # k16 s2 even L: pad 7/7

    # batch_norm1d, training: biased variance normalises, unbiased variance updates the buffer.
    for name, training in (("bn.train", True), ("bn.eval", False)):
        x = leaf(rnd(3, 4, 5, scale=2.0) + 0.5)
        g, b = leaf(rnd(4) * 0.5 + 1.0), leaf(rnd(4) * 0.3)
        rm0, rv0 = rnd(4) * 0.2, torch.rand(4, dtype=torch.float64) + 0.5
        rm, rv = rm0.clone(), rv0.clone()
        out = F.batch_norm(x, rm, rv, g, b, training=training, momentum=0.1, eps=1e-5)
        R = rnd(*out.shape)
        gx, gg, gb = grads_of(out, R, [x, g, b])
        T.update({f"{name}.x": x, f"{name}.gamma": g, f"{name}.beta": b, f"{name}.rm0": rm0, f"{name}.rv0": rv0,
                  f"{name}.rm1": rm, f"{name}.rv1": rv, f"{name}.R": R, f"{name}.out": out,
                  f"{name}.grad_x": gx, f"{name}.grad_gamma": gg, f"{name}.grad_beta": gb})

    # Elementwise activations, including large |x| (sigmoid saturation) and exact 0.
    xa = torch.cat([rnd(20, scale=3.0), torch.tensor([0.0, 30.0, -30.0, 50.0, -50.0, 1e-3], dtype=torch.float64)])
    xa = xa.reshape(2, 13)
    for name, fn in (("swish", tn.swish), ("sigmoid", torch.sigmoid), ("relu", torch.relu)):
        x = leaf(xa)
        out = fn(x)
        R = rnd(*out.shape)
        T.update({f"{name}.x": x, f"{name}.R": R, f"{name}.out": out, f"{name}.grad_x": grads_of(out, R, [x])[0]})

    # max_pool_same2: odd L with a negative last element (the zero pad wins), even L.
    for name, length in (("maxpool.odd", 7), ("maxpool.even", 8)):
        x = rnd(2, 3, length)
        x[:, :, -1] = -x[:, :, -1].abs() - 0.1
        x[0, 0, -1] = 2.5  # one positive last element: it wins over the pad
        x = leaf(x)
        out = tn.max_pool_same2(x)
        R = rnd(*out.shape)
        T.update({f"{name}.x": x, f"{name}.R": R, f"{name}.out": out, f"{name}.grad_x": grads_of(out, R, [x])[0]})

    x = leaf(rnd(2, 3, 7))
    out = x.mean(dim=-1)
    R = rnd(*out.shape)
    T.update({"mean.x": x, "mean.R": R, "mean.out": out, "mean.grad_x": grads_of(out, R, [x])[0]})

    x, e = leaf(rnd(2, 3, 5)), leaf(rnd(2, 3))
    out = x * e.unsqueeze(-1)
    R = rnd(*out.shape)
    gx, ge = grads_of(out, R, [x, e])
    T.update({"scale.x": x, "scale.e": e, "scale.R": R, "scale.out": out, "scale.grad_x": gx, "scale.grad_e": ge})

    x = leaf(rnd(2, 3, 4))
    out = tn.pad_channels(x, 2, 3)
    R = rnd(*out.shape)
    T.update({"padch.x": x, "padch.R": R, "padch.out": out, "padch.grad_x": grads_of(out, R, [x])[0],
              "padch.pads": torch.tensor([2, 3], dtype=torch.int64)})

    a, b = leaf(rnd(2, 3, 4)), leaf(rnd(2, 3, 4))
    for name, out in (("add", a + b), ("mul", a * b)):
        R = rnd(*out.shape)
        ga, gb = grads_of(out, R, [a, b])
        T.update({f"{name}.a": a, f"{name}.b": b, f"{name}.R": R, f"{name}.out": out,
                  f"{name}.grad_a": ga, f"{name}.grad_b": gb})

    x, w, b = leaf(rnd(4, 6)), leaf(rnd(5, 6)), leaf(rnd(5))
    out = F.linear(x, w, b)
    R = rnd(*out.shape)
    gx, gw, gb = grads_of(out, R, [x, w, b])
    T.update({"linear.x": x, "linear.w": w, "linear.b": b, "linear.R": R, "linear.out": out,
              "linear.grad_x": gx, "linear.grad_w": gw, "linear.grad_b": gb})

    a, bm, bt = leaf(rnd(3, 4)), leaf(rnd(4, 5)), leaf(rnd(5, 4))
    for name, rhs, out in (("matmul.nn", bm, a @ bm), ("matmul.nt", bt, a @ bt.t())):
        R = rnd(*out.shape)
        ga, gb = grads_of(out, R, [a, rhs])
        T.update({f"{name}.a": a, f"{name}.b": rhs, f"{name}.R": R, f"{name}.out": out,
                  f"{name}.grad_a": ga, f"{name}.grad_b": gb})

    x = rnd(4, 6)
    x[2] = 0.0  # zero row: norm clamped to eps = 1e-12
    x[3] *= 1e-3
    x = leaf(x)
    out = tn.l2_normalize_rows(x, 1e-12)
    R = rnd(*out.shape)
    T.update({"l2n.x": x, "l2n.R": R, "l2n.out": out, "l2n.grad_x": grads_of(out, R, [x])[0]})

    # Losses on (4, 6): plain CE on logits; CosFace on cosines in [-1, 1].
    labels = torch.tensor([0, 5, 2, 2], dtype=torch.int64)
    z = leaf(rnd(4, 6, scale=3.0))
    loss = F.cross_entropy(z, labels)
    T.update({"ce.logits": z, "ce.labels": labels, "ce.loss": loss.detach().reshape(1),
              "ce.grad": torch.autograd.grad(loss, [z])[0]})
    c = leaf(torch.rand(4, 6, dtype=torch.float64) * 2 - 1)
    loss = tn.cosface_loss(c, labels, 30.0, 0.4)
    T.update({"cosface.c": c, "cosface.labels": labels, "cosface.loss": loss.detach().reshape(1),
              "cosface.grad": torch.autograd.grad(loss, [c])[0]})

    # AdaCos: two steps (6 rows: even count, the lower median matters), C = 5 classes.
    ncls = 5
    s = tn.adacos_initial_scale(ncls)
    T["adacos.s0"] = torch.tensor([s], dtype=torch.float64)
    for step in (1, 2):
        emb, W = rnd(6, 8), rnd(ncls, 8)
        c = leaf(tn.l2_normalize_rows(emb) @ tn.l2_normalize_rows(W).t())
        lab = torch.randint(0, ncls, (6,), dtype=torch.int64)
        out, s = tn.adacos_logits(c, lab, s)
        R = rnd(*out.shape)
        T.update({f"adacos.step{step}.c": c, f"adacos.step{step}.labels": lab, f"adacos.step{step}.out": out,
                  f"adacos.step{step}.R": R, f"adacos.step{step}.grad": grads_of(out, R, [c])[0],
                  f"adacos.s{step}": torch.tensor([s], dtype=torch.float64)})

    # topk(k = 3) on distinct random scores.
    sc = rnd(3, 7)
    T["topk.scores"], T["topk.idx"] = sc, torch.topk(sc, 3, dim=1).indices.to(torch.int64)
    return T


def gen_ops_f32():
    torch.manual_seed(4321)
    T = {}
    # Seed-model shapes scaled down: stage-1-like (groups of 16 channels, k16 s2) and 1x1 convs.
    conv_case(T, "conv.g16", 2, 32, 32, 41, 16, 2, 1, 2, True, dtype=torch.float32)
    conv_case(T, "conv.g16s1", 2, 32, 32, 24, 16, 1, 1, 2, True, dtype=torch.float32)
    conv_case(T, "conv.pw", 2, 48, 64, 19, 1, 1, 1, 1, True, dtype=torch.float32)
    x, w, b = rnd(4, 96, dtype=torch.float32), rnd(10, 96, dtype=torch.float32), rnd(10, dtype=torch.float32)
    R = rnd(4, 10, dtype=torch.float32)
    xd, wd, bd = (leaf(t.double()) for t in (x, w, b))
    out = F.linear(xd, wd, bd)
    gx, gw, gb = grads_of(out, R.double(), [xd, wd, bd])
    ax, aw = leaf(x.abs().double()), leaf(w.abs().double())
    aout = F.linear(ax, aw, b.abs().double())
    agx, agw = torch.autograd.grad((aout * R.abs().double()).sum(), [ax, aw])
    T.update({"linear.x": x, "linear.w": w, "linear.b": b, "linear.R": R, "linear.out": out,
              "linear.grad_x": gx, "linear.grad_w": gw, "linear.grad_b": gb, "linear.abs_out": aout,
              "linear.abs_grad_x": agx, "linear.abs_grad_w": agw})
    return T


# ---- reduced Net1D --------------------------------------------------------------------------------
NET_CFG = dict(name="torch-fixture", in_channels=1, base_filters=4, ratio=1.0, filter_list=[4, 8, 16],
               m_blocks_list=[2, 2, 2], kernel_size=16, stride=2, groups_width=2, use_bn=True, use_do=False,
               dropout=0.5, input_length=61)


def gen_net1d():
    torch.manual_seed(2024)
    torch.set_default_dtype(torch.float64)
    try:
        net = tn.Net1D(NET_CFG)
        head = tn.CosineHead(5, NET_CFG["filter_list"][-1])
    finally:
        torch.set_default_dtype(torch.float32)
    # Non-trivial BN affine parameters and running statistics.
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, torch.nn.BatchNorm1d):
                mod.weight.copy_(1.0 + 0.3 * torch.randn_like(mod.weight))
                mod.bias.copy_(0.2 * torch.randn_like(mod.bias))
                mod.running_mean.copy_(0.1 * torch.randn_like(mod.running_mean))
                mod.running_var.copy_(0.5 + torch.rand_like(mod.running_var))
    T = {}
    for k, v in net.state_dict().items():
        T[k] = v.clone()
    T["head.weight"] = head.weight.detach().clone()
    n, L = 4, NET_CFG["input_length"]
    x = torch.randn(n, 1, L, dtype=torch.float64)
    labels = torch.tensor([1, 4, 0, 1], dtype=torch.int64)
    T["in.x"], T["in.labels"] = x, labels

    # F32 eval-mode forward from the same (rounded) weights and the initial running statistics.
    net32 = tn.Net1D(NET_CFG)
    head32 = tn.CosineHead(5, NET_CFG["filter_list"][-1])
    net32.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in net.state_dict().items()})
    with torch.no_grad():
        head32.weight.copy_(head.weight.float())
        net32.eval()
        e32 = net32(x.float())
        T["f32.embedding_eval"], T["f32.cosines_eval"] = e32, head32(e32)

    # Training-mode forward (no dropout), CosFace, backward, one Adam step.
    net.train()
    emb = net(x)
    cos = head(emb)
    loss = tn.cosface_loss(cos, labels, 30.0, 0.4)
    params = list(net.named_parameters()) + [("head.weight", head.weight)]
    loss.backward()
    T["out.embedding"], T["out.cosines"], T["out.loss"] = emb.detach(), cos.detach(), loss.detach().reshape(1)
    for k, p in params:
        T["grad." + k] = p.grad.clone() if p.grad is not None else torch.zeros_like(p)
    for k, b in net.named_buffers():
        T["after." + k] = b.clone()
    opt = torch.optim.Adam([p for _, p in params], lr=1e-3)
    opt.step()
    for k, p in params:
        T["adam." + k] = p.detach().clone()
    # Eval mode after the update: running statistics and updated weights.
    net.eval()
    with torch.no_grad():
        e = net(x)
        T["eval.embedding"], T["eval.cosines"] = e, head(e)
    cfg = dict(NET_CFG)
    return T, {"config": json.dumps(cfg), "num_classes": "5"}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    meta = {"generator": COMMAND, "torch": torch.__version__}
    total = 0
    total += write_safetensors(os.path.join(OUT_DIR, "ops_f64.safetensors"), gen_ops_f64(), meta)
    total += write_safetensors(os.path.join(OUT_DIR, "ops_f32.safetensors"), gen_ops_f32(), meta)
    T, extra = gen_net1d()
    total += write_safetensors(os.path.join(OUT_DIR, "net1d_f64.safetensors"), T, {**meta, **extra})
    print(f"wrote {OUT_DIR}: {total} bytes")


if __name__ == "__main__":
    main()
