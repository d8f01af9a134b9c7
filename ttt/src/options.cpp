#include <ttt/options.h>

#include <c10/util/Exception.h>

#include <cmath>

namespace ttt {

std::string to_string(LayerType type) { return type == LayerType::Linear ? "linear" : "mlp"; }

LayerType layer_type_from_string(const std::string& name) {
  if (name == "linear") return LayerType::Linear;
  if (name == "mlp") return LayerType::MLP;
  TORCH_CHECK(false, "unknown TTT layer type '", name, "' (expected 'linear' or 'mlp')");
}

void TTTOptions::validate() const {
  TORCH_CHECK(hidden_size_ > 0, "TTTOptions: hidden_size must be positive, got ", hidden_size_);
  TORCH_CHECK(num_attention_heads_ > 0, "TTTOptions: num_attention_heads must be positive, got ",
              num_attention_heads_);
  TORCH_CHECK(hidden_size_ % num_attention_heads_ == 0, "TTTOptions: hidden_size ", hidden_size_,
              " is not divisible by num_attention_heads ", num_attention_heads_);
  TORCH_CHECK(head_dim() % 2 == 0, "TTTOptions: head_dim ", head_dim(),
              " must be even (RoPE rotates pairs of features)");
  TORCH_CHECK(mini_batch_size_ > 0, "TTTOptions: mini_batch_size must be positive, got ",
              mini_batch_size_);
  TORCH_CHECK(std::isfinite(rope_theta_) && rope_theta_ > 0,
              "TTTOptions: rope_theta must be finite and positive, got ", rope_theta_);
  TORCH_CHECK(std::isfinite(ttt_base_lr_), "TTTOptions: ttt_base_lr must be finite, got ",
              ttt_base_lr_);
  TORCH_CHECK(prefill_chunk_tokens_ >= 0, "TTTOptions: prefill_chunk_tokens must be 0 (no chunks) or positive, got ",
              prefill_chunk_tokens_);
  TORCH_CHECK(conv_kernel_ > 0, "TTTOptions: conv_kernel must be positive, got ", conv_kernel_);
}

}  // namespace ttt
