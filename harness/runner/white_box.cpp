#include <harness/runner/white_box.h>

#include <harness/runner/compare.h>
#include <harness/runner/environment.h>
#include <harness/runner/judge.h>

#include <harness/layer_io/tensors.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace ttt::harness {
namespace {

torch::Tensor input(const Fixture& fixture, const std::string& name, torch::Device device,
                    torch::ScalarType dtype) {
  return to_tensor(fixture.inputs.at(name)).to(device, dtype);
}

// The stored RoPE table ([K, f], upstream's rotate-half layout: both halves hold the K x f/2
// values of pairs 0..f/2-1) as the layer's [K, f/2] residue table.
torch::Tensor residue_half(const torch::Tensor& stored) { return stored.narrow(1, 0, stored.size(1) / 2); }

// The table the layer rotates with for residues 0..K-1, [K, f/2] each, through the seam its
// forward uses.
ttt::RopeTables layer_residue_table(ttt::TTTBaseImpl& layer, int64_t K, torch::Device device,
                                    torch::ScalarType dtype) {
  const auto residues = torch::arange(K, torch::dtype(torch::kInt64).device(device)).unsqueeze(0);
  const auto own = layer.rope_tables_for(residues, torch::empty({0}, torch::dtype(dtype).device(device)));
  return {own.cos.squeeze(0), own.sin.squeeze(0)};
}

// The table the file's table is held to, [K, f] like the stored one. float64 and float32: the
// layer's own, through the same seam its forward uses (so a layer that builds its table
// wrongly fails here even when the stored table is then pinned). bfloat16: upstream's
// inv_freq is a buffer, rounded to bfloat16 by .to(bfloat16), and the table is built from
// those rounded frequencies; the layer keeps float32 frequencies on purpose, so its table is
// not the one the file must hold, and the contract's construction is rebuilt here from the
// layer's own frequencies instead.
std::pair<torch::Tensor, torch::Tensor> expected_rope_table(const Fixture& fixture, ttt::TTTBaseImpl& layer,
                                                            torch::Device device, torch::ScalarType dtype) {
  c10::InferenceMode inference;
  const auto K = fixture.config.mini_batch_size;
  torch::Tensor cos, sin;
  if (dtype == torch::kBFloat16) {
    const auto inv_freq = ttt::rope_inverse_frequencies(fixture.config.head_dim(), fixture.config.rope_theta, device)
                              .to(torch::kBFloat16)
                              .to(torch::kFloat32);
    const auto angles = torch::arange(K, torch::dtype(torch::kFloat32).device(device)).unsqueeze(1) *
                        inv_freq.unsqueeze(0);
    cos = angles.cos().to(dtype);
    sin = angles.sin().to(dtype);
  } else {
    const auto own = layer_residue_table(layer, K, device, dtype);
    cos = own.cos;
    sin = own.sin;
  }
  return {torch::cat({cos, cos}, 1), torch::cat({sin, sin}, 1)};
}

// A comparison of the layer's internals against exact values, marked so that reports show it
// apart from the golden tensors (Comparison::Check).
Comparison white_box_check(Comparison c) {
  c.check = Comparison::Check::WhiteBox;
  return c;
}

}  // namespace

// What a RoPE bug corrupts first, before the inner loop's own rounding hides it. With float64
// twins, judged like an output.
void judge_rotated_qk(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer, torch::Device device,
                      torch::ScalarType dtype, RopeTableSource table) {
  const auto& stored = fixture.intermediates;
  if (stored.count("XQ_rope") == 0 && stored.count("XK_rope") == 0) return;
  c10::InferenceMode inference;
  const auto hidden = input(fixture, "hidden_states", device, dtype);
  const auto positions = to_tensor(fixture.inputs.at("position_ids")).to(device);
  const auto [XQ, XK, XV] = layer.rotated_qkv(hidden, positions);
  for (const auto& [name, actual] : {std::pair<std::string, torch::Tensor>{"XQ_rope", XQ}, {"XK_rope", XK}}) {
    const auto it = stored.find(name);
    if (it == stored.end()) continue;
    const auto fp64 = fp64_twin(stored, name);
    const auto tolerance =
        fp64.defined() ? output_tolerance(fixture.dtype, true, table) : direct_tolerance(fixture.dtype, table);
    result.comparisons.push_back(
        compare_tensors("intermediates/" + name, actual, to_tensor(it->second), tolerance, fp64));
  }
}

