#pragma once
// Decode state of one TTT layer, with the reference's TTTCache update rules:
//   - a call whose length is a multiple of mini_batch_size ends on a mini-batch boundary:
//     keep the last fast weights, zero the carried gradients;
//   - a shorter call (a remainder after the full mini-batches, or one decoded token) keeps
//     the weights of the last boundary and carries the accumulated gradients, unless it
//     completes a mini-batch (then as above);
//   - a multi-token call that starts inside a mini-batch is refused (the reference raises
//     "fractional update not supported yet" or silently misbehaves).
// One extension: with share_qk, a multi-token call after the prefill continues the causal
// convolutions from the cached windows (the reference's conv cache handles one token only),
// so share_qk layers stream in chunks like the others.

#include <ttt/layer.h>

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

namespace ttt {

class TTTCache {
 public:
  // Tiles the layer's initial inner weights over batch_size, zero gradients, zero conv
  // states, offset 0, on the layer's device and in its dtype.
  TTTCache(const TTTBaseImpl& layer, int64_t batch_size);

  int64_t seqlen_offset() const { return seqlen_offset_; }
  // Advance after each call by its length (what the reference's TTTModel does).
  void advance(int64_t tokens);
  int64_t batch_size() const { return batch_size_; }
  int64_t mini_batch_size() const { return mini_batch_size_; }

  // "W1_states", "b1_states", "W1_grad", "b1_grad" (+ W2/b2 for TTT-MLP).
  FastWeights& fast_weights() { return fast_weights_; }
  const FastWeights& fast_weights() const { return fast_weights_; }

  // share_qk only: the last conv_kernel inputs of conv_q / conv_k, [B, C, conv_kernel].
  // Kept in float32 whatever the layer dtype, as the reference's TTTCache allocates them
  // (torch.zeros in the default dtype): float64 decode matches the reference only so.
  torch::Tensor& conv_state(const std::string& name);  // "conv_q" or "conv_k"
  bool has_conv_states() const { return !conv_states_.empty(); }

  // Everything that defines the cache, by name, for saving and restoring (harness/cache_io):
  // the FastWeights entries, "conv_q"/"conv_k" when present. The offset is kept apart.
  std::map<std::string, torch::Tensor> tensors() const;
  // Replaces the contents (shapes and names must match this cache's) and the offset.
  void restore(const std::map<std::string, torch::Tensor>& tensors, int64_t seqlen_offset);

  // The reference's TTTCache.update for one inner-loop call over `tokens` tokens, whose
  // final fast weights are `last`: their weights when the call ends on a mini-batch boundary
  // (ends_on_boundary), otherwise only their carried gradients.
  void update(const FastWeights& last, int64_t tokens);
  // Whether an inner-loop call over `tokens` tokens at the current offset ends on a mini-batch
  // boundary, so that update keeps its final weights.
  bool ends_on_boundary(int64_t tokens) const {
    return tokens % mini_batch_size_ == 0 || (tokens + seqlen_offset_) % mini_batch_size_ == 0;
  }
  // TORCH_CHECKs that a call of `tokens` tokens at the current offset is supported.
  void check_call(int64_t tokens) const;

 private:
  int64_t batch_size_;
  int64_t mini_batch_size_;
  int64_t seqlen_offset_ = 0;
  std::vector<std::string> stems_;
  FastWeights fast_weights_;
  std::map<std::string, torch::Tensor> conv_states_;
};

// One cached call the way the reference's TTTModel makes it: positions
// offset .. offset+L-1, then the offset advances by L. Prefill and decode alike.
torch::Tensor forward_cached(TTTBaseImpl& layer, TTTCache& cache, const torch::Tensor& hidden_states);

}  // namespace ttt
