#include <harness/layer_io/cache_io.h>

#include <harness/layer_io/layer_factory.h>
#include <harness/layer_io/tensors.h>
#include <harness/fixture/state_file.h>

namespace ttt::harness {
namespace {

std::string layer_dtype(const ttt::TTTBaseImpl& layer) { return dtype_name(layer.q_proj->weight.scalar_type()); }

bool same_config(const LayerConfig& a, const LayerConfig& b) {
  return a.hidden_size == b.hidden_size && a.num_attention_heads == b.num_attention_heads &&
         a.mini_batch_size == b.mini_batch_size && a.rope_theta == b.rope_theta && a.ttt_base_lr == b.ttt_base_lr &&
         a.use_gate == b.use_gate && a.share_qk == b.share_qk && a.conv_kernel == b.conv_kernel &&
         a.use_rope == b.use_rope;
}

}  // namespace

void save_cache(const ttt::TTTCache& cache, const ttt::TTTBaseImpl& layer, const std::string& path) {
  StateFile state;
  state.layer_type = ttt::to_string(layer.layer_type());
  state.dtype = layer_dtype(layer);
  state.config = layer_config(layer.options);
  state.seqlen_offset = cache.seqlen_offset();
  for (const auto& [name, tensor] : cache.tensors()) state.tensors[name] = to_array("/state/" + name, tensor);
  write_state_file(state, path);
}

void restore_cache(ttt::TTTCache& cache, const ttt::TTTBaseImpl& layer, const std::string& path) {
  const auto state = read_state_file(path);
  const auto expect = [&](bool ok, const std::string& what, const std::string& theirs, const std::string& ours) {
    if (!ok) throw FixtureError(path, "saved from a layer with " + what + " " + theirs + ", this layer has " + ours);
  };
  expect(state.layer_type == ttt::to_string(layer.layer_type()), "layer_type", state.layer_type,
         ttt::to_string(layer.layer_type()));
  expect(state.dtype == layer_dtype(layer), "dtype", state.dtype, layer_dtype(layer));
  expect(same_config(state.config, layer_config(layer.options)), "config", "(see the file's config attribute)",
         "another");
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& [name, array] : state.tensors) tensors[name] = to_tensor(array);
  cache.restore(tensors, state.seqlen_offset);
}

}  // namespace ttt::harness
