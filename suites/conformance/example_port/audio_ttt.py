"""A TTT layer as it lives inside another model: the test-only example port of the
conformance suite (suites/conformance, docs/PORTS.md).

Written the way the ports the incidents shipped in were written (a TTT block inside an audio
model, RoPE with complex numbers, frequencies computed in forward), independently of upstream's
code, with each of the five incidents (README, "The mission") as a switch. With every switch
off it is a correct TTT-Linear / TTT-MLP and passes every golden case and property check of
`ttt-harness conform`; each switch makes the check named after its incident fail:

    factory                        incident                                          caught by
    make_layer                     none                                              (passes)
    with_cpu_rope_frequencies      1 RoPE frequencies built on the CPU, input on CUDA check/device.cuda_placement (CUDA only)
    with_complex_rope_in_bf16      2 bf16 reaching torch.complex                      check/bf16.round_trip
    with_use_rope_ignored          3 use_rope silently does nothing (never rotates)   check/use_rope.*
    with_positions_not_reduced     4 positions not reduced modulo mini_batch_size     check/rope.position_modulo
    with_rope_on_v                 5 RoPE applied to V as well as Q and K             check/rope.only_q_and_k_rotated

It offers streaming (forward_stream) but keeps its stream state to itself, and gradients by
autograd.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

PORT_NAME = "audio-ttt example port"
PORT_VERSION = "1.0-test"

INCIDENTS = ("cpu_rope_frequencies", "complex_rope_in_bf16", "use_rope_ignored", "positions_not_reduced", "rope_on_v")


# ---- RoPE, with complex numbers ----------------------------------------------------------------

def rope_frequencies(head_dim: int, theta: float, positions: torch.Tensor, device) -> torch.Tensor:
    """e^{i p w_j} for every position p ([P, L]) and frequency j: complex64 [P, L, head_dim/2]."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64, device=device).float() / head_dim))
    angles = positions.to(device).float()[..., None] * inv_freq
    return torch.complex(angles.cos(), angles.sin())


def to_complex(x: torch.Tensor, upcast: bool) -> torch.Tensor:
    """Adjacent channels (2i, 2i+1) as one complex number. torch.complex has no bfloat16: the
    fix is to upcast first (incident 2 is the same code without it)."""
    if upcast and x.dtype in (torch.bfloat16, torch.float16):
        x = x.float()
    pairs = x.reshape(*x.shape[:-1], -1, 2)
    return torch.complex(pairs[..., 0], pairs[..., 1])


def apply_rope(x: torch.Tensor, freqs: torch.Tensor, upcast: bool) -> torch.Tensor:
    """x [B, H, L, f] rotated by freqs [P, L, f/2]; returned in x's dtype."""
    rotated = to_complex(x, upcast) * freqs[:, None]
    return torch.view_as_real(rotated).flatten(-2).to(x.dtype)


# ---- the inner learner's arithmetic ------------------------------------------------------------

def layer_norm(x, weight, bias, eps=1e-6):
    mean = x.mean(dim=-1, keepdim=True)
    std = torch.sqrt(x.var(dim=-1, keepdim=True, unbiased=False) + eps)
    return weight * ((x - mean) / std) + bias


def layer_norm_l2_grad(x, target, weight, bias, eps=1e-6):
    """d/dx of 0.5 |layer_norm(x) - target|^2, through the norm."""
    n = x.shape[-1]
    mean = x.mean(dim=-1, keepdim=True)
    std = torch.sqrt(x.var(dim=-1, keepdim=True, unbiased=False) + eps)
    x_hat = (x - mean) / std
    g = (weight * x_hat + bias - target) * weight
    return (1.0 / n) * (n * g - g.sum(dim=-1, keepdim=True) - x_hat * (g * x_hat).sum(dim=-1, keepdim=True)) / std


def gelu_tanh_grad(x):
    # The tanh approximation's derivative with Megatron's constants, as the TTT reference uses.
    t = torch.tanh(0.79788456 * x * (1 + 0.044715 * x * x))
    return 0.5 * x * ((1 - t * t) * (0.79788456 + 0.1070322243 * x * x)) + 0.5 * (1 + t)


