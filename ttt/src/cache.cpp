#include <ttt/cache.h>

namespace ttt {

TTTCache::TTTCache(const TTTBaseImpl& layer, int64_t batch_size)
    : batch_size_(batch_size),
      mini_batch_size_(layer.options.mini_batch_size()),
      stems_(layer.fast_weight_names()) {
  TORCH_CHECK(batch_size >= 1, "TTTCache: batch_size must be positive, got ", batch_size);
  fast_weights_ = layer.initial_fast_weights(batch_size);
  if (layer.options.share_qk()) {
    const auto device = layer.q_proj->weight.device();
    const std::vector<int64_t> shape{batch_size, layer.options.hidden_size(), layer.options.conv_kernel()};
    conv_states_["conv_q"] = torch::zeros(shape, torch::dtype(torch::kFloat32).device(device));
    conv_states_["conv_k"] = torch::zeros(shape, torch::dtype(torch::kFloat32).device(device));
  }
}

void TTTCache::advance(int64_t tokens) {
  TORCH_CHECK(tokens >= 0, "TTTCache: cannot advance by ", tokens, " tokens");
  seqlen_offset_ += tokens;
}

torch::Tensor& TTTCache::conv_state(const std::string& name) {
  auto it = conv_states_.find(name);
  TORCH_CHECK(it != conv_states_.end(), "TTTCache: no conv state '", name,
              "' (conv states exist only for share_qk layers: conv_q, conv_k)");
  return it->second;
}

std::map<std::string, torch::Tensor> TTTCache::tensors() const {
  std::map<std::string, torch::Tensor> all(fast_weights_.begin(), fast_weights_.end());
  all.insert(conv_states_.begin(), conv_states_.end());
  return all;
}

void TTTCache::restore(const std::map<std::string, torch::Tensor>& tensors, int64_t seqlen_offset) {
  TORCH_CHECK(seqlen_offset >= 0, "TTTCache::restore: negative sequence offset ", seqlen_offset);
  const auto current = this->tensors();
  TORCH_CHECK(tensors.size() == current.size(), "TTTCache::restore: expected ", current.size(),
              " tensors, got ", tensors.size());
  for (const auto& [name, mine] : current) {
    auto it = tensors.find(name);
    TORCH_CHECK(it != tensors.end(), "TTTCache::restore: missing tensor '", name, "'");
    TORCH_CHECK(it->second.sizes() == mine.sizes(), "TTTCache::restore: tensor '", name, "' has shape ",
                it->second.sizes(), ", expected ", mine.sizes());
  }
  for (const auto& [name, mine] : current) {
    const auto& value = tensors.at(name).to(mine.device(), mine.scalar_type());
    if (fast_weights_.count(name)) {
      fast_weights_[name] = value;
    } else {
      conv_states_[name] = value;
    }
  }
  seqlen_offset_ = seqlen_offset;
}

void TTTCache::check_call(int64_t tokens) const {
  TORCH_CHECK(tokens >= 1, "TTTCache: a cached call needs at least one token");
  // The reference only learns from a partial mini-batch one token at a time: a longer call
  // that starts inside a mini-batch would drop the carried gradients (dual form) or raise.
  TORCH_CHECK(tokens == 1 || seqlen_offset_ % mini_batch_size_ == 0,
              "TTTCache: a multi-token call (", tokens, " tokens) must start on a mini-batch boundary, "
              "but the cache is at offset ", seqlen_offset_, " (", seqlen_offset_ % mini_batch_size_,
              " tokens into a mini-batch of ", mini_batch_size_, "); feed single tokens until offset ",
              (seqlen_offset_ / mini_batch_size_ + 1) * mini_batch_size_);
}

void TTTCache::update(const FastWeights& last, int64_t tokens) {
  TORCH_CHECK(tokens % mini_batch_size_ == 0 || tokens < mini_batch_size_, "TTTCache: an inner-loop call of ",
              tokens, " tokens is neither whole mini-batches nor a partial one");
  const bool boundary = ends_on_boundary(tokens);
  for (const auto& stem : stems_) {
    if (boundary) {  // the weights move on, nothing is left to carry
      fast_weights_[stem + "_states"] = last.at(stem + "_states");
      fast_weights_[stem + "_grad"] = torch::zeros_like(last.at(stem + "_grad"));
    } else {  // the weights stay at the last boundary, the gradient keeps accumulating
      fast_weights_[stem + "_grad"] = last.at(stem + "_grad");
    }
  }
}

torch::Tensor forward_cached(TTTBaseImpl& layer, TTTCache& cache, const torch::Tensor& hidden_states) {
  TORCH_CHECK(hidden_states.dim() == 3, "forward_cached: hidden_states must be [B, L, C], got ",
              hidden_states.sizes());
  const auto L = hidden_states.size(1);
  const auto positions =
      torch::arange(cache.seqlen_offset(), cache.seqlen_offset() + L,
                    torch::dtype(torch::kInt64).device(hidden_states.device()))
          .unsqueeze(0);
  auto out = layer.forward(hidden_states, positions, &cache);
  cache.advance(L);
  return out;
}

}  // namespace ttt
