#pragma once
// The TTT layer: TTTBase (projections, RoPE, learning-rate gate, mini-batch driver,
// post-norm, gate, output projection) and its two inner learners, TTT-Linear and TTT-MLP.
// A port of ttt-lm-pytorch ttt.py (TTTBase/TTTLinear/TTTMLP) at commit cd831db.
//
// Parameters are registered under the reference's state_dict() names, so a state dict
// written by the reference loads by name. Device- and dtype-generic: the module follows
// .to(device, dtype); every intermediate is created on the input's device. No host/device
// synchronisation happens in forward, so it also runs on the "meta" device.

#include <ttt/options.h>
#include <ttt/rope.h>

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ttt {

class TTTCache;

// The inner model's weights for one batch, keyed like the reference's params dict:
// "W1_states", "b1_states", "W1_grad", "b1_grad" (+ "W2_*", "b2_*" for TTT-MLP), each with
// a leading batch dimension. *_grad carry the accumulated, not yet applied, update of a
// partial mini-batch (decode); they are zero at a mini-batch boundary.
using FastWeights = std::map<std::string, torch::Tensor>;

// Per-mini-batch inputs of the inner loop, [B, H, N, K, f] with N mini-batches of K tokens.
struct MiniBatchInputs {
  torch::Tensor XQ, XK, XV;
  torch::Tensor eta;         // [B, H, N, K, K] token_eta * ttt_lr_eta
  torch::Tensor token_eta;   // [B, H, N, K, 1]
  torch::Tensor ttt_lr_eta;  // [B, H, N, 1, K]
  // false when the caller keeps only the gradients this call carries on (a decode token that
  // does not complete its mini-batch: the weights stay at the last boundary), so the primal
  // form may skip the last token's weights and hand back the ones it started from.
  bool keeps_last_weights = true;
};

class TTTBaseImpl : public torch::nn::Module {
 public:
  explicit TTTBaseImpl(TTTOptions options);
  ~TTTBaseImpl() override = default;

  // hidden_states [B, L, C]; position_ids int64 [1, L] or [B, L] (absolute positions, any
  // start). Without a cache: prefill. With one: the reference's cached call (a prefill into
  // a fresh cache, or decode); the caller advances the cache offset afterwards (see
  // ttt::forward_cached in cache.h), as the reference's model does after all layers.
  torch::Tensor forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                        TTTCache* cache = nullptr);

  virtual LayerType layer_type() const = 0;
  // "W1", "b1" (+ "W2", "b2"): the inner model's parameters, also the FastWeights stems.
  virtual std::vector<std::string> fast_weight_names() const = 0;
  // The inner model's initial weights tiled over the batch, zero gradients.
  FastWeights initial_fast_weights(int64_t batch_size) const;

  // The inner layer norm's statistics on rows x [..., f], as forward computes them: x - mean
  // and sqrt(var + eps) (for the verdict on a low-precision layer's own arithmetic).
  std::pair<torch::Tensor, torch::Tensor> inner_norm_statistics(const torch::Tensor& x) const {
    return norm_statistics(x);
  }

  // The RoPE step on its own, as forward applies it (for the suites' invariants):
  // the tables for these absolute positions, and Q, K, V [B, H, L, f] after rotation.
  RopeTables rope_tables_for(const torch::Tensor& position_ids, const torch::Tensor& like) const;
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> rotate_qkv(torch::Tensor XQ, torch::Tensor XK,
                                                                      torch::Tensor XV,
                                                                      const torch::Tensor& position_ids) const;
  // Q, K, V [B, H, L, f] of a prefill, projected and rotated exactly as forward does (the
  // harness judges the rotated Q and K of a fixture that stores them).
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> rotated_qkv(const torch::Tensor& hidden_states,
                                                                       const torch::Tensor& position_ids);

  // Makes RoPE read these residue tables, [mini_batch_size, head_dim/2] cos and sin (pair i
  // of residue r at [r, i]), instead of computing them. The harness pins a golden's own
  // table: float32 cos/sin differ by an ulp between torch builds and devices, and a float64
  // golden made elsewhere is only comparable at float64 precision with its own table.
  void pin_rope_tables(const torch::Tensor& cos, const torch::Tensor& sin) { rope_cache_.pin(cos, sin); }

  // use_rope may be flipped on a live module; the shape-defining options may not.
  TTTOptions options;

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  torch::nn::Linear g_proj{nullptr};
  torch::nn::Conv1d conv_q{nullptr}, conv_k{nullptr};
  torch::nn::LayerNorm post_norm{nullptr};
  torch::Tensor learnable_ttt_lr_weight;  // [H, 1, C]
  torch::Tensor learnable_ttt_lr_bias;    // [H, 1]
  torch::Tensor learnable_token_idx;      // [K]
  torch::Tensor ttt_norm_weight;          // [H, f]
  torch::Tensor ttt_norm_bias;            // [H, f]
  torch::Tensor token_idx;                // buffer [K]: 1/(1..K), computed in float32

 protected:
  // Seams: one step of the reference's forward each. Production code overrides none of
  // them; the mutation suite derives deliberately broken layers from them.

  // Q, K, V projections [B, L, C] (shared Q/K projection + causal convs when share_qk).
  virtual std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> project_qkv(
      const torch::Tensor& hidden_states, TTTCache* cache);
  // Positions RoPE sees: position_ids % mini_batch_size (Python modulo, never negative).
  virtual torch::Tensor rope_positions(const torch::Tensor& position_ids) const;
  // cos/sin for those positions, angles in float32, on `like`'s device and in its dtype.
  virtual RopeTables rope_tables(const torch::Tensor& positions, const torch::Tensor& like) const;
  // Rotates XQ and XK ([B, H, L, f]) when options.use_rope(); never XV.
  virtual void apply_rope(torch::Tensor& XQ, torch::Tensor& XK, torch::Tensor& XV,
                          const torch::Tensor& position_ids) const;

  // The inner loop's layer-norm statistics over the last dim: x - mean and sqrt(var + eps),
  // as the reference's ln_fwd / ln_fused_l2_bwd compute them.
  virtual std::pair<torch::Tensor, torch::Tensor> norm_statistics(const torch::Tensor& x) const;

  // The inner loop over N mini-batches of mini_batch_size tokens, starting from `init`.
  // Returns the TTT output [B, N*K, C] (before post-norm) and the final fast weights.
  // dual_form: the reference's fast prefill form; otherwise the primal form that also
  // returns the accumulated gradients (partial mini-batches with a cache).
  virtual std::pair<torch::Tensor, FastWeights> inner_loop(const MiniBatchInputs& inputs,
                                                           int64_t mini_batch_size,
                                                           const FastWeights& init,
                                                           bool dual_form) = 0;

  MiniBatchInputs mini_batch_inputs(const torch::Tensor& XQ, const torch::Tensor& XK,
                                    const torch::Tensor& XV, const torch::Tensor& X,
                                    int64_t mini_batch_size, int64_t token_offset) const;
  // ttt_norm weight and bias reshaped to [H, 1, f].
  std::pair<torch::Tensor, torch::Tensor> ttt_norm_params() const;

 private:
  void check_inputs(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) const;
  // forward over one span of tokens (the whole call, or one prefill chunk) from `weights`,
  // which it leaves as the span ends them: [B, L, C] -> [B, L, C].
  torch::Tensor forward_span(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                             TTTCache* cache, FastWeights& weights);
  // Projection, [B, L, C] -> [B, H, L, f], and RoPE: the first steps of forward.
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> heads_qkv(const torch::Tensor& hidden_states,
                                                                     const torch::Tensor& position_ids,
                                                                     TTTCache* cache);

  RopeTableCache rope_cache_;
  TTTOptions built_with_;  // the options the parameters were shaped by
};

