// bfloat16 end to end: the layer runs in bf16, RoPE computes its angles in float32 and
// returns bf16, the complex-number formulation ports often write agrees with the
// reference's rotate-half one, bf16 fixture tensors round-trip bit-exactly, and bf16 error
// against the float64 reference stays within the bound derived from the reference's own.
#include "suites/support/check.h"
#include "suites/golden/golden_checks.h"
#include "suites/support/test_support.h"

#include <harness/layer_io/tensors.h>
#include <harness/fixture/fixture.h>

#include <filesystem>
#include <unistd.h>

namespace ttt::checks {
namespace {

using testing::positions_from;
using testing::random_hidden;
using testing::random_layer;

constexpr double kBF16UnitRoundoff = 0.00390625;  // 2^-8

std::vector<torch::Device> devices() {
  std::vector<torch::Device> all{torch::kCPU};
  if (torch::cuda::is_available()) all.emplace_back(torch::kCUDA);
  return all;
}

CheckResult runs_end_to_end(const Factory& factory) {
  std::string seen;
  for (const auto& device : devices()) {
    for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
      for (const bool share_qk : {false, true}) {
        const auto options = ttt::TTTOptions(64, 4).mini_batch_size(8).share_qk(share_qk).use_gate(share_qk);
        auto layer = random_layer(factory, type, options, torch::kBFloat16, 41, device);
        const auto x = random_hidden(2, 45, 64, torch::kBFloat16, 42, device);
        c10::InferenceMode inference;
        const auto out = layer->forward(x, positions_from(1001, 45, device));
        if (out.scalar_type() != torch::kBFloat16 || out.device() != device || out.sizes() != x.sizes()) {
          return fail("bf16 forward on " + device.str() + " returned " + c10::toString(out.scalar_type()) + " " +
                      c10::str(out.sizes()) + " on " + out.device().str());
        }
        if (!torch::isfinite(out).all().item<bool>()) return fail("bf16 output on " + device.str() + " is not finite");
      }
    }
    seen += (seen.empty() ? "" : ", ") + device.str();
  }
  return pass("linear and mlp (plain, share_qk+gate) run in bf16 on " + seen + ", finite bf16 outputs");
}

// Independent of the library: the reference's float32 angle computation, written here.
std::pair<torch::Tensor, torch::Tensor> float32_tables(const torch::Tensor& positions, int64_t head_dim, double theta,
                                                       int64_t mini_batch_size) {
  const auto exponents = torch::arange(0, head_dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(head_dim);
  const auto inv_freq = 1.0 / torch::pow(theta, exponents);
  const auto angles = torch::remainder(positions, mini_batch_size).to(torch::kFloat32).unsqueeze(-1) * inv_freq;
  return {angles.cos(), angles.sin()};
}

CheckResult rope_fp32_angles_bf16_result(const Factory& factory) {
  const auto options = ttt::TTTOptions(64, 2).mini_batch_size(16).rope_theta(10000.0);
  auto layer = factory(ttt::LayerType::Linear, options);
  const auto positions = positions_from(1037, 48);
  const auto like = torch::zeros({1, 1, 48, 32}, torch::kBFloat16);
  const auto tables = layer->rope_tables_for(positions, like);
  if (tables.cos.scalar_type() != torch::kBFloat16 || tables.sin.scalar_type() != torch::kBFloat16) {
    return fail(std::string("RoPE tables for a bf16 input are ") + c10::toString(tables.cos.scalar_type()));
  }
  const auto [cos32, sin32] = float32_tables(positions, 32, 10000.0, 16);
  if (!torch::equal(tables.cos, cos32.to(torch::kBFloat16)) || !torch::equal(tables.sin, sin32.to(torch::kBFloat16))) {
    return fail("bf16 RoPE tables are not the float32 angles' cos/sin rounded once to bf16 (angles computed in bf16?)");
  }
  const auto q = random_hidden(1, 2 * 48, 32, torch::kBFloat16, 43).reshape({1, 2, 48, 32});
  const auto [rq, rk, rv] = layer->rotate_qkv(q, q, q, positions);
  if (rq.scalar_type() != torch::kBFloat16 || rk.scalar_type() != torch::kBFloat16) {
    return fail(std::string("rotating bf16 Q returned ") + c10::toString(rq.scalar_type()));
  }
  return pass("bf16 tables equal float32 angles rounded once; rotated Q/K stay bf16");
}

// The interleaved complex-number RoPE of typical ports (the moshi port after its fix):
// upcast to float32, pair up as complex numbers, multiply by e^{i angle}, back to the dtype.
torch::Tensor complex_rope(const torch::Tensor& x, const torch::Tensor& positions, int64_t mini_batch_size,
                           double theta) {
  const auto f = x.size(-1);
  const auto [cos, sin] = float32_tables(positions, f, theta, mini_batch_size);
  const auto freqs_cis = torch::complex(cos, sin).unsqueeze(1);  // [P, 1, L, f/2]
  const auto pairs = torch::view_as_complex(x.to(torch::kFloat32).reshape({x.size(0), x.size(1), x.size(2), f / 2, 2}));
  return torch::view_as_real(pairs * freqs_cis).flatten(-2).to(x.scalar_type());
}

CheckResult complex_formulation_agrees(const Factory& factory) {
  const auto options = ttt::TTTOptions(128, 2).mini_batch_size(16).rope_theta(500000.0);
  auto layer = factory(ttt::LayerType::Linear, options);
  const auto positions = positions_from(2021, 64);
  std::string detail;
  for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
    const auto q = random_hidden(2, 2 * 64, 64, dtype, 44).reshape({2, 2, 64, 64});
    const auto [ours, unused_k, unused_v] = layer->rotate_qkv(q, q, q, positions);
    const auto theirs = complex_rope(q, positions, 16, 500000.0);
    const auto scale = q.to(torch::kFloat64).abs().max().item<double>();
    const auto diff = (ours.to(torch::kFloat64) - theirs.to(torch::kFloat64)).abs().max().item<double>();
    // float32: both are within a few roundings of the exact rotation. bf16: ours rounds after
    // each of its three operations, the complex one once at the end: <= 4 units of roundoff.
    const double bound = dtype == torch::kFloat32 ? 8 * 5.96e-8 * scale : 4 * kBF16UnitRoundoff * scale;
    if (diff > bound) {
      return fail(std::string(c10::toString(dtype)) + ": rotate-half RoPE and complex RoPE differ by " +
                  std::to_string(diff) + " > " + std::to_string(bound));
    }
    detail += std::string(c10::toString(dtype)) + " max diff " + std::to_string(diff / scale) + " of max|x|; ";
  }
  return pass(detail + "bounds: float32 8u, bf16 4u");
}

CheckResult fixture_round_trip_bit_exact(const Factory&) {
  namespace fs = std::filesystem;
  int checked = 0;
  const auto dir = fs::temp_directory_path() / ("ttt_bf16_roundtrip_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const auto& file : testing::committed_fixtures()) {
    auto fixture = harness::load_fixture(file);
    if (fixture.dtype != "bfloat16") continue;
    // Also bit patterns spread over the whole 16-bit range (every exponent, both signs,
    // subnormals), NaN/inf excluded, through one parameter dataset.
    auto& q = fixture.params.at("q_proj.weight");
    auto patterns = torch::arange(0, q.numel(), torch::kInt64).mul(65536 / q.numel() + 1).remainder(65536);
    patterns = torch::where((patterns.bitwise_and(0x7F80) == 0x7F80), torch::zeros_like(patterns), patterns);
    q = harness::to_array(q.path, patterns.to(torch::kInt32).to(torch::kInt16).view(torch::kBFloat16).reshape(q.shape));
    const auto out = (dir / fs::path(file).filename()).string();
    harness::write_fixture(fixture, out);
    const auto back = harness::load_fixture(out);
    for (const auto* group : {&fixture.params, &fixture.inputs, &fixture.outputs, &fixture.state}) {
      const auto& other = group == &fixture.params   ? back.params
                          : group == &fixture.inputs ? back.inputs
                          : group == &fixture.outputs ? back.outputs
                                                      : back.state;
      for (const auto& [name, array] : *group) {
        const auto it = other.find(name);
        if (it == other.end() || it->second.dtype != array.dtype || it->second.data != array.data) {
          fs::remove_all(dir);
          return fail(file + ": " + array.path + " did not survive write -> read bit-exactly");
        }
      }
    }
    ++checked;
  }
  fs::remove_all(dir);
  if (checked == 0) return fail("no committed bf16 fixture");
  return pass(std::to_string(checked) + " bf16 fixtures (and bit patterns over every exponent) round-trip bit-exactly");
}

CheckResult goldens_within_reference_error(const Factory& factory) {
  return golden_subset(factory, [](const harness::Fixture& f) { return f.dtype == "bfloat16"; }, "bfloat16");
}

// bfloat16 decode with share_qk has no golden: the reference crashes on it (its cache keeps the
// conv windows in float32, then multiplies them with bfloat16). It is judged against its own
// float64 run instead: the same layer (parameters upcast exactly) on the same input upcast,
// prompt then single tokens, by the reference-error rule with the bfloat16 *prefill*'s own
// error against its float64 run as the reference error (that path has goldens:
// linear_sqk4_gate_bf16_b2_l40_k8 and the sqk cases). A decode that loses its conv history,
// or any error beyond what bfloat16 itself makes, exceeds it.
CheckResult share_qk_decode_within_own_float64(const Factory& factory) {
  constexpr int64_t kLength = 29, kPrompt = 13;
  std::string detail;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    const auto options = ttt::TTTOptions(64, 4).mini_batch_size(8).share_qk(true).conv_kernel(3);
    auto low = random_layer(factory, type, options, torch::kBFloat16, 53);
    auto exact = factory(type, options);
    testing::copy_parameters(*low, *exact);  // bf16 values into the float32 layer: exact
    exact->to(torch::kFloat64);
    const auto x = random_hidden(2, kLength, 64, torch::kBFloat16, 54);
    const auto x64 = x.to(torch::kFloat64);
    c10::InferenceMode inference;
    const auto positions = positions_from(0, kLength);
    const double prefill_err = (low->forward(x, positions).to(torch::kFloat64) - exact->forward(x64, positions))
                                   .abs().max().item<double>();
    const auto decode = [&](ttt::TTTBaseImpl& layer, const torch::Tensor& input) {
      ttt::TTTCache cache(layer, 2);
      return testing::prefill_then_tokens(layer, input, kPrompt, cache).to(torch::kFloat64);
    };
    const auto d_low = decode(*low, x), d_exact = decode(*exact, x64);
    if (!torch::isfinite(d_low).all().item<bool>()) return fail(ttt::to_string(type) + ": bf16 share_qk decode is not finite");
    const double err = (d_low - d_exact).abs().max().item<double>();
    const double bound = 2 * prefill_err + kBF16UnitRoundoff * d_exact.abs().max().item<double>();
    const auto figures = ttt::to_string(type) + ": max err " + std::to_string(err) + " <= " + std::to_string(bound) +
                         " (2 x the prefill's own " + std::to_string(prefill_err) + " + 2^-8 x max|f64|)";
    if (!(err <= bound)) return fail("bf16 share_qk decode against its own float64 run, " + figures + ": exceeded");
    detail += (detail.empty() ? "" : "; ") + figures;
  }
  return pass("bf16 share_qk decode (prompt " + std::to_string(kPrompt) + ", then single tokens to " +
              std::to_string(kLength) + ") against its own float64 run: " + detail);
}

}  // namespace

std::vector<Check> bf16_checks() {
  return {
      {"bf16", "RunsEndToEndOnEveryDevice", false, false, runs_end_to_end},
      {"bf16", "RopeAnglesInFloat32ResultInBF16", false, false, rope_fp32_angles_bf16_result},
      {"bf16", "ComplexFormulationAgrees", false, false, complex_formulation_agrees},
      {"bf16", "FixtureTensorsRoundTripBitExactly", false, false, fixture_round_trip_bit_exact},
      {"bf16", "GoldensWithinReferenceErrorBound", false, false, goldens_within_reference_error},
      {"bf16", "ShareQkDecodeWithinItsOwnFloat64Run", false, false, share_qk_decode_within_own_float64},
  };
}

}  // namespace ttt::checks