# ---- the layer ---------------------------------------------------------------------------------

@dataclass
class TTTConfig:
    hidden_size: int
    num_attention_heads: int
    mini_batch_size: int = 16
    rope_theta: float = 10000.0
    ttt_base_lr: float = 1.0
    use_gate: bool = False
    share_qk: bool = False
    conv_kernel: int = 4
    use_rope: bool = True
    layer_type: str = "linear"
    incidents: frozenset = field(default_factory=frozenset)


class StreamState:
    """What the layer carries between streaming calls; kept to itself (not a dict)."""

    def __init__(self, weights):
        self.weights = weights      # the fast weights at the last mini-batch boundary
        self.pending = None         # (XQ, XK, XV, X) of the tokens since then
        self.window = None          # the last conv_kernel - 1 shared projections, float32
        self.calls = 0


class AudioTTT(nn.Module):
    """TTT-Linear or TTT-MLP; parameters named as the reference names them."""

    def __init__(self, config: TTTConfig):
        super().__init__()
        self.config = config
        C, H = config.hidden_size, config.num_attention_heads
        self.num_heads, self.head_dim = H, C // H
        f = self.head_dim
        self.use_rope = config.use_rope
        self.q_proj = nn.Linear(C, C, bias=False)
        if not config.share_qk:
            self.k_proj = nn.Linear(C, C, bias=False)
        self.v_proj = nn.Linear(C, C, bias=False)
        self.o_proj = nn.Linear(C, C, bias=False)
        if config.share_qk:
            k = config.conv_kernel
            self.conv_q = nn.Conv1d(C, C, k, groups=C, padding=k - 1, bias=True)
            self.conv_k = nn.Conv1d(C, C, k, groups=C, padding=k - 1, bias=True)
        if config.use_gate:
            self.g_proj = nn.Linear(C, C, bias=False)
        self.post_norm = nn.LayerNorm(C, eps=1e-6)
        self.learnable_ttt_lr_weight = nn.Parameter(torch.zeros(H, 1, C))
        self.learnable_ttt_lr_bias = nn.Parameter(torch.zeros(H, 1))
        self.learnable_token_idx = nn.Parameter(torch.zeros(config.mini_batch_size))
        self.register_buffer("token_idx", 1.0 / torch.arange(1, config.mini_batch_size + 1), persistent=False)
        self.ttt_norm_weight = nn.Parameter(torch.ones(H, f))
        self.ttt_norm_bias = nn.Parameter(torch.zeros(H, f))
        inner = f if config.layer_type == "linear" else 4 * f
        self.W1 = nn.Parameter(torch.zeros(H, f, inner))
        self.b1 = nn.Parameter(torch.zeros(H, 1, inner))
        if config.layer_type == "mlp":
            self.W2 = nn.Parameter(torch.zeros(H, inner, f))
            self.b2 = nn.Parameter(torch.zeros(H, 1, f))

    # -- projections and RoPE
    def _shared_qk(self, xq: torch.Tensor, window):
        """Causal depthwise convs over the shared projection xq [B, L, C]; `window` (float32
        [B, C, k-1]) holds the values before this call in a stream, None at its start."""
        k = self.config.conv_kernel
        x = xq.transpose(1, 2)
        if window is None:
            padded = F.pad(x, (k - 1, 0))
        else:
            # As the reference's cache keeps it: the window, and each new value in it, in float32.
            padded = torch.cat([window, x.float()], dim=-1).to(x.dtype)
        q = F.conv1d(padded, self.conv_q.weight, self.conv_q.bias, groups=x.shape[1])
        kk = F.conv1d(padded, self.conv_k.weight, self.conv_k.bias, groups=x.shape[1])
        new_window = padded[..., -(k - 1):].float() if k > 1 else padded[..., :0].float()
        return q.transpose(1, 2), kk.transpose(1, 2), new_window

    def _heads(self, t):
        B, L, _ = t.shape
        return t.reshape(B, L, self.num_heads, self.head_dim).transpose(1, 2)

    def _project(self, X, positions, window=None):
        incidents = self.config.incidents
        if self.config.share_qk:
            XQ, XK, window = self._shared_qk(self.q_proj(X), window)
        else:
            XQ, XK = self.q_proj(X), self.k_proj(X)
        XV = self.v_proj(X)
        XQ, XK, XV = self._heads(XQ), self._heads(XK), self._heads(XV)
        if self.use_rope and "use_rope_ignored" not in incidents:
            where = None if "cpu_rope_frequencies" in incidents else X.device  # torch.arange defaults to the CPU
            p = positions if "positions_not_reduced" in incidents else positions % self.config.mini_batch_size
            freqs = rope_frequencies(self.head_dim, self.config.rope_theta, p, where)
            upcast = "complex_rope_in_bf16" not in incidents
            XQ, XK = apply_rope(XQ, freqs, upcast), apply_rope(XK, freqs, upcast)
            if "rope_on_v" in incidents:
                XV = apply_rope(XV, freqs, upcast)
        return XQ, XK, XV, window

    # -- the inner loop, one mini-batch (or the partial one at the end) at a time
    def _initial_weights(self, batch: int):
        names = ["W1", "b1"] + (["W2", "b2"] if self.config.layer_type == "mlp" else [])
        return {n: getattr(self, n).unsqueeze(0).expand(batch, *getattr(self, n).shape) for n in names}

    def _step(self, XQ, XK, XV, X, w):
        """One mini-batch of k tokens from fast weights w: (output [B, H, k, f], weights after it)."""
        k, f = XQ.shape[2], self.head_dim
        lr = torch.einsum("bkc,hdc->bhkd", X, self.learnable_ttt_lr_weight)
        lr = torch.sigmoid(lr + self.learnable_ttt_lr_bias.reshape(1, -1, 1, 1)).transpose(-1, -2)  # [B, H, 1, k]
        lr_eta = self.config.ttt_base_lr * lr / f
        token = torch.clamp_min(self.token_idx + self.learnable_token_idx, 0.0)[:k].reshape(1, 1, k, 1)
        eta = token * lr_eta  # [B, H, k, k]: token i's scale times token j's rate
        last = eta[:, :, -1, :, None]
        ln_w = self.ttt_norm_weight.reshape(self.num_heads, 1, f)
        ln_b = self.ttt_norm_bias.reshape(self.num_heads, 1, f)
        target = XV - XK
        causal = torch.tril(eta)
        new = {}
        if self.config.layer_type == "linear":
            Z1 = XK @ w["W1"] + w["b1"]
            g1 = layer_norm_l2_grad(Z1, target, ln_w, ln_b)
            b1_bar = w["b1"] - causal @ g1
            Z = XQ @ w["W1"] - (eta * torch.tril(XQ @ XK.transpose(-2, -1))) @ g1 + b1_bar
            new["W1"] = w["W1"] - (last * XK).transpose(-1, -2) @ g1
            new["b1"] = w["b1"] - torch.sum(last * g1, dim=-2, keepdim=True)
        else:
            Z1 = XK @ w["W1"] + w["b1"]
            H1 = F.gelu(Z1, approximate="tanh")
            Z2 = H1 @ w["W2"] + w["b2"]
            g2 = layer_norm_l2_grad(Z2, target, ln_w, ln_b)
            g1 = g2 @ w["W2"].transpose(-2, -1) * gelu_tanh_grad(Z1)
            b1_bar = w["b1"] - causal @ g1
            Z1_bar = XQ @ w["W1"] - (eta * torch.tril(XQ @ XK.transpose(-2, -1))) @ g1 + b1_bar
            H1_bar = F.gelu(Z1_bar, approximate="tanh")
            b2_bar = w["b2"] - causal @ g2
            Z = H1_bar @ w["W2"] - (eta * torch.tril(H1_bar @ H1.transpose(-2, -1))) @ g2 + b2_bar
            new["W1"] = w["W1"] - (last * XK).transpose(-1, -2) @ g1
            new["b1"] = w["b1"] - torch.sum(last * g1, dim=-2, keepdim=True)
            new["W2"] = w["W2"] - (last * H1).transpose(-1, -2) @ g2
            new["b2"] = w["b2"] - torch.sum(last * g2, dim=-2, keepdim=True)
        return XQ + layer_norm(Z, ln_w, ln_b), new

    def _scan(self, XQ, XK, XV, X, w):
        """Mini-batch after mini-batch from w; a partial one at the end does not move them."""
        K, L = self.config.mini_batch_size, XQ.shape[2]
        outputs = []
        for start in range(0, L, K):
            end = min(start + K, L)
            out, after = self._step(XQ[:, :, start:end], XK[:, :, start:end], XV[:, :, start:end], X[:, start:end], w)
            outputs.append(out)
            if end - start == K:
                w = after
        return torch.cat(outputs, dim=2), w

    def _finish(self, X, inner):
        B, L, C = X.shape
        out = self.post_norm(inner.transpose(1, 2).reshape(B, L, C))
        if self.config.use_gate:
            out = F.gelu(self.g_proj(X), approximate="tanh") * out
        return self.o_proj(out)

    def forward(self, hidden_states: torch.Tensor, position_ids: torch.Tensor) -> torch.Tensor:
        XQ, XK, XV, _ = self._project(hidden_states, position_ids)
        inner, _ = self._scan(XQ, XK, XV, hidden_states, self._initial_weights(hidden_states.shape[0]))
        return self._finish(hidden_states, inner)

    def forward_stream(self, hidden_states, position_ids, state):
        """One call of a stream: its tokens continue the positions and the fast weights of the
        calls before. The tokens since the last mini-batch boundary are kept (projected and
        rotated) and their partial mini-batch is learned again with each call."""
        if state is None:
            state = StreamState(self._initial_weights(hidden_states.shape[0]))
        XQ, XK, XV, state.window = self._project(hidden_states, position_ids,
                                                 state.window if state.calls > 0 else None)
        X = hidden_states
        if state.pending is not None:
            XQ, XK, XV, X = (torch.cat([a, b], dim=2 if a.dim() == 4 else 1)
                             for a, b in zip(state.pending, (XQ, XK, XV, X)))
        inner, state.weights = self._scan(XQ, XK, XV, X, state.weights)
        K, total = self.config.mini_batch_size, X.shape[1]
        kept = total % K
        state.pending = (XQ[:, :, total - kept:], XK[:, :, total - kept:], XV[:, :, total - kept:],
                         X[:, total - kept:]) if kept else None
        state.calls += 1
        n = hidden_states.shape[1]
        return self._finish(hidden_states, inner[:, :, -n:]), state


class AudioTTTBlock(nn.Module):
    """The model's block around the layer (norm, residual); the port under test is `.ttt`."""

    def __init__(self, config: TTTConfig):
        super().__init__()
        self.norm = nn.LayerNorm(config.hidden_size)
        self.ttt = AudioTTT(config)

    def forward(self, x, position_ids):
        return x + self.ttt(self.norm(x), position_ids)


# ---- the factories conform calls -------------------------------------------------------------

def _layer(config: dict, *incidents: str) -> AudioTTT:
    fields = {k: config[k] for k in TTTConfig.__dataclass_fields__ if k in config and k != "incidents"}
    return AudioTTTBlock(TTTConfig(**fields, incidents=frozenset(incidents))).ttt


def make_layer(config):
    return _layer(config)


def with_cpu_rope_frequencies(config):
    return _layer(config, "cpu_rope_frequencies")


def with_complex_rope_in_bf16(config):
    return _layer(config, "complex_rope_in_bf16")


def with_use_rope_ignored(config):
    return _layer(config, "use_rope_ignored")


def with_positions_not_reduced(config):
    return _layer(config, "positions_not_reduced")


def with_rope_on_v(config):
    return _layer(config, "rope_on_v")

