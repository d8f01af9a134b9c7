#include <harness/layer_io/layer_factory.h>

namespace ttt::harness {

LayerFactory production_layers() {
  return [](ttt::LayerType type, const ttt::TTTOptions& options) { return ttt::make_layer(type, options); };
}

ttt::TTTOptions layer_options(const LayerConfig& config) {
  return ttt::TTTOptions(config.hidden_size, config.num_attention_heads)
      .mini_batch_size(config.mini_batch_size)
      .rope_theta(config.rope_theta)
      .ttt_base_lr(config.ttt_base_lr)
      .use_gate(config.use_gate)
      .share_qk(config.share_qk)
      .conv_kernel(config.conv_kernel)
      .use_rope(config.use_rope);
}

LayerConfig layer_config(const ttt::TTTOptions& options) {
  LayerConfig config;
  config.hidden_size = options.hidden_size();
  config.num_attention_heads = options.num_attention_heads();
  config.mini_batch_size = options.mini_batch_size();
  config.rope_theta = options.rope_theta();
  config.ttt_base_lr = options.ttt_base_lr();
  config.use_gate = options.use_gate();
  config.share_qk = options.share_qk();
  config.conv_kernel = options.conv_kernel();
  config.use_rope = options.use_rope();
  return config;
}

}  // namespace ttt::harness
