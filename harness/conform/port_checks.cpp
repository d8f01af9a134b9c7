#include <harness/conform/port_checks.h>

#include <harness/runner/compare.h>
#include <harness/runner/stability.h>
#include <harness/runner/tolerance.h>

#include <harness/fixture/config.h>
#include <harness/layer_io/layer_factory.h>
#include <harness/layer_io/random_layers.h>
#include <harness/layer_io/tensors.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace ttt::conform {
namespace {

using harness::CaseResult;
using harness::Status;
using ports::Port;
using ports::PortFailure;
using ports::PortIdentity;

constexpr ttt::LayerType kTypes[] = {ttt::LayerType::Linear, ttt::LayerType::MLP};

// The float64 policy (harness/runner/tolerance.cpp): two runs of one algorithm on the same
// values agree to this, relative; what a property requires to be unchanged is held to it.
double float64_bound() { return harness::direct_tolerance("float64").bound; }

// The small layer most checks use: hidden 32, 2 heads (head_dim 16), mini-batches of 16.
constexpr int64_t kK = 16;
ttt::TTTOptions small_layer() { return ttt::TTTOptions(32, 2).mini_batch_size(kK); }

// Shifts of every position by whole mini-batches, out to positions no trained context has seen,
// and by anything else.
const std::vector<int64_t> kWholeShifts{kK, 7 * kK, 62500 * kK /* 10^6 */, 1000000000000LL * kK};
const std::vector<int64_t> kOtherShifts{1, kK / 2, kK - 1, 3 * kK + 5, 1000001};
// A shift that is not a whole number of mini-batches moves RoPE's angles at order 1: far above
// float64 noise.
constexpr double kMustChange = 1e-6;
// RoPE on against off on the same weights: the rotation changes Q and K at order 1.
constexpr double kRopeMustMatter = 1e-3;

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

// Positions and shifts exactly as the check uses them (a shift of 1000001 is not "1e+06").
std::string list(const std::vector<int64_t>& values) {
  std::string out;
  for (const auto v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

void pass(CaseResult& r, const std::string& detail) {
  r.status = Status::Pass;
  r.message = detail;
}
void fail(CaseResult& r, const std::string& detail) {
  r.status = Status::Fail;
  r.message = detail;
}

// A layer of `type` and `options` with seeded random parameters (every one moved from its
// initialisation: harness/layer_io/random_layers.h), by upstream names, in `dtype`.
ports::LayerSpec random_spec(ttt::LayerType type, const ttt::TTTOptions& options, torch::ScalarType dtype,
                             uint64_t seed, const std::string& device = "cpu") {
  const auto layer = harness::random_layer(harness::production_layers(), type, options, torch::kFloat64, seed);
  ports::LayerSpec spec;
  spec.layer_type = ttt::to_string(type);
  spec.config = harness::detail::config_to_json(harness::layer_config(options), nlohmann::json::object());
  spec.device = device;
  spec.dtype = dtype;
  spec.source = "seeded random parameters (seed " + std::to_string(seed) + ")";
  for (const auto& p : layer->named_parameters()) spec.params[p.key()] = p.value().detach().to(dtype);
  return spec;
}

torch::Tensor hidden(int64_t batch, int64_t length, const ttt::TTTOptions& options, torch::ScalarType dtype,
                     uint64_t seed) {
  return harness::random_hidden(batch, length, options.hidden_size(), dtype, seed);
}

// The port's output for x at positions start..; one of another shape than x is no output to
// compare (a port that returned something else must not pass a check by broadcasting).
torch::Tensor output(Port& port, const torch::Tensor& x, int64_t start) {
  auto out = port.forward(x, harness::positions_from(start, x.size(1))).tensor;
  if (out.sizes() != x.sizes()) {
    throw std::runtime_error("the port returned shape " + c10::str(out.sizes()) + " for an input of shape " +
                             c10::str(x.sizes()));
  }
  return out;
}

// For each layer type: the layer of `spec` (its type set) on a seeded input at positions
// start.. against the same at positions start + shift.., for every shift; the first shift
// whose relative difference `fails` is reported by `failure(type, shift, rel)`. Returns the
// differences, or nothing when one failed (r is then set).
std::optional<std::vector<double>> shifted(Port& port, CaseResult& r, ports::LayerSpec (*spec_of)(ttt::LayerType),
                                           uint64_t input_seed, int64_t start, const std::vector<int64_t>& shifts,
                                           const std::function<bool(double)>& fails,
                                           const std::function<std::string(ttt::LayerType, int64_t, double)>& failure) {
  std::vector<double> all;
  for (const auto type : kTypes) {
    port.build(spec_of(type));
    const auto x = hidden(2, 40, small_layer(), torch::kFloat64, input_seed);
    const auto base = output(port, x, start);
    for (const auto shift : shifts) {
      const auto rel = harness::relative_difference(output(port, x, start + shift), base);
      if (fails(rel)) {
        fail(r, failure(type, shift, rel));
        return std::nullopt;
      }
      all.push_back(rel);
    }
  }
  return all;
}

bool over_float64_bound(double rel) { return !(rel <= float64_bound()); }

// ---- incident 4: positions reduced modulo mini_batch_size -----------------------------------

void position_modulo(Port& port, const PortIdentity&, CaseResult& r) {
  const auto rels = shifted(
      port, r, [](ttt::LayerType type) { return random_spec(type, small_layer(), torch::kFloat64, 11); }, 12, 5,
      kWholeShifts, over_float64_bound, [](ttt::LayerType type, int64_t shift, double rel) {
        return ttt::to_string(type) + ": shifting every position by " + std::to_string(shift) +
               " (a whole number of mini-batches of " + std::to_string(kK) + ") changed the output by rel " +
               number(rel) + " > " + number(float64_bound()) + ": RoPE does not see position_ids % mini_batch_size";
      });
  if (!rels) return;
  pass(r, "linear, mlp: every position shifted by " + list(kWholeShifts) + " (whole mini-batches of " +
              std::to_string(kK) + "): output unchanged, largest rel diff " +
              number(*std::max_element(rels->begin(), rels->end())) + " <= " + number(float64_bound()) + " (float64)");
}

void other_shifts_change(Port& port, const PortIdentity&, CaseResult& r) {
  const auto rels = shifted(
      port, r, [](ttt::LayerType type) { return random_spec(type, small_layer(), torch::kFloat64, 21); }, 22, 0,
      kOtherShifts, [](double rel) { return !(rel >= kMustChange); },
      [](ttt::LayerType type, int64_t shift, double rel) {
        return ttt::to_string(type) + ": shifting every position by " + std::to_string(shift) +
               " (not a whole number of mini-batches of " + std::to_string(kK) + ") left the output unchanged (rel diff " +
               number(rel) + " < " + number(kMustChange) + "): RoPE is not applied, or ignores position_ids";
      });
  if (!rels) return;
  pass(r, "linear, mlp: every position shifted by " + list(kOtherShifts) + ": output changed, smallest rel diff " +
              number(*std::min_element(rels->begin(), rels->end())) + " >= " + number(kMustChange));
}

// ---- incident 5: RoPE on Q and K only ----------------------------------------------------------

// With the Q and K projections zero, Q and K are zero, and rotating zero changes nothing: a
// layer that rotates only Q and K no longer sees positions at all (the learning rate, the
// token index and the gate read the input and the index within the mini-batch, never
// position_ids). A layer that rotates V too still does.
ports::LayerSpec zero_qk_spec(ttt::LayerType type) {
  auto spec = random_spec(type, small_layer(), torch::kFloat64, 31);
  spec.params.at("q_proj.weight").zero_();
  spec.params.at("k_proj.weight").zero_();
  return spec;
}

void only_q_and_k_rotated(Port& port, const PortIdentity&, CaseResult& r) {
  const auto rels = shifted(port, r, zero_qk_spec, 32, 0, kOtherShifts, over_float64_bound,
                            [](ttt::LayerType type, int64_t shift, double rel) {
                              return ttt::to_string(type) + ": with q_proj and k_proj zero, shifting positions by " +
                                     std::to_string(shift) + " changed the output by rel " + number(rel) + " > " +
                                     number(float64_bound()) + ": something besides Q and K is rotated (V?)";
                            });
  if (!rels) return;
  pass(r, "linear, mlp: with q_proj and k_proj zero the output ignores positions (shifts " + list(kOtherShifts) +
              ", largest rel diff " + number(*std::max_element(rels->begin(), rels->end())) + " <= " +
              number(float64_bound()) + "): RoPE reaches nothing but Q and K");
}

// ---- incident 3: use_rope takes effect ---------------------------------------------------------

ports::LayerSpec with_rope(ports::LayerSpec spec, bool use_rope) {
  spec.config["use_rope"] = use_rope;
  return spec;
}

// One layer's outputs, built with use_rope false and with true (the port is left holding the
// one built with true), on the same seeded weights and input at positions 3..
struct RopeOnOff {
  ports::LayerSpec spec;
  torch::Tensor x, off, on;
  double apart = 0;  // their relative difference
};

RopeOnOff rope_on_and_off(Port& port, ttt::LayerType type, uint64_t seed) {
  RopeOnOff run;
  run.spec = random_spec(type, small_layer(), torch::kFloat64, seed);
  run.x = hidden(2, 40, small_layer(), torch::kFloat64, seed + 1);
  port.build(with_rope(run.spec, false));
  run.off = output(port, run.x, 3);
  port.build(with_rope(run.spec, true));
  run.on = output(port, run.x, 3);
  run.apart = harness::relative_difference(run.off, run.on);
  return run;
}

// As built: use_rope false differs from true on the same weights, and ignores positions.
void use_rope_config(Port& port, const PortIdentity&, CaseResult& r) {
  std::string detail;
  for (const auto type : kTypes) {
    const auto run = rope_on_and_off(port, type, 41);
    if (!(run.apart >= kRopeMustMatter)) {
      return fail(r, ttt::to_string(type) + ": a layer built with use_rope false gives the output of use_rope true " +
                         "(rel diff " + number(run.apart) + " < " + number(kRopeMustMatter) + "): the flag does nothing");
    }
    port.build(with_rope(run.spec, false));
    const auto moved = harness::relative_difference(output(port, run.x, 3 + kOtherShifts[0]), run.off);
    if (!(moved <= float64_bound())) {
      return fail(r, ttt::to_string(type) + ": with use_rope false, shifting positions by " +
                         std::to_string(kOtherShifts[0]) + " changed the output by rel " + number(moved) +
                         " > " + number(float64_bound()) + ": positions still reach it");
    }
    detail += (detail.empty() ? "" : "; ") + ttt::to_string(type) + " off vs on rel " + number(run.apart);
  }
  pass(r, detail + " (>= " + number(kRopeMustMatter) + "); use_rope false ignores positions (<= " +
              number(float64_bound()) + ")");
}

// On a live module, both ways: built with true and flipped to false gives what a layer built
// with false gives, and the other way round; flipped back, the first output returns.
void use_rope_live_flip(Port& port, const PortIdentity&, CaseResult& r) {
  double worst = 0;
  for (const auto type : kTypes) {
    const auto run = rope_on_and_off(port, type, 43);  // the port holds the layer built with true
    const auto same = [&](const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
      const auto rel = harness::relative_difference(a, b);
      worst = std::max(worst, rel);
      if (rel <= float64_bound()) return true;
      fail(r, ttt::to_string(type) + ": " + what + " (rel diff " + number(rel) + " > " + number(float64_bound()) + ")");
      return false;
    };
    if (!(run.apart >= kRopeMustMatter)) {
      return fail(r, ttt::to_string(type) + ": use_rope false and true give the same output (rel diff " +
                         number(run.apart) + " < " + number(kRopeMustMatter) + "): there is nothing for a flip to change");
    }
    port.set_use_rope(false);
    if (!same(output(port, run.x, 3), run.off, "built with use_rope true, then set to false, it does not give the output of a layer built with false")) return;
    port.set_use_rope(true);
    if (!same(output(port, run.x, 3), run.on, "set back to true, it does not give its first output again")) return;
    port.build(with_rope(run.spec, false));
    port.set_use_rope(true);
    if (!same(output(port, run.x, 3), run.on, "built with use_rope false, then set to true, it does not give the output of a layer built with true")) return;
  }
  pass(r, "linear, mlp: use_rope set on the live module takes effect both ways and back (largest rel diff " +
              number(worst) + " <= " + number(float64_bound()) + " from the layer built that way)");
}

// ---- incident 2: bfloat16 end to end ---------------------------------------------------------

// The port in bfloat16 against its own float64 run on the same (bfloat16) values, held by the
// one policy's reference-error rule (harness/runner/tolerance.cpp) to the error a correct
// bfloat16 implementation makes on them: this repository's layer in bfloat16 against its own
// float64 run, itself held to upstream's own bfloat16 error by the bfloat16 goldens
// (docs/TOLERANCES.md, "Conformance checks"). The comparison is made on the errors: the port's
// (bf16 - its float64) set onto the yardstick's float64 output, so that the rule's "reference
// error" is the yardstick's own and a port whose float64 run is wrong gains no slack from it.
void bf16_round_trip(Port& port, const PortIdentity&, CaseResult& r) {
  const auto tolerance = harness::output_tolerance("bfloat16", /*with_fp64=*/true);
  for (const auto type : kTypes) {
    for (const bool share_qk : {false, true}) {
      const auto options = ttt::TTTOptions(64, 4).mini_batch_size(8).share_qk(share_qk).use_gate(share_qk);
      const auto spec = random_spec(type, options, torch::kBFloat16, 51);
      const auto x = hidden(2, 45, options, torch::kBFloat16, 52);
      const auto positions = harness::positions_from(1001, 45);
      port.build(spec);
      const auto out = port.forward(x, positions);
      const auto name = ttt::to_string(type) + (share_qk ? " share_qk+gate" : "");
      if (out.tensor.scalar_type() != torch::kBFloat16 || out.tensor.sizes() != x.sizes()) {
        return fail(r, name + ": the bfloat16 run returned " + std::string(c10::toString(out.tensor.scalar_type())) +
                           " " + c10::str(out.tensor.sizes()) + ", not bfloat16 " + c10::str(x.sizes()));
      }
      auto spec64 = spec;
      for (auto& [unused, t] : spec64.params) t = t.to(torch::kFloat64);
      spec64.dtype = torch::kFloat64;
      port.build(spec64);
      const auto own64 = port.forward(x.to(torch::kFloat64), positions).tensor;
      // The yardstick: a correct bfloat16 layer on the same values, and its float64 run.
      c10::InferenceMode inference;
      const auto yard = harness::random_layer(harness::production_layers(), type, options, torch::kBFloat16, 51);
      const auto yard64 = harness::random_layer(harness::production_layers(), type, options, torch::kBFloat16, 51);
      yard64->to(torch::kFloat64);
      const auto e = yard->forward(x, positions);
      const auto f = yard64->forward(x.to(torch::kFloat64), positions);
      const auto port_error_on_f = out.tensor.to(torch::kFloat64) - own64 + f;
      auto c = harness::compare_tensors(name + " bfloat16 error", port_error_on_f, e, tolerance, f);
      r.comparisons.push_back(c);
      if (!c.passed) return fail(r, "(" + name + ": bfloat16 error beyond what a correct bfloat16 layer makes)");
    }
  }
  r.status = Status::Pass;
}

// ---- incident 1: everything on the device --------------------------------------------------

void cuda_placement(Port& port, const PortIdentity& identity, CaseResult& r) {
  if (!identity.cuda_available) {
    r.status = Status::Skip;
    r.message = "the port sees no CUDA device, so RoPE tables built on the CPU for a CUDA input (incident 1) "
                "cannot be checked here: run conform on a machine with a GPU";
    return;
  }
  const auto tolerance = harness::output_tolerance("float32", /*with_fp64=*/true);
  for (const auto type : kTypes) {
    const auto options = ttt::TTTOptions(64, 4).mini_batch_size(kK);
    const auto x = hidden(2, 75, options, torch::kFloat32, 55);
    const auto positions = harness::positions_from(7, 75);
    const auto spec = random_spec(type, options, torch::kFloat32, 54, "cuda");
    const auto built = port.build(spec);
    for (const auto& [name, unused] : spec.params) {
      if (!built.tensor_devices.count(name)) {
        return fail(r, ttt::to_string(type) + ": built for cuda, the port says nothing of where its " + name +
                           " is (tensor_devices): placement cannot be judged");
      }
    }
    for (const auto& [name, device] : built.tensor_devices) {
      if (device.rfind("cuda", 0) != 0) {
        return fail(r, ttt::to_string(type) + ": built for cuda, its " + name + " is on " + device);
      }
    }
    const auto on_cuda = port.forward(x, positions);
    if (on_cuda.tensor.sizes() != x.sizes()) {
      return fail(r, ttt::to_string(type) + ": on cuda the port returned shape " + c10::str(on_cuda.tensor.sizes()));
    }
    if (on_cuda.device.rfind("cuda", 0) != 0) {
      return fail(r, ttt::to_string(type) + ": its output for a CUDA input was on " + on_cuda.device);
    }
    port.build(random_spec(type, options, torch::kFloat32, 54));
    const auto on_cpu = port.forward(x, positions).tensor;
    port.build(random_spec(type, options, torch::kFloat64, 54));
    const auto truth = port.forward(x.to(torch::kFloat64), positions).tensor;
    const auto c = harness::compare_tensors(ttt::to_string(type) + " cuda output", on_cuda.tensor, on_cpu, tolerance, truth);
    r.comparisons.push_back(c);
    if (!c.passed) return fail(r, "CUDA float32 less accurate than CPU float32 against float64");
  }
  r.status = Status::Pass;
  r.message = "parameters, buffers and outputs on cuda; CUDA float32 as accurate as CPU float32 against float64";
}

// ---- long sequences -------------------------------------------------------------------------

constexpr int64_t kLongLength = 16384;

void long_stability(Port& port, const PortIdentity&, CaseResult& r) {
  const auto options = ttt::TTTOptions(64, 4).mini_batch_size(kK);
  std::ostringstream detail;
  for (const auto type : kTypes) {
    const auto x = hidden(1, kLongLength, options, torch::kFloat64, 71);
    port.build(random_spec(type, options, torch::kFloat64, 72));
    const auto truth = output(port, x, 0);
    for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      port.build(random_spec(type, options, dtype, 72));
      const auto name = ttt::to_string(type) + " " + harness::dtype_name(dtype) + " vs float64";
      const auto v = harness::judge_stability(output(port, x.to(dtype), 0), truth, kK, name);
      if (!v.passed) return fail(r, v.failure + " (L = " + std::to_string(kLongLength) + ")");
      detail << (detail.tellp() > 0 ? "; " : "") << name << " error x" << number(v.growth()) << " <= x"
             << number(v.growth_bound) << ", rms max/median " << number(v.rms_max / v.rms_median);
    }
  }
  pass(r, "L = " + std::to_string(kLongLength) + ", finite: " + detail.str());
}

// ---- streaming -----------------------------------------------------------------------------

// A stream of calls with cumulative positions, as decoding makes them: whole mini-batches,
// single tokens into the middle of one, a call that starts on a boundary and ends inside a
// mini-batch, single tokens again. Every multi-token call starts on a boundary (the reference
// refuses any other).
const std::vector<int64_t> kStreamCalls{2 * kK, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, kK + 7, 1, 1, 1};

void streaming_equals_one_shot(Port& port, const PortIdentity&, CaseResult& r) {
  int64_t length = 0;
  for (const auto n : kStreamCalls) length += n;
  double worst = 0;
  for (const auto type : kTypes) {
    port.build(random_spec(type, small_layer(), torch::kFloat64, 81));
    const auto x = hidden(2, length, small_layer(), torch::kFloat64, 82);
    const auto one_shot = output(port, x, 0);
    port.stream_begin(2);
    std::vector<torch::Tensor> parts;
    int64_t at = 0;
    for (const auto n : kStreamCalls) {
      parts.push_back(port.stream(x.slice(1, at, at + n), harness::positions_from(at, n)).output.tensor);
      at += n;
    }
    const auto rel = harness::relative_difference(torch::cat(parts, 1), one_shot);
    if (!(rel <= float64_bound())) {
      return fail(r, ttt::to_string(type) + ": " + std::to_string(kStreamCalls.size()) + " streaming calls over " +
                         std::to_string(length) + " tokens differ from one call by rel " + number(rel) + " > " +
                         number(float64_bound()));
    }
    worst = std::max(worst, rel);
  }
  pass(r, "linear, mlp: " + std::to_string(kStreamCalls.size()) + " calls (" + std::to_string(2 * kK) + " tokens, " +
              "single tokens, " + std::to_string(kK + 7) + " from a boundary, single tokens; " + std::to_string(length) +
              " in all) equal one call, largest rel diff " + number(worst) + " <= " + number(float64_bound()) +
              " (float64)");
}

// ---- what only this repository's layer can undergo -------------------------------------------

// `check` judges these on the C++ layer's internals (harness/runner/white_box.h); no port
// interface reaches them, so for a port they are said, never passed.
std::function<void(Port&, const PortIdentity&, CaseResult&)> white_box(const std::string& what) {
  return [what](Port&, const PortIdentity&, CaseResult&) {
    throw PortFailure(PortFailure::Kind::NotSupported,
                      what + " is read from the layer's internals, which the port interface does not reach; "
                             "ttt-harness check judges it for this repository's layer (docs/PORTS.md)");
  };
}

}  // namespace

std::string check_case_id(const PortCheck& check) { return "check/" + check.id; }

const std::vector<PortCheck>& port_checks() {
  static const std::vector<PortCheck> checks{
      {"device.cuda_placement", 1,
       "built and run on CUDA, every parameter, buffer and output stays there, and CUDA float32 is as accurate as CPU "
       "float32",
       cuda_placement},
      {"bf16.round_trip", 2,
       "runs end to end in bfloat16 (linear, mlp, share_qk + gate), its error against its own float64 run within the "
       "one policy's bound",
       bf16_round_trip},
      {"use_rope.config_takes_effect", 3, "a layer built with use_rope false differs from true and ignores positions",
       use_rope_config},
      {"use_rope.live_flip_both_ways", 3, "use_rope set on a live module takes effect, both ways and back",
       use_rope_live_flip},
      {"rope.position_modulo", 4,
       "shifting every position by whole mini-batches, out to " + std::to_string(kWholeShifts.back()) +
           ", leaves the output unchanged",
       position_modulo},
      {"rope.other_shifts_change", 0, "shifting positions by anything else changes the output", other_shifts_change},
      {"rope.only_q_and_k_rotated", 5, "with Q and K zero the output ignores positions: RoPE reaches nothing else",
       only_q_and_k_rotated},
      {"long.stability_" + std::to_string(kLongLength), 0,
       "float32 and bfloat16 at L = " + std::to_string(kLongLength) + " on the CPU: finite, bounded per-mini-batch norms, error against float64 "
       "that does not grow with position",
       long_stability},
      {"streaming.equals_one_shot", 0, "streaming calls with cumulative positions equal one call",
       streaming_equals_one_shot},
      {"white_box.rope_table", 0,
       "the layer's own RoPE table against a fixture's stored one, and a bfloat16 layer's against the exact one",
       white_box("the RoPE table the layer rotates with")},
      {"white_box.layer_norm_statistics", 0,
       "a bfloat16 layer's inner layer-norm statistics against exact ones, within their derived rounding bound",
       white_box("the inner layer norm's statistics")},
      {"white_box.rotated_qk", 0, "the rotated Q and K against a fixture's /intermediates/XQ_rope, XK_rope",
       white_box("the rotated Q and K")},
  };
  return checks;
}

}  // namespace ttt::conform
