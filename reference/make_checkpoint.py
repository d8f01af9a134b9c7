#!/usr/bin/env python3
"""Trains a small upstream TTTForCausalLM at the 125M model's layer width and saves it with
save_pretrained: the checkpoint the real-weight goldens come from (no hub download is
reachable from the machines this project is built on).

  .venv/bin/python reference/make_checkpoint.py --layer-type linear --out out/checkpoints/ttt-w768-linear

The model: upstream's TTTForCausalLM with the 125m entry of TTT_STANDARD_CONFIGS for the
layer (hidden 768, 12 heads, head_dim 64, intermediate 2048, mini-batch 16), but 2 layers
and a vocabulary of 64, so that it trains on two CPU cores in minutes. The task: next-token
prediction on sequences from a fixed random Markov chain over the 64 tokens, each token with
two likely successors (probabilities 0.7 and 0.25, the rest 0.05 spread over the others): a
model that learned the chain reaches the chain's entropy (0.95 nats per token for seed 0)
from log(64) = 4.16 at the start, so the loss falls by a measurable amount. Deterministic: one
thread, every random draw seeded (the same build writes the same checkpoint bit for bit).
Writes DIR/config.json and DIR/model.safetensors, and DIR/training.json (the loss curve).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tttref.upstream import ReferenceError, load_reference  # noqa: E402

VOCAB = 64
LAYERS = 2


def model_config(module, layer_type: str):
    width = module.TTT_STANDARD_CONFIGS["125m"]
    return module.TTTConfig(vocab_size=VOCAB, hidden_size=width["hidden_size"],
                            intermediate_size=width["intermediate_size"], num_hidden_layers=LAYERS,
                            num_attention_heads=width["num_attention_heads"], ttt_layer_type=layer_type,
                            mini_batch_size=16, max_position_embeddings=2048, use_cache=False,
                            bos_token_id=0, eos_token_id=1, pad_token_id=None)


def markov_chain(seed: int) -> torch.Tensor:
    """[VOCAB, VOCAB] transition probabilities: two likely successors per token."""
    g = torch.Generator().manual_seed(seed)
    probs = torch.full((VOCAB, VOCAB), 0.05 / (VOCAB - 2), dtype=torch.float64)
    for token in range(VOCAB):
        first, second = torch.randperm(VOCAB, generator=g)[:2].tolist()
        probs[token, first], probs[token, second] = 0.7, 0.25
    return probs


def chain_entropy(probs: torch.Tensor) -> float:
    """Nats per token of the chain at its stationary distribution: the loss a perfect model reaches."""
    stationary = torch.full((VOCAB,), 1.0 / VOCAB, dtype=torch.float64)
    for _ in range(200):
        stationary = stationary @ probs
    return float(-(stationary[:, None] * probs * probs.log()).sum())


def sample(probs: torch.Tensor, batch: int, length: int, g: torch.Generator) -> torch.Tensor:
    tokens = torch.empty((batch, length), dtype=torch.long)
    tokens[:, 0] = torch.randint(0, VOCAB, (batch,), generator=g)
    for t in range(1, length):
        tokens[:, t] = torch.multinomial(probs[tokens[:, t - 1]], 1, generator=g).squeeze(1)
    return tokens


def train(module, layer_type: str, steps: int, batch: int, length: int, seed: int, lr: float, log_every: int):
    torch.manual_seed(seed)
    model = module.TTTForCausalLM(model_config(module, layer_type))
    probs = markov_chain(seed)
    g = torch.Generator().manual_seed(seed + 1)
    held_out = sample(probs, 8, length, torch.Generator().manual_seed(seed + 2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    curve = []

    def held_out_loss() -> float:
        model.eval()
        with torch.no_grad():
            loss = float(model(input_ids=held_out, labels=held_out).loss)
        model.train()
        return loss

    started = time.monotonic()
    curve.append({"step": 0, "held_out_loss": held_out_loss()})
    print(f"step 0: held-out loss {curve[0]['held_out_loss']:.3f} (log {VOCAB} = {math.log(VOCAB):.3f})", flush=True)
    model.train()
    for step in range(1, steps + 1):
        tokens = sample(probs, batch, length, g)
        loss = model(input_ids=tokens, labels=tokens).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % log_every == 0 or step == steps:
            point = {"step": step, "train_loss": float(loss), "held_out_loss": held_out_loss(),
                     "seconds": round(time.monotonic() - started, 1)}
            curve.append(point)
            print(f"step {step}: train {point['train_loss']:.3f}, held-out {point['held_out_loss']:.3f} "
                  f"({point['seconds']} s)", flush=True)
    return model.eval(), curve, chain_entropy(probs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layer-type", choices=("linear", "mlp"), required=True)
    p.add_argument("--out", type=Path, required=True, help="the save_pretrained folder to write")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--length", type=int, default=64, help="tokens per training sequence (whole mini-batches)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--reference", type=Path, default=None, help="the upstream checkout (default: upstream/ttt-lm-pytorch)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    try:
        ref = load_reference(args.reference)
    except ReferenceError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    model, curve, floor = train(ref.module, args.layer_type, args.steps, args.batch, args.length, args.seed, args.lr,
                                args.log_every)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out, safe_serialization=True)
    first, last = curve[0]["held_out_loss"], curve[-1]["held_out_loss"]
    record = {"layer_type": args.layer_type, "reference_commit": ref.commit, "torch_version": torch.__version__,
              "steps": args.steps, "batch": args.batch, "length": args.length, "lr": args.lr, "seed": args.seed,
              "vocab_size": VOCAB, "layers": LAYERS, "chain_entropy_nats": floor, "curve": curve}
    (args.out / "training.json").write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}: held-out loss {first:.3f} -> {last:.3f} (chain entropy {floor:.3f}, "
          f"log {VOCAB} = {math.log(VOCAB):.3f})")
    return 0 if last < first - 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
