#!/usr/bin/env python3
"""PyTorch eager reference for `repro bench`: the same four networks (METHOD.md section 1), the same
FFT layers (section 2), the same SGD step (lr 0.01, momentum 0.9, batch 64, a batch gathered from a
60000-image tensor), timed the same way. Prints one JSON object: {"1a": steps_per_second, ...}.

Run with the project's .venv python (the torch that tch links against).
"""
import argparse
import json
import time
import warnings

warnings.filterwarnings("ignore", message="Failed to initialize NumPy")

import torch
import torch.nn as nn
import torch.nn.functional as F


def circ_index(b, device):
    a = torch.arange(b, device=device)
    return (a[:, None] - a[None, :]) % b


class CirculantLinear(nn.Module):
    """Block-circulant FC: y_i = sum_j irfft(rfft(w_ij) * rfft(x_j))."""

    def __init__(self, n_in, n_out, block):
        super().__init__()
        self.p, self.q, self.b = n_out // block, n_in // block, block
        self.weight = nn.Parameter(torch.randn(self.p, self.q, block) * (2.0 / n_in) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        n = x.shape[0]
        xf = torch.fft.rfft(x.reshape(n, self.q, self.b), dim=-1)
        wf = torch.fft.rfft(self.weight, dim=-1)
        yf = (xf.unsqueeze(1) * wf.unsqueeze(0)).sum(2)
        return torch.fft.irfft(yf, n=self.b, dim=-1).reshape(n, -1) + self.bias


class ChannelCirculantConv2d(nn.Module):
    """Channel-circulant conv: rfft over channels, grouped per-bin conv in stacked real form, irfft."""

    def __init__(self, c_in, c_out, k, block, padding):
        super().__init__()
        self.p, self.q, self.b, self.k, self.pad = c_out // block, c_in // block, block, k, padding
        self.f = block // 2 + 1
        self.weight = nn.Parameter(torch.randn(self.p, self.q, block, k, k) * (2.0 / (c_in * k * k)) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(c_out))

    def forward(self, x):
        n, _, h, w = x.shape
        p, q, f, k = self.p, self.q, self.f, self.k
        # The same layout as repro: FFTs over the last axis of a channels-last copy.
        xf = torch.fft.rfft(x.permute(0, 2, 3, 1).contiguous().view(n, h, w, q, self.b), dim=-1)
        xs = torch.view_as_real(xf).permute(0, 4, 5, 3, 1, 2).contiguous().view(n, f * 2 * q, h, w)
        wf = torch.fft.rfft(self.weight, dim=2)
        top = torch.cat([wf.real, -wf.imag], 1)
        bottom = torch.cat([wf.imag, wf.real], 1)
        ws = torch.stack([top, bottom], 0).view(2, p, 2, q, f, k, k).permute(4, 0, 1, 2, 3, 5, 6).reshape(f * 2 * p, 2 * q, k, k)
        ys = F.conv2d(xs, ws, padding=self.pad, groups=f)
        ho, wo = ys.shape[-2:]
        yf = torch.view_as_complex(ys.view(n, f, 2, p, ho, wo).permute(0, 4, 5, 3, 1, 2).contiguous())
        y = torch.fft.irfft(yf, n=self.b, dim=-1).reshape(n, ho, wo, p * self.b).permute(0, 3, 1, 2).contiguous()
        return y + self.bias.view(1, -1, 1, 1)


class PeriodicConv2d(nn.Module):
    """Periodic conv with a kernel as large as the map: irfft2(conj(G) * X)."""

    def __init__(self, k, h, w):
        super().__init__()
        self.k, self.h, self.w = k, h, w
        self.weight = nn.Parameter(torch.randn(1, 1, k, k) * (2.0 / (k * k)) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        p = (self.k - 1) // 2
        g = F.pad(self.weight, (0, self.w - self.k, 0, self.h - self.k)).roll((-p, -p), (2, 3))
        xf = torch.fft.rfft2(x, s=(self.h, self.w))
        gf = torch.fft.rfft2(g, s=(self.h, self.w)).conj()
        return torch.fft.irfft2(xf * gf, s=(self.h, self.w)) + self.bias.view(1, -1, 1, 1)


def net(panel):
    trunk = [nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    if panel == "1a":
        head = [nn.Flatten(), nn.Linear(3136, 64), nn.ReLU(), nn.Linear(64, 10)]
    elif panel == "1b":
        head = [Reshape56(), PeriodicConv2d(55, 56, 56), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 10)]
    elif panel == "1c":
        head = [nn.Flatten(), CirculantLinear(3136, 1568, 1568), nn.ReLU(), nn.Linear(1568, 10)]
    else:
        head = [nn.Conv2d(64, 256, 3, padding=1), nn.ReLU(),
                ChannelCirculantConv2d(256, 256, 3, 256, 1), nn.ReLU(),
                ChannelCirculantConv2d(256, 256, 3, 256, 1), nn.ReLU(),
                nn.Flatten(), nn.Linear(12544, 64), nn.ReLU(), nn.Linear(64, 10)]
    return nn.Sequential(*trunk, *head)


class Reshape56(nn.Module):
    def forward(self, x):
        return x.reshape(-1, 1, 56, 56)


def steps_per_second(panel, steps, warmup, device):
    torch.manual_seed(0)
    model = net(panel).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.rand(60000, 1, 28, 28, device=device)
    labels = torch.randint(0, 10, (60000,), device=device)
    order = torch.randperm(60000, device=device)

    def step(i):
        idx = order[i * 64:(i + 1) * 64]
        loss = F.cross_entropy(model(images.index_select(0, idx)), labels.index_select(0, idx))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()  # the same per-step synchronisation as repro (it records every loss)

    for i in range(warmup):
        step(i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    for i in range(steps):
        step(warmup + i)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps / (time.perf_counter() - t)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--panels", default="1a,1b,1c,1d")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    device = torch.device(a.device)
    out = {p: steps_per_second(p, a.steps, a.warmup, device) for p in a.panels.split(",")}
    out["threads"] = torch.get_num_threads()
    out["torch"] = torch.__version__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