// bfloat16: the port computes RoPE angles in float32 and rounds only the tables, more
// precisely than upstream, whose bfloat16 inv_freq is rounded before the angles are formed.
// A port that forms the angles in bfloat16 is off by up to half a bfloat16 ulp of the angle
// (the BF16RopeAngles mutant: 2.85 times the bound at K = 16, where the port's own table
// uses 0.49 of it), which the outputs cannot show: upstream's own bfloat16 angles carry an
// error of that size, so the port's error stays within the reference's. The golden check therefore
// holds the layer's own table to the exact one (float64 angles) within one bfloat16 ulp, on
// every bfloat16 case that rotates: a property of the port, not a bound relative to the
// reference (docs/TOLERANCES.md).
void judge_layer_rope_table(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer,
                            torch::Device device, torch::ScalarType dtype) {
  const auto K = fixture.config.mini_batch_size;
  if (dtype != torch::kBFloat16 || !fixture.config.use_rope || K == 1) return;
  c10::InferenceMode inference;
  const auto own = layer_residue_table(layer, K, device, dtype);
  const auto f = fixture.config.head_dim();
  const auto exponents = torch::arange(0, f, 2, torch::kFloat64) / static_cast<double>(f);
  const auto inv_freq = torch::pow(fixture.config.rope_theta, -exponents);
  const auto angles = torch::arange(K, torch::kFloat64).unsqueeze(1) * inv_freq.unsqueeze(0);  // [K, f/2]
  const auto tolerance = layer_rope_table_tolerance();
  result.comparisons.push_back(white_box_check(compare_tensors("layer_rope_cos", own.cos.cpu(), angles.cos(), tolerance)));
  result.comparisons.push_back(white_box_check(compare_tensors("layer_rope_sin", own.sin.cpu(), angles.sin(), tolerance)));
}

// A bfloat16 layer's inner layer norm on its own, as with its RoPE table: the statistics the
// layer computes on bfloat16 rows (the fixture's input, in rows of head_dim) against exact
// ones of the same bfloat16 values (float64). The reference's own bfloat16 error cannot be the
// yardstick here (a sum rounded in bfloat16 moves the outputs by less than a correct port's
// spread, docs/TOLERANCES.md), so the bound is derived from the arithmetic itself: the mean
// rounded once to bfloat16 and the difference rounded once give |c - c_exact| <= u |mean| +
// u |c| (u = 2^-8), plus f float32 roundings of the row's largest value for the sum; the
// standard deviation, from those centred values squared, averaged, plus eps and square-rooted
// with one rounding each, carries their error on. Each element's error over its bound is
// judged against 1 (layer_norm_centered, layer_norm_std).
void judge_layer_norm_statistics(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer,
                                 torch::Device device, torch::ScalarType dtype) {
  if (dtype != torch::kBFloat16) return;
  c10::InferenceMode inference;
  const auto f = fixture.config.head_dim();
  const auto name = fixture.mode == "decode" ? "prefill_hidden_states" : "hidden_states";
  const auto rows = input(fixture, name, device, dtype).reshape({-1, f});
  const auto [centered, std] = layer.inner_norm_statistics(rows);
  const auto x = rows.to(torch::kCPU, torch::kFloat64);
  const auto mean = x.mean(-1, /*keepdim=*/true);
  const auto exact_centered = x - mean;
  const auto var = exact_centered.square().mean(-1, /*keepdim=*/true);
  const auto exact_std = torch::sqrt(var + 1e-6);
  const double u = kUnitRoundoffBFloat16;
  const auto sum_rounding = static_cast<double>(f) * kUnitRoundoffFloat32 * std::get<0>(x.abs().max(-1, true));
  const auto allowed_centered = u * mean.abs() + u * exact_centered.abs() + sum_rounding;
  const auto allowed_var = (2 * exact_centered.abs() * allowed_centered + u * exact_centered.square()).mean(-1, true) +
                           2 * u * (var + 1e-6);
  const auto allowed_std = allowed_var / (2 * exact_std) + u * exact_std;
  const auto tolerance = layer_norm_statistics_tolerance();
  const auto in_bounds = [&](const torch::Tensor& port, const torch::Tensor& exact, const torch::Tensor& allowed) {
    return (port.to(torch::kCPU, torch::kFloat64) - exact).abs() / allowed;
  };
  const auto centered_ratio = in_bounds(centered, exact_centered, allowed_centered);
  const auto std_ratio = in_bounds(std, exact_std, allowed_std);
  result.comparisons.push_back(white_box_check(
      compare_tensors("layer_norm_centered", centered_ratio, torch::zeros_like(centered_ratio), tolerance)));
  result.comparisons.push_back(
      white_box_check(compare_tensors("layer_norm_std", std_ratio, torch::zeros_like(std_ratio), tolerance)));
}

