// A program of a team that uses the TTT layer in its own product: it links ttt::layer (found
// with find_package(ttt) or added with add_subdirectory) and nothing else of the harness.
//
// It builds a TTT-Linear layer, runs a prefill, then the same tokens through a decode cache
// one at a time, and checks that the two agree: prefill and decode are the same function of
// the tokens. Exit 0 and one summary line when they do, 1 when they do not.
//   consumer [CHECKPOINT.safetensors PREFIX]   with a checkpoint: its layer's weights first
//   (ttt::load_state_dict, e.g. "model.layers.0.seq_modeling_block." of upstream's
//   TTTForCausalLM with hidden_size 64 and 4 heads), else the layer's own initialisation.
#include <ttt/ttt.h>

#include <torch/torch.h>

#include <cstdio>

int main(int argc, char** argv) {
  torch::manual_seed(0);
  const int64_t batch = 2, length = 24, hidden = 64, heads = 4;
  auto layer = ttt::make_layer(ttt::LayerType::Linear, ttt::TTTOptions(hidden, heads).mini_batch_size(8));
  if (argc == 3) ttt::load_state_dict(*layer, argv[1], argv[2]);  // a float32 checkpoint into the float32 layer
  layer->to(torch::kFloat64);  // float64: the two paths agree to rounding, not to a tolerance
  const auto x = torch::randn({batch, length, hidden}, torch::kFloat64);
  const auto positions = torch::arange(length, torch::kInt64).unsqueeze(0);

  torch::NoGradGuard no_grad;
  const auto prefill = layer->forward(x, positions);

  ttt::TTTCache cache(*layer, batch);
  std::vector<torch::Tensor> tokens;
  for (int64_t t = 0; t < length; ++t) {
    tokens.push_back(ttt::forward_cached(*layer, cache, x.narrow(1, t, 1)));
  }
  const auto decoded = torch::cat(tokens, 1);

  const bool finite = torch::isfinite(prefill).all().item<bool>();
  const double difference = (prefill - decoded).abs().max().item<double>();
  const double scale = prefill.abs().max().item<double>();
  const bool agree = finite && difference <= 1e-10 * scale;
  std::printf("TTT-Linear %s: output [%lld, %lld, %lld], max |output| %.4g, prefill vs token-by-token decode %.3g (%s)\n",
              agree ? "OK" : "FAILED", static_cast<long long>(prefill.size(0)),
              static_cast<long long>(prefill.size(1)), static_cast<long long>(prefill.size(2)), scale,
              difference, agree ? "<= 1e-10 relative" : "> 1e-10 relative, or not finite");
  return agree ? 0 : 1;
}