class TTTLinearImpl : public TTTBaseImpl {
 public:
  explicit TTTLinearImpl(TTTOptions options);
  LayerType layer_type() const override { return LayerType::Linear; }
  std::vector<std::string> fast_weight_names() const override { return {"W1", "b1"}; }

  torch::Tensor W1;  // [H, f, f]
  torch::Tensor b1;  // [H, 1, f]

 protected:
  std::pair<torch::Tensor, FastWeights> inner_loop(const MiniBatchInputs& inputs,
                                                   int64_t mini_batch_size,
                                                   const FastWeights& init,
                                                   bool dual_form) override;
};

class TTTMLPImpl : public TTTBaseImpl {
 public:
  explicit TTTMLPImpl(TTTOptions options);
  LayerType layer_type() const override { return LayerType::MLP; }
  std::vector<std::string> fast_weight_names() const override { return {"W1", "b1", "W2", "b2"}; }

  torch::Tensor W1;  // [H, f, 4f]
  torch::Tensor b1;  // [H, 1, 4f]
  torch::Tensor W2;  // [H, 4f, f]
  torch::Tensor b2;  // [H, 1, f]

 protected:
  std::pair<torch::Tensor, FastWeights> inner_loop(const MiniBatchInputs& inputs,
                                                   int64_t mini_batch_size,
                                                   const FastWeights& init,
                                                   bool dual_form) override;
};

TORCH_MODULE(TTTLinear);
TORCH_MODULE(TTTMLP);

// A layer of either type behind its common base (what the harness and suites hold).
std::shared_ptr<TTTBaseImpl> make_layer(LayerType type, const TTTOptions& options);

}  // namespace ttt
