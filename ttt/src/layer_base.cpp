// TTTBase of the reference: everything around the inner learner.
#include <ttt/cache.h>
#include <ttt/layer.h>

#include "inner_math.h"

#include <algorithm>

namespace ttt {
namespace F = torch::nn::functional;

namespace {

TTTOptions validated(TTTOptions options) {
  options.validate();
  return options;
}

bool same_shape_options(const TTTOptions& a, const TTTOptions& b) {
  return a.hidden_size() == b.hidden_size() && a.num_attention_heads() == b.num_attention_heads() &&
         a.mini_batch_size() == b.mini_batch_size() && a.rope_theta() == b.rope_theta() &&
         a.use_gate() == b.use_gate() && a.share_qk() == b.share_qk() &&
         a.conv_kernel() == b.conv_kernel();
}

torch::nn::Linear make_projection(int64_t in, int64_t out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

// Causal depthwise convolution of the reference (padding kernel-1, output cut to L).
torch::nn::Conv1d make_causal_conv(int64_t channels, int64_t kernel) {
  return torch::nn::Conv1d(
      torch::nn::Conv1dOptions(channels, channels, kernel).groups(channels).padding(kernel - 1).bias(true));
}

// One decode step of a causal depthwise conv from its cached window (the reference's
// non-causal_conv1d path): shift the window, append the new input, dot with the kernel.
torch::Tensor conv_decode_step(torch::Tensor& window, const torch::Tensor& x_t, torch::nn::Conv1d& conv) {
  auto shifted = torch::roll(window, /*shifts=*/-1, /*dims=*/-1);
  shifted.select(-1, -1).copy_(x_t);
  window = shifted;
  auto out = torch::sum(shifted * conv->weight.select(1, 0), -1);  // float32 window * weight
  out += conv->bias;
  return out.unsqueeze(-1);  // [B, C, 1]
}

// A chunk of several tokens after the prefill: the reference's conv cache only advances one
// token at a time (it reads xq[:, :, 0]); we continue the causal convolution from the cached
// window instead, so share_qk layers stream in chunks too.
torch::Tensor conv_continue(torch::Tensor& window, const torch::Tensor& x, torch::nn::Conv1d& conv, int64_t kernel) {
  const auto history = window.slice(-1, 1).to(x.scalar_type());  // the last kernel-1 inputs
  const auto full = torch::cat({history, x}, -1);
  window = full.slice(-1, full.size(-1) - kernel).to(torch::kFloat32);
  namespace F = torch::nn::functional;
  return F::conv1d(full, conv->weight, F::Conv1dFuncOptions().bias(conv->bias).groups(x.size(1)));
}

// The window the reference caches after a prefill: the last conv_kernel inputs, zero-padded
// on the left (F.pad with a negative width crops).
torch::Tensor conv_prefill_window(const torch::Tensor& x, int64_t kernel) {
  return torch::constant_pad_nd(x, {kernel - x.size(-1), 0}).to(torch::kFloat32);
}

}  // namespace

TTTBaseImpl::TTTBaseImpl(TTTOptions opts)
    // Validated first: the members after it are built from the options (head_dim() divides by
    // num_attention_heads), so an option the layer rejects must stop here, with its message.
    : options(validated(std::move(opts))),
      rope_cache_(options.head_dim(), options.mini_batch_size(), options.rope_theta()),
      built_with_(options) {
  const auto C = options.hidden_size();
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  const auto K = options.mini_batch_size();

  q_proj = register_module("q_proj", make_projection(C, H * f));
  if (!options.share_qk()) k_proj = register_module("k_proj", make_projection(C, H * f));
  v_proj = register_module("v_proj", make_projection(C, H * f));
  o_proj = register_module("o_proj", make_projection(H * f, C));
  if (options.share_qk()) {
    conv_q = register_module("conv_q", make_causal_conv(C, options.conv_kernel()));
    conv_k = register_module("conv_k", make_causal_conv(C, options.conv_kernel()));
  }

  // 1/(1..K) in the default dtype (float32), as the reference's buffer; .to(dtype) upcasts it.
  token_idx = register_buffer("token_idx", torch::reciprocal(torch::arange(1, K + 1, torch::kFloat32)));
  learnable_token_idx = register_parameter("learnable_token_idx", torch::zeros({K}));
  learnable_ttt_lr_weight = register_parameter("learnable_ttt_lr_weight", torch::normal(0.0, 0.02, {H, 1, C}));
  learnable_ttt_lr_bias = register_parameter("learnable_ttt_lr_bias", torch::zeros({H, 1}));
  ttt_norm_weight = register_parameter("ttt_norm_weight", torch::ones({H, f}));
  ttt_norm_bias = register_parameter("ttt_norm_bias", torch::zeros({H, f}));
  if (options.use_gate()) g_proj = register_module("g_proj", make_projection(C, C));
  post_norm = register_module("post_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({C}).eps(1e-6)));
}

FastWeights TTTBaseImpl::initial_fast_weights(int64_t batch_size) const {
  FastWeights weights;
  const auto params = named_parameters(/*recurse=*/false);
  for (const auto& stem : fast_weight_names()) {
    const auto& w = params[stem];
    std::vector<int64_t> reps(w.dim() + 1, 1);
    reps[0] = batch_size;
    weights[stem + "_states"] = w.unsqueeze(0).repeat(reps);
    weights[stem + "_grad"] = torch::zeros_like(weights[stem + "_states"]);
  }
  return weights;
}

std::pair<torch::Tensor, torch::Tensor> TTTBaseImpl::ttt_norm_params() const {
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  return {ttt_norm_weight.reshape({H, 1, f}), ttt_norm_bias.reshape({H, 1, f})};
}

void TTTBaseImpl::check_inputs(const torch::Tensor& hidden_states, const torch::Tensor& position_ids) const {
  TORCH_CHECK(same_shape_options(options, built_with_),
              "TTT layer: only use_rope and ttt_base_lr may change on a live module; "
              "build a new layer to change hidden_size, heads, mini_batch_size, rope_theta, "
              "use_gate, share_qk or conv_kernel");
  options.validate();  // the live options (ttt_base_lr, prefill_chunk_tokens) may have been set since
  TORCH_CHECK(hidden_states.defined() && hidden_states.dim() == 3,
              "TTT layer: hidden_states must be [B, L, hidden_size], got ",
              hidden_states.defined() ? hidden_states.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(hidden_states.size(2) == options.hidden_size(), "TTT layer: hidden_states has ",
              hidden_states.size(2), " features, the layer's hidden_size is ", options.hidden_size());
  TORCH_CHECK(hidden_states.size(0) >= 1 && hidden_states.size(1) >= 1,
              "TTT layer: hidden_states must have at least one batch row and one token, got ",
              hidden_states.sizes());
  const auto& weight = q_proj->weight;
  TORCH_CHECK(hidden_states.device() == weight.device(), "TTT layer: hidden_states is on ",
              hidden_states.device(), " but the layer's parameters are on ", weight.device(),
              "; move the input or the layer (layer->to(device)) so that they match");
  TORCH_CHECK(hidden_states.scalar_type() == weight.scalar_type(), "TTT layer: hidden_states is ",
              hidden_states.scalar_type(), " but the layer's parameters are ", weight.scalar_type(),
              "; cast one of them (layer->to(dtype))");
  TORCH_CHECK(position_ids.defined() && position_ids.dim() == 2,
              "TTT layer: position_ids must be [1, L] or [B, L], got ",
              position_ids.defined() ? position_ids.sizes() : torch::IntArrayRef{});
  TORCH_CHECK(!c10::isFloatingType(position_ids.scalar_type()) && !position_ids.is_complex() &&
                  position_ids.scalar_type() != torch::kBool,
              "TTT layer: position_ids must be an integer tensor, got ", position_ids.scalar_type());
  TORCH_CHECK(position_ids.size(1) == hidden_states.size(1) &&
                  (position_ids.size(0) == 1 || position_ids.size(0) == hidden_states.size(0)),
              "TTT layer: position_ids ", position_ids.sizes(), " do not fit hidden_states ",
              hidden_states.sizes(), " (expected [1, L] or [B, L])");
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> TTTBaseImpl::project_qkv(
    const torch::Tensor& hidden_states, TTTCache* cache) {
  if (!options.share_qk()) {
    return {q_proj(hidden_states), k_proj(hidden_states), v_proj(hidden_states)};
  }
  const auto L = hidden_states.size(1);
  const auto k = options.conv_kernel();
  const auto xq = q_proj(hidden_states).transpose(1, 2);  // [B, C, L]
  auto XV = v_proj(hidden_states);
  torch::Tensor XQ, XK;
  if (cache != nullptr && cache->seqlen_offset() > 0 && L == 1) {
    const auto x_t = xq.select(-1, 0);
    XQ = conv_decode_step(cache->conv_state("conv_q"), x_t, conv_q).to(hidden_states.scalar_type());
    XK = conv_decode_step(cache->conv_state("conv_k"), x_t, conv_k).to(hidden_states.scalar_type());
  } else if (cache != nullptr && cache->seqlen_offset() > 0) {
    XQ = conv_continue(cache->conv_state("conv_q"), xq, conv_q, k);
    XK = conv_continue(cache->conv_state("conv_k"), xq, conv_k, k);
  } else {
    if (cache != nullptr) {
      cache->conv_state("conv_q") = conv_prefill_window(xq, k);
      cache->conv_state("conv_k") = conv_prefill_window(xq, k);
    }
    XQ = conv_q(xq).slice(-1, 0, L);
    XK = conv_k(xq).slice(-1, 0, L);
  }
  return {XQ.transpose(1, 2), XK.transpose(1, 2), XV};
}

torch::Tensor TTTBaseImpl::rope_positions(const torch::Tensor& position_ids) const {
  return torch::remainder(position_ids, options.mini_batch_size());
}

RopeTables TTTBaseImpl::rope_tables(const torch::Tensor& positions, const torch::Tensor& like) const {
  return rope_cache_.lookup(positions.to(like.device(), torch::kInt64), like.scalar_type());
}

void TTTBaseImpl::apply_rope(torch::Tensor& XQ, torch::Tensor& XK, torch::Tensor& /*XV: never rotated*/,
                             const torch::Tensor& position_ids) const {
  if (!options.use_rope()) return;
  const auto tables = rope_tables(rope_positions(position_ids), XQ);
  XQ = rope_rotate(XQ, tables);
  XK = rope_rotate(XK, tables);
}

std::pair<torch::Tensor, torch::Tensor> TTTBaseImpl::norm_statistics(const torch::Tensor& x) const {
  return detail::centered_and_std(x);
}

RopeTables TTTBaseImpl::rope_tables_for(const torch::Tensor& position_ids, const torch::Tensor& like) const {
  return rope_tables(rope_positions(position_ids.to(like.device())), like);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> TTTBaseImpl::rotate_qkv(torch::Tensor XQ, torch::Tensor XK,
                                                                               torch::Tensor XV,
                                                                               const torch::Tensor& position_ids) const {
  apply_rope(XQ, XK, XV, position_ids.to(XQ.device()));
  return {XQ, XK, XV};
}

MiniBatchInputs TTTBaseImpl::mini_batch_inputs(const torch::Tensor& XQ, const torch::Tensor& XK,
                                               const torch::Tensor& XV, const torch::Tensor& X,
                                               int64_t mini_batch_size, int64_t token_offset) const {
  const auto B = X.size(0);
  const auto N = X.size(1) / mini_batch_size;
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  const auto C = options.hidden_size();
  const std::vector<int64_t> per_head{B, H, N, mini_batch_size, f};
  MiniBatchInputs in;
  in.XQ = XQ.reshape(per_head);
  in.XK = XK.reshape(per_head);
  in.XV = XV.reshape(per_head);

  // Learned per-head learning rate of each token (reference get_eta), [B, H, N, 1, K].
  const auto tokens = X.reshape({B, N, mini_batch_size, C});
  auto ttt_lr = torch::einsum("bnkc,hdc->bhnkd", {tokens, learnable_ttt_lr_weight}) +
                learnable_ttt_lr_bias.reshape({1, -1, 1, 1, 1});
  ttt_lr = torch::sigmoid(ttt_lr).permute({0, 1, 2, 4, 3});
  in.ttt_lr_eta = ttt_lr * options.ttt_base_lr() / static_cast<double>(f);

  // Per-position scale 1/(i+1) + learned offset, never negative, [B, H, N, K, 1].
  auto scale = (token_idx + learnable_token_idx).slice(0, token_offset, token_offset + mini_batch_size);
  scale = torch::clamp_min(scale, 0.0);
  in.token_eta = scale.reshape({1, 1, 1, mini_batch_size, 1}).expand({B, H, N, mini_batch_size, 1});
  in.eta = in.token_eta * in.ttt_lr_eta;
  return in;
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> TTTBaseImpl::heads_qkv(const torch::Tensor& hidden_states,
                                                                              const torch::Tensor& position_ids,
                                                                              TTTCache* cache) {
  const auto B = hidden_states.size(0);
  const auto L = hidden_states.size(1);
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  auto [XQ, XK, XV] = project_qkv(hidden_states, cache);
  // [B, L, C] -> [B, H, L, f]
  XQ = XQ.reshape({B, L, H, f}).transpose(1, 2);
  XK = XK.reshape({B, L, H, f}).transpose(1, 2);
  XV = XV.reshape({B, L, H, f}).transpose(1, 2);
  apply_rope(XQ, XK, XV, position_ids.to(hidden_states.device()));
  return {XQ, XK, XV};
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> TTTBaseImpl::rotated_qkv(const torch::Tensor& hidden_states,
                                                                                const torch::Tensor& position_ids) {
  check_inputs(hidden_states, position_ids);
  return heads_qkv(hidden_states, position_ids, nullptr);
}

torch::Tensor TTTBaseImpl::forward(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                                   TTTCache* cache) {
  check_inputs(hidden_states, position_ids);
  const auto B = hidden_states.size(0);
  const auto L = hidden_states.size(1);
  const auto K = options.mini_batch_size();
  if (cache != nullptr) {
    TORCH_CHECK(cache->batch_size() == B, "TTT layer: the cache holds ", cache->batch_size(),
                " batch rows, hidden_states has ", B);
    TORCH_CHECK(cache->mini_batch_size() == K, "TTT layer: the cache was made for mini_batch_size ",
                cache->mini_batch_size(), ", the layer uses ", K);
    cache->check_call(L);
    FastWeights weights = cache->fast_weights();
    return forward_span(hidden_states, position_ids, cache, weights);
  }
  FastWeights weights = initial_fast_weights(B);
  const auto chunk = options.share_qk() || options.prefill_chunk_tokens() == 0
                         ? L
                         : std::max<int64_t>(K, options.prefill_chunk_tokens() / K * K);
  if (chunk >= L) return forward_span(hidden_states, position_ids, nullptr, weights);
  // Chunk by chunk (see TTTOptions::prefill_chunk_tokens), each one written into its rows of
  // the output; copy_ into slices records CopySlices, so autograd sees one output as before.
  auto out = torch::empty({B, L, options.hidden_size()}, hidden_states.options());
  for (int64_t start = 0; start < L; start += chunk) {
    const auto end = std::min(L, start + chunk);
    out.slice(1, start, end)
        .copy_(forward_span(hidden_states.slice(1, start, end), position_ids.slice(1, start, end), nullptr, weights));
  }
  return out;
}

torch::Tensor TTTBaseImpl::forward_span(const torch::Tensor& hidden_states, const torch::Tensor& position_ids,
                                        TTTCache* cache, FastWeights& weights) {
  const auto L = hidden_states.size(1);
  const auto K = options.mini_batch_size();
  const auto [XQ, XK, XV] = heads_qkv(hidden_states, position_ids, cache);

  const auto token_offset = cache != nullptr ? cache->seqlen_offset() % K : 0;
  std::vector<torch::Tensor> outputs;
  // Full mini-batches in the dual form, then the remainder, continuing from the weights the
  // full mini-batches ended with (with a cache: in the primal form, keeping its gradients).
  const auto full = (L / K) * K;
  const auto remainder = L - full;
  if (full > 0) {
    const auto inputs = mini_batch_inputs(XQ.slice(2, 0, full), XK.slice(2, 0, full), XV.slice(2, 0, full),
                                          hidden_states.slice(1, 0, full), K, token_offset);
    auto [out, last] = inner_loop(inputs, K, weights, /*dual_form=*/true);
    if (cache != nullptr) cache->update(last, full);
    outputs.push_back(std::move(out));
    weights = std::move(last);
  }
  if (remainder > 0) {
    auto inputs = mini_batch_inputs(XQ.slice(2, full), XK.slice(2, full), XV.slice(2, full),
                                    hidden_states.slice(1, full), remainder, token_offset);
    inputs.keeps_last_weights = cache == nullptr || cache->ends_on_boundary(remainder);
    auto [out, last] = inner_loop(inputs, remainder, weights, /*dual_form=*/cache == nullptr);
    if (cache != nullptr) cache->update(last, remainder);
    outputs.push_back(std::move(out));
    weights = std::move(last);
  }

  auto out = post_norm(outputs.size() == 1 ? outputs[0] : torch::cat(outputs, 1));
  if (options.use_gate()) out = F::gelu(g_proj(hidden_states), F::GELUFuncOptions().approximate("tanh")) * out;
  return o_proj(out);
}

std::shared_ptr<TTTBaseImpl> make_layer(LayerType type, const TTTOptions& options) {
  if (type == LayerType::Linear) return std::make_shared<TTTLinearImpl>(options);
  return std::make_shared<TTTMLPImpl>(options);
}

}  // namespace ttt
