#!/usr/bin/python3
"""PyTorch statement of Net1D ("1D-RegNet"), the cosine head, CosFace and AdaCos.

Written from docs/method.md §7-§8; it is the test oracle and the benchmark peer of the C++
engine, never part of the product. Module and attribute names are chosen
so that ``state_dict()`` keys are exactly xrdid's parameter/buffer names:

    first_conv.conv.weight, first_bn.{weight,bias,running_mean,running_var,num_batches_tracked},
    stage_list.{s}.block_list.{b}.{bn1,conv1.conv,bn2,conv2.conv,bn3,conv3.conv,se_fc1,se_fc2}.*

Run directly (with Debian's PyTorch: /usr/bin/python3) to print the parameter count of a config:
    /usr/bin/python3 scripts/torch_net1d.py [seed|compact|tiny]
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# The named configurations of nn/net1d.cpp (net1d_config).
CONFIGS = {
    "seed": dict(in_channels=1, base_filters=64, ratio=1.0,
                 filter_list=[64, 160, 160, 400, 400, 1024, 1024],
                 m_blocks_list=[2, 2, 2, 3, 3, 4, 4], kernel_size=16, stride=2,
                 groups_width=16, use_bn=True, use_do=True, dropout=0.5, input_length=6000),
    "compact": dict(in_channels=1, base_filters=16, ratio=1.0,
                    filter_list=[16, 32, 32, 64, 64, 128, 128],
                    m_blocks_list=[1, 1, 1, 1, 1, 1, 1], kernel_size=16, stride=2,
                    groups_width=8, use_bn=True, use_do=True, dropout=0.1, input_length=6000),
    "tiny": dict(in_channels=1, base_filters=4, ratio=1.0, filter_list=[4, 8],
                 m_blocks_list=[2, 2], kernel_size=3, stride=2, groups_width=2,
                 use_bn=True, use_do=True, dropout=0.5, input_length=24),
}


def same_pad_amounts(length, kernel, stride, dilation=1):
    """docs/method.md §7.2: L_out = ceil(L/s); total = max(0, (L_out-1)s + (k-1)d + 1 - L); left = floor(total/2)."""
    l_out = -(-length // stride)
    total = max(0, (l_out - 1) * stride + (kernel - 1) * dilation + 1 - length)
    return total // 2, total - total // 2


class SameConv1d(nn.Module):
    """Zero "same" padding (left floor(p/2), rest right) followed by a valid Conv1d held as `.conv`."""

    def __init__(self, cin, cout, kernel, stride=1, groups=1):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv = nn.Conv1d(cin, cout, kernel, stride=stride, groups=groups, bias=True)

    def forward(self, x):
        left, right = same_pad_amounts(x.shape[-1], self.kernel, self.stride)
        return self.conv(F.pad(x, (left, right), mode="constant", value=0.0))


def max_pool_same2(x):
    """Kernel = stride = 2 max-pool after appending ONE zero on the right (a real 0, not -inf)."""
    return F.max_pool1d(F.pad(x, (0, 1), mode="constant", value=0.0), kernel_size=2, stride=2)


def swish(x):
    return x * torch.sigmoid(x)


def pad_channels(x, before, after):
    """Zero channels before/after the existing ones: (N,C,L) -> (N,C+before+after,L)."""
    return F.pad(x, (0, 0, before, after), mode="constant", value=0.0)


class Block(nn.Module):
    """Pre-activation bottleneck block with grouped conv and squeeze-and-excitation (§7.3)."""

    def __init__(self, cin, cout, ratio, kernel, stride, groups, downsample, first, use_bn, use_do, p):
        super().__init__()
        mid = int(cout * ratio)
        self.cin, self.cout = cin, cout
        self.downsample, self.first, self.use_bn, self.use_do = downsample, first, use_bn, use_do
        self.bn1 = nn.BatchNorm1d(cin)
        self.conv1 = SameConv1d(cin, mid, 1, 1, 1)
        self.bn2 = nn.BatchNorm1d(mid)
        self.conv2 = SameConv1d(mid, mid, kernel, stride, groups)
        self.bn3 = nn.BatchNorm1d(mid)
        self.conv3 = SameConv1d(mid, cout, 1, 1, 1)
        self.se_fc1 = nn.Linear(cout, cout // 2)
        self.se_fc2 = nn.Linear(cout // 2, cout)
        self.drop = nn.Dropout(p)  # no parameters: invisible in the state_dict

    def _act(self, v):
        v = swish(v)
        return self.drop(v) if self.use_do else v

    def forward(self, x):
        h = x
        if not self.first:  # the stem already applied BN + swish before the first block
            if self.use_bn:
                h = self.bn1(h)
            h = self._act(h)
        h = self.conv1(h)
        if self.use_bn:
            h = self.bn2(h)
        h = self.conv2(self._act(h))
        if self.use_bn:
            h = self.bn3(h)
        h = self.conv3(self._act(h))
        e = h.mean(dim=-1)
        e = torch.sigmoid(self.se_fc2(swish(self.se_fc1(e))))
        h = h * e.unsqueeze(-1)
        short = x
        if self.downsample:
            short = max_pool_same2(short)
        if self.cout != self.cin:
            before = (self.cout - self.cin) // 2
            short = pad_channels(short, before, self.cout - self.cin - before)
        return h + short


class Stage(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.block_list = nn.ModuleList(blocks)

    def forward(self, x):
        for b in self.block_list:
            x = b(x)
        return x


class Net1D(nn.Module):
    """Stem (same conv stride 2 + BN + swish), stages of Blocks, global mean over length."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        c = self.cfg
        self.use_bn = c["use_bn"]
        self.first_conv = SameConv1d(c["in_channels"], c["base_filters"], c["kernel_size"], 2, 1)
        self.first_bn = nn.BatchNorm1d(c["base_filters"])
        stages = []
        cin = c["base_filters"]
        for s, (cout, nblk) in enumerate(zip(c["filter_list"], c["m_blocks_list"])):
            groups = int(cout * c["ratio"]) // c["groups_width"]
            blocks = []
            for b in range(nblk):
                blocks.append(Block(cin if b == 0 else cout, cout, c["ratio"], c["kernel_size"],
                                    c["stride"] if b == 0 else 1, groups, b == 0, s == 0 and b == 0,
                                    c["use_bn"], c["use_do"], c["dropout"]))
            stages.append(Stage(blocks))
            cin = cout
        self.stage_list = nn.ModuleList(stages)

    def forward(self, x):
        h = self.first_conv(x)
        if self.use_bn:
            h = self.first_bn(h)
        h = swish(h)
        for st in self.stage_list:
            h = st(h)
        return h.mean(dim=-1)