// Judges the file's RoPE table (when it has one) into `result`, with a note in its message,
// and decides whether to pin it: pinning keeps float64 parity portable.
RopeTablePlan judge_rope_table(CaseResult& result, const Fixture& fixture, ttt::TTTBaseImpl& layer,
                               torch::Device device, torch::ScalarType dtype) {
  // Where the layer's table comes from unless the file's is pinned.
  const auto own_table = own_table_source(fixture);
  RopeTablePlan plan;
  const auto cos_it = fixture.intermediates.find("rope_cos");
  const auto sin_it = fixture.intermediates.find("rope_sin");
  if (cos_it == fixture.intermediates.end() || sin_it == fixture.intermediates.end()) {
    plan.source = own_table;
    if (own_table == RopeTableSource::ThisBuild && fixture.dtype == "float64") {
      result.message = "(no RoPE table in the file: float64 judged at the portable bound)";
    }
    return plan;
  }
  const auto stored_cos = to_tensor(cos_it->second);
  const auto stored_sin = to_tensor(sin_it->second);
  const auto [cos, sin] = expected_rope_table(fixture, layer, device, dtype);
  // A file of this build holds the table this build computes: the layer's own must be it, bit
  // for bit, or pinning the file's would hide a drift of the layer's from every output.
  const bool this_build = made_by_this_build(fixture.provenance, c10::DeviceTypeName(device.type(), true));
  const auto tolerance = rope_table_tolerance(fixture.dtype, this_build);
  result.comparisons.push_back(white_box_check(compare_tensors("rope_cos", cos, stored_cos, tolerance)));
  result.comparisons.push_back(white_box_check(compare_tensors("rope_sin", sin, stored_sin, tolerance)));
  const auto& cos_check = result.comparisons.rbegin()[1];
  const auto& sin_check = result.comparisons.rbegin()[0];
  // bfloat16 keeps the layer's own table: the port computes its angles from float32
  // frequencies by design, and the bfloat16 rule judges it against the float64 output.
  // A table that is not the reference's is not pinned either: the outputs are then judged
  // with this build's table, so the verdict tells a wrong table from wrong outputs.
  const bool table_ok = cos_check.passed && sin_check.passed;
  const bool pin = dtype != torch::kBFloat16 && table_ok;
  char note[200];
  std::snprintf(note, sizeof note, "(RoPE table %s: %.3g float32 ulps from this build's, <= %g%s)",
                !table_ok ? "not the reference's, not pinned"
                : pin     ? "pinned from the file"
                          : "checked, not pinned in bfloat16",
                std::max(cos_check.max_abs_err, sin_check.max_abs_err) / kUnitRoundoffFloat32,
                tolerance.bound / kUnitRoundoffFloat32,
                this_build && dtype != torch::kBFloat16 ? ", the file made by this build" : "");
  result.message = note;
  if (pin) {
    plan.pin_cos = residue_half(stored_cos);
    plan.pin_sin = residue_half(stored_sin);
  }
  if (!table_ok) plan.source = own_table;
  return plan;
}

}  // namespace ttt::harness
