#include "fixture_builders.h"

#include <filesystem>
#include <fstream>
#include <cstring>
#include <random>
#include <stdexcept>

#include <unistd.h>

namespace ttt::harness::testing {
namespace {

uint16_t bfloat16_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return static_cast<uint16_t>(bits >> 16);
}

template <class T>
void store(Array& array, std::size_t index, T value) {
  std::memcpy(array.data.data() + index * sizeof(T), &value, sizeof(T));
}

}  // namespace

void set_value(Array& array, std::size_t index, double value) {
  switch (array.dtype) {
    case DType::Float64: store(array, index, value); break;
    case DType::Float32: store(array, index, static_cast<float>(value)); break;
    case DType::BFloat16: store(array, index, bfloat16_bits(static_cast<float>(value))); break;
    case DType::Int64: store(array, index, static_cast<int64_t>(value)); break;
  }
}

Array make_array(const std::string& path, DType dtype, std::vector<int64_t> shape,
                 uint32_t seed) {
  Array array;
  array.path = path;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.resize(static_cast<std::size_t>(array.numel()) * element_size(dtype));
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  for (int64_t i = 0; i < array.numel(); ++i) set_value(array, i, uniform(random));
  return array;
}

Array make_positions(int64_t rows, int64_t length, int64_t offset) {
  Array array;
  array.path = "/inputs/position_ids";
  array.dtype = DType::Int64;
  array.shape = {rows, length};
  array.data.resize(static_cast<std::size_t>(rows * length) * sizeof(int64_t));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < length; ++i) store(array, r * length + i, offset + i);
  }
  return array;
}

Fixture make_fixture(const FixtureOptions& o) {
  const int64_t C = kHidden, H = kHeads, f = kHeadDim, K = kMiniBatch, k = kConvKernel;
  const int64_t B = o.batch;
  const bool mlp = o.layer_type == "mlp";
  const int64_t inner = mlp ? 4 * f : f;  // width of W1's output

  Fixture fx;
  fx.file = "synthetic:" + variant_name(o);
  fx.schema_version = 1;
  fx.case_id = variant_name(o);
  fx.layer_type = o.layer_type;
  fx.mode = o.mode;
  fx.dtype = to_string(o.dtype);
  fx.config = LayerConfig{C, H, K, 10000.0, 1.0, o.use_gate, o.share_qk, k, true};
  fx.config_json = {{"hidden_size", C},     {"num_attention_heads", H}, {"mini_batch_size", K},
                    {"rope_theta", 10000.0}, {"ttt_base_lr", 1.0},       {"use_gate", o.use_gate},
                    {"share_qk", o.share_qk}, {"conv_kernel", k},        {"use_rope", true},
                    {"pre_conv", false}};  // an extra key, kept as stored
  fx.provenance = {{"reference", "ttt-lm-pytorch"}, {"reference_commit", "0000000"},
                   {"generator", "suites/harness"}, {"seed", 0}};

  uint32_t seed = 1;
  auto add = [&](std::map<std::string, Array>& group, const std::string& group_name,
                 const std::string& name, std::vector<int64_t> shape, DType dtype) {
    group[name] = make_array("/" + group_name + "/" + name, dtype, std::move(shape), seed++);
  };
  auto param = [&](const std::string& name, std::vector<int64_t> shape) {
    add(fx.params, "params", name, std::move(shape), o.dtype);
  };
  param("q_proj.weight", {C, C});
  if (!o.share_qk) param("k_proj.weight", {C, C});
  param("v_proj.weight", {C, C});
  param("o_proj.weight", {C, C});
  param("learnable_ttt_lr_weight", {H, 1, C});
  param("learnable_ttt_lr_bias", {H, 1});
  param("learnable_token_idx", {K});
  param("ttt_norm_weight", {H, f});
  param("ttt_norm_bias", {H, f});
  param("W1", {H, f, inner});
  param("b1", {H, 1, inner});
  if (mlp) {
    param("W2", {H, 4 * f, f});
    param("b2", {H, 1, f});
  }
  param("post_norm.weight", {C});
  param("post_norm.bias", {C});
  if (o.use_gate) param("g_proj.weight", {C, C});
  if (o.share_qk) {
    param("conv_q.weight", {C, 1, k});
    param("conv_q.bias", {C});
    param("conv_k.weight", {C, 1, k});
    param("conv_k.bias", {C});
  }

  if (o.mode == "prefill") {
    const int64_t L = o.length;
    add(fx.inputs, "inputs", "hidden_states", {B, L, C}, o.dtype);
    fx.inputs["position_ids"] = make_positions(1, L);
    add(fx.outputs, "outputs", "output", {B, L, C}, o.dtype);
    if (o.dtype != DType::Float64) add(fx.outputs, "outputs", "output_fp64", {B, L, C}, DType::Float64);
    if (o.backward) {
      add(fx.inputs, "inputs", "grad_output", {B, L, C}, o.dtype);
      for (const auto& [name, array] : fx.params) add(fx.grads, "grads", name, array.shape, o.dtype);
      add(fx.grads, "grads", "hidden_states", {B, L, C}, o.dtype);
    }
  } else {
    const int64_t P = o.prompt, T = o.decoded;
    add(fx.inputs, "inputs", "prefill_hidden_states", {B, P, C}, o.dtype);
    add(fx.inputs, "inputs", "decode_hidden_states", {B, T, C}, o.dtype);
    add(fx.outputs, "outputs", "prefill_output", {B, P, C}, o.dtype);
    add(fx.outputs, "outputs", "decode_output", {B, T, C}, o.dtype);
    auto state = [&](const std::string& stem, std::vector<int64_t> shape) {
      add(fx.state, "state", stem + "_states", shape, o.dtype);
      add(fx.state, "state", stem + "_grad", shape, o.dtype);
    };
    state("W1", {B, H, f, inner});
    state("b1", {B, H, 1, inner});
    if (mlp) {
      state("W2", {B, H, 4 * f, f});
      state("b2", {B, H, 1, f});
    }
    if (o.share_qk) {
      add(fx.state, "state", "ttt_conv_q", {B, C, k}, DType::Float32);
      add(fx.state, "state", "ttt_conv_k", {B, C, k}, DType::Float32);
    }
  }
  return fx;
}

std::vector<FixtureOptions> all_variants() {
  std::vector<FixtureOptions> variants;
  for (const char* layer : {"linear", "mlp"}) {
    for (const char* mode : {"prefill", "decode"}) {
      for (DType dtype : {DType::Float64, DType::Float32, DType::BFloat16}) {
        FixtureOptions options;
        options.layer_type = layer;
        options.mode = mode;
        options.dtype = dtype;
        variants.push_back(options);
      }
    }
  }
  return variants;
}

std::string variant_name(const FixtureOptions& o) {
  return o.layer_type + "_" + o.mode + "_" + to_string(o.dtype) + (o.use_gate ? "_gate" : "") +
         (o.share_qk ? "_shareqk" : "") + (o.backward ? "_backward" : "");
}

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace ttt::harness::testing