def l2_normalize_rows(x, eps=1e-12):
    return x / torch.clamp(torch.linalg.vector_norm(x, dim=1, keepdim=True), min=eps)


class CosineHead(nn.Module):
    """cos(x_i, W_j) = <x_i/max(|x_i|,eps), W_j/max(|W_j|,eps)>; W (C, D) Xavier-uniform, no bias."""

    def __init__(self, num_classes, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, dim))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, emb):
        return l2_normalize_rows(emb) @ l2_normalize_rows(self.weight).t()


def cosface_loss(cos, labels, s=30.0, m=0.4):
    """Mean CE over s*(c - m*onehot)."""
    onehot = F.one_hot(labels, cos.shape[1]).to(cos.dtype)
    return F.cross_entropy(s * (cos - m * onehot), labels)


def adacos_initial_scale(num_classes):
    return math.sqrt(2.0) * math.log(num_classes - 1)


def adacos_logits(cos, labels, s):
    """AdaCos step (§8.4): returns (s_new * cos, s_new); s_new is a constant for autograd."""
    with torch.no_grad():
        onehot = F.one_hot(labels, cos.shape[1]).bool()
        b_avg = torch.where(onehot, torch.zeros_like(cos), torch.exp(s * cos)).sum(dim=1).mean()
        theta = torch.acos(torch.clamp(cos, -1.0 + 1e-7, 1.0 - 1e-7))
        theta_target = theta[torch.arange(cos.shape[0]), labels]
        theta_med = torch.median(theta_target)  # lower middle value for even counts
        s_new = float(torch.log(b_avg) / torch.cos(torch.clamp(theta_med, max=math.pi / 4)))
    return s_new * cos, s_new


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "seed"
    net = Net1D(CONFIGS[name])
    n = sum(p.numel() for p in net.parameters())
    print(f"config={name} backbone_parameters={n}")
    if name == "seed":
        assert n == 30654000, n
    x = torch.zeros(1, 1, CONFIGS[name]["input_length"])
    net.eval()
    with torch.no_grad():
        print("embedding shape", tuple(net(x).shape))


if __name__ == "__main__":
    main()
