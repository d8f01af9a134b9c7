#pragma once
// Configuration of one TTT layer: the subset of the reference's TTTConfig
// (ttt-lm-pytorch ttt.py) that changes what the layer computes.

#include <torch/arg.h>

#include <cstdint>
#include <string>

namespace ttt {

enum class LayerType { Linear, MLP };

std::string to_string(LayerType type);
// Accepts "linear" and "mlp" (the reference's ttt_layer_type and the fixture's layer_type).
LayerType layer_type_from_string(const std::string& name);

struct TTTOptions {
  TTTOptions(int64_t hidden_size, int64_t num_attention_heads)
      : hidden_size_(hidden_size), num_attention_heads_(num_attention_heads) {}

  TORCH_ARG(int64_t, hidden_size);
  TORCH_ARG(int64_t, num_attention_heads);
  // Tokens per inner-loop mini-batch; RoPE positions are reduced modulo this.
  TORCH_ARG(int64_t, mini_batch_size) = 16;
  TORCH_ARG(double, rope_theta) = 10000.0;
  TORCH_ARG(double, ttt_base_lr) = 1.0;
  // Multiply the TTT output by gelu_tanh(g_proj(x)) before o_proj.
  TORCH_ARG(bool, use_gate) = false;
  // One projection for Q and K, followed by two causal depthwise convolutions.
  TORCH_ARG(bool, share_qk) = false;
  TORCH_ARG(int64_t, conv_kernel) = 4;
  // The reference always rotates; false skips the rotation of Q and K, nothing else changes.
  // Read on every forward call, so flipping it on a live module takes effect at once.
  TORCH_ARG(bool, use_rope) = true;
  // A prefill without a cache longer than this many tokens runs chunk by chunk, each chunk
  // starting from the fast weights the one before it ended with: the same sums as one pass
  // (every chunk but the last is whole mini-batches), with per-token time and working memory
  // that no longer grow with L, because each stage's operands stay in cache. Rounded down to
  // a multiple of mini_batch_size (at least one mini-batch); 0: the whole sequence at once.
  // Not used with share_qk (its causal convolutions would need the previous chunk's inputs).
  TORCH_ARG(int64_t, prefill_chunk_tokens) = 2048;
  // How, not what: the dual form of float32/float64 CPU calls that record no gradient runs
  // as one fused pass per (batch row, head) over raw BLAS products (ttt/src/fused/), the
  // others on ATen operators. false keeps every call on the ATen path, the reference the
  // fused pass is tested against; the two agree to about 1e-15 in float64. May be flipped
  // on a live module.
  TORCH_ARG(bool, fused_cpu_scan) = true;

 public:  // TORCH_ARG leaves the section private
  int64_t head_dim() const { return hidden_size_ / num_attention_heads_; }

  // TORCH_CHECKs every precondition, naming the option and its value.
  void validate() const;
};

}  // namespace ttt
