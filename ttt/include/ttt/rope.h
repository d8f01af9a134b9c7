#pragma once
// Rotary position embedding exactly as the reference applies it inside the TTT layer:
//   cos, sin = rotary_emb(XV, position_ids % mini_batch_size)   # angles in float32
//   XQ, XK = undo_permute_qk(apply_rotary_pos_emb(permute_qk(XQ, XK), cos, sin))
// permute_qk / rotate_half / undo_permute_qk together rotate the interleaved pairs
// (x[2i], x[2i+1]) by angle position * theta^(-2i/head_dim): the JAX (EasyLM) layout.
// We rotate the pairs directly, which is bit-identical and needs no permutation copies.

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

namespace ttt {

// cos and sin per (batch row of position_ids, token, pair): [P, L, head_dim/2], in the
// dtype of the tensor they rotate and on its device.
struct RopeTables {
  torch::Tensor cos;
  torch::Tensor sin;
};

// inv_freq[i] = 1 / theta^(2i/head_dim), computed in float32 as the reference does.
torch::Tensor rope_inverse_frequencies(int64_t head_dim, double theta, const torch::Device& device);

// Rotates the interleaved pairs of x [B, H, L, head_dim] by the tables (P == 1 or P == B).
// Arithmetic happens in x's dtype, as in the reference (the tables are already cast to it).
torch::Tensor rope_rotate(const torch::Tensor& x, const RopeTables& tables);

// Residue tables: cos/sin of r * inv_freq for r in [0, mini_batch_size), angles in float32,
// cast to the requested dtype, cached per (device, dtype). Positions reduced modulo
// mini_batch_size index into them, so no angle is ever larger than the mini-batch.
class RopeTableCache {
 public:
  RopeTableCache(int64_t head_dim, int64_t mini_batch_size, double theta);

  // residues: int64 [P, L] in [0, mini_batch_size), on the device the tables must live on.
  RopeTables lookup(const torch::Tensor& residues, torch::ScalarType dtype) const;

  // Uses the given residue tables, [mini_batch_size, head_dim/2] each (any floating dtype,
  // any device), instead of computing them; lookup casts them to the dtype and device asked
  // for. For judging a golden made on another torch build or device: float32 cos/sin differ
  // by an ulp between those, and the reference's own table removes that from the comparison.
  void pin(const torch::Tensor& cos, const torch::Tensor& sin);

  int64_t head_dim() const { return head_dim_; }
  int64_t mini_batch_size() const { return mini_batch_size_; }
  double theta() const { return theta_; }

 private:
  // The [mini_batch_size, head_dim/2] tables on `device` in `dtype` (caller holds mutex_).
  std::pair<torch::Tensor, torch::Tensor> build(const torch::Device& device, torch::ScalarType dtype) const;

  int64_t head_dim_;
  int64_t mini_batch_size_;
  double theta_;
  mutable std::mutex mutex_;
  // key: (device type, device index, dtype) -> [mini_batch_size, head_dim/2] cos and sin
  // (from the pinned tables when pinned_ holds them)
  std::pair<torch::Tensor, torch::Tensor> pinned_;
  mutable std::map<std::tuple<int, int, int>, std::pair<torch::Tensor, torch::Tensor>> tables_;
};

}  // namespace ttt
