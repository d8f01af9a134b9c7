// Decode with a cache: the dual form equals the primal form on the same mini-batch; one
// prefill equals a prefill followed by single tokens from any point; chunked streaming with
// cumulative positions equals one-shot; a saved and restored cache resumes identically;
// calls the reference does not support are refused with a clear error; decode goldens pass.
#include "suites/decode/decode_checks.h"

#include "suites/golden/golden_checks.h"
#include "suites/support/test_support.h"

#include <harness/layer_io/cache_io.h>
#include <harness/runner/compare.h>
#include <harness/layer_io/tensors.h>
#include <harness/runner/tolerance.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <sstream>

namespace ttt::checks {
namespace {

using testing::copy_parameters;
using testing::positions_from;
using testing::prefill_then_tokens;
using testing::random_hidden;
using testing::random_layer;

constexpr int64_t kK = 8;

struct Variant {
  std::string name;
  ttt::TTTOptions options;
  // share_qk decodes its convolution from a float32 window (as the reference's cache keeps
  // it), so its single-token path only matches prefill to float32 rounding: run in float32.
  torch::ScalarType dtype;
};

std::vector<Variant> variants() {
  return {
      {"plain", ttt::TTTOptions(32, 2).mini_batch_size(kK), torch::kFloat64},
      {"gate", ttt::TTTOptions(32, 2).mini_batch_size(kK).use_gate(true).ttt_base_lr(0.7), torch::kFloat64},
      {"share_qk", ttt::TTTOptions(32, 2).mini_batch_size(kK).share_qk(true).conv_kernel(3), torch::kFloat32},
  };
}

const std::vector<ttt::LayerType>& types() {
  static const std::vector<ttt::LayerType> all{ttt::LayerType::Linear, ttt::LayerType::MLP};
  return all;
}

// Same computation by another route: judged by the float64 policy, or the float32 one.
harness::Comparison same(const std::string& what, const torch::Tensor& actual, const torch::Tensor& expected) {
  return harness::compare_tensors(what, actual, expected, harness::direct_tolerance(harness::dtype_name(expected.scalar_type())));
}

std::string label(ttt::LayerType type, const Variant& v) { return ttt::to_string(type) + "/" + v.name; }

CheckResult dual_equals_primal(const Factory& factory) {
  std::ostringstream detail;
  for (const auto type : types()) {
    for (const auto& v : variants()) {
      auto layer = random_layer(factory, type, v.options, v.dtype, 81);
      c10::InferenceMode inference;
      // A partial mini-batch: without a cache the dual form, with one the primal form (which
      // also keeps the gradients); 5 and 8 + 5 tokens.
      for (const int64_t length : {int64_t{5}, kK + 5}) {
        const auto x = random_hidden(2, length, 32, v.dtype, 82 + length);
        const auto dual = layer->forward(x, positions_from(0, length));
        ttt::TTTCache cache(*layer, 2);
        const auto primal = ttt::forward_cached(*layer, cache, x);
        const auto c = same("output", primal, dual);
        if (!c.passed) return fail(label(type, v) + " L=" + std::to_string(length) + ": primal vs dual " + c.summary());
      }
      // A whole mini-batch: in one call (dual) and token by token (primal), same final state.
      const auto x = random_hidden(2, kK, 32, v.dtype, 83);
      ttt::TTTCache whole(*layer, 2), tokens(*layer, 2);
      const auto dual = ttt::forward_cached(*layer, whole, x);
      const auto primal = prefill_then_tokens(*layer, x, 1, tokens);
      const auto c = same("output", primal, dual);
      if (!c.passed) return fail(label(type, v) + ": a mini-batch token by token vs at once " + c.summary());
      for (const auto& [name, t] : whole.tensors()) {
        const auto s = same(name, tokens.tensors().at(name), t);
        if (!s.passed) return fail(label(type, v) + ": state after a mini-batch token by token vs at once: " + s.tensor + " " + s.summary());
      }
      detail << label(type, v) << " rel " << c.max_rel_err << "; ";
    }
  }
  return pass("dual form == primal form (partial and whole mini-batches, outputs and state): " + detail.str());
}

CheckResult prefill_equals_prefill_plus_tokens(const Factory& factory) {
  constexpr int64_t kLength = 37;
  double worst = 0;
  for (const auto type : types()) {
    for (const auto& v : variants()) {
      auto layer = random_layer(factory, type, v.options, v.dtype, 84);
      const auto x = random_hidden(2, kLength, 32, v.dtype, 85);
      c10::InferenceMode inference;
      const auto one_shot = layer->forward(x, positions_from(0, kLength));
      ttt::TTTCache reference_cache(*layer, 2);
      ttt::forward_cached(*layer, reference_cache, x);
      // Every mini-batch boundary, and prompts that end inside a mini-batch.
      for (const int64_t prompt : {int64_t{1}, int64_t{5}, kK, int64_t{13}, 2 * kK, 3 * kK, 4 * kK, kLength - 1}) {
        ttt::TTTCache cache(*layer, 2);
        const auto c = same("output", prefill_then_tokens(*layer, x, prompt, cache), one_shot);
        if (!c.passed) {
          return fail(label(type, v) + ": prefill " + std::to_string(prompt) + " + single tokens vs one prefill of " +
                      std::to_string(kLength) + ": " + c.summary());
        }
        worst = std::max(worst, c.max_rel_err);
        for (const auto& [name, t] : reference_cache.tensors()) {
          const auto s = same(name, cache.tensors().at(name), t);
          if (!s.passed) return fail(label(type, v) + ": final " + name + " after prompt " + std::to_string(prompt) + ": " + s.summary());
        }
      }
    }
  }
  std::ostringstream out;
  out << "one prefill == prefill of 1, 5, 8, 13, 16, 24, 32, 36 + single tokens (outputs and final cache); worst rel "
      << worst;
  return pass(out.str());
}

CheckResult chunked_streaming_equals_one_shot(const Factory& factory) {
  // Chunks start on mini-batch boundaries; single tokens carry the stream across a partial
  // mini-batch (16 + 8 + 5 tokens + 3 tokens + 24 + 7 = 63), positions counting on.
  const std::vector<int64_t> pieces{16, 8, 1, 1, 1, 1, 1, 1, 1, 1, 24, 7};
  double worst = 0;
  for (const auto type : types()) {
    for (const auto& v : variants()) {
      auto layer = random_layer(factory, type, v.options, v.dtype, 86);
      const auto x = random_hidden(1, 63, 32, v.dtype, 87);
      c10::InferenceMode inference;
      const auto one_shot = layer->forward(x, positions_from(0, 63));
      ttt::TTTCache cache(*layer, 1);
      std::vector<torch::Tensor> parts;
      int64_t at = 0;
      for (const auto n : pieces) {
        parts.push_back(ttt::forward_cached(*layer, cache, x.slice(1, at, at + n)));
        at += n;
      }
      const auto c = same("output", torch::cat(parts, 1), one_shot);
      if (!c.passed) return fail(label(type, v) + ": chunked stream vs one-shot " + c.summary());
      worst = std::max(worst, c.max_rel_err);
    }
  }
  std::ostringstream out;
  out << "16 + 8 + 8 single tokens + 24 + 7 with cumulative positions == one-shot prefill of 63; worst rel " << worst;
  return pass(out.str());
}

CheckResult refuses_unsupported_calls(const Factory& factory) {
  const auto expect_refusal = [](const std::function<void()>& call, const std::string& needle) -> std::string {
    try {
      call();
    } catch (const c10::Error& e) {
      const std::string message = e.what_without_backtrace();
      if (message.find(needle) != std::string::npos) return "";
      return "refused, but the message does not say '" + needle + "': " + message;
    }
    return "accepted (expected a refusal mentioning '" + needle + "')";
  };
  std::vector<std::string> problems;
  for (const auto type : types()) {
    auto layer = random_layer(factory, type, variants()[0].options, torch::kFloat64, 88);
    const auto x = random_hidden(2, 40, 32, torch::kFloat64, 89);
    c10::InferenceMode inference;
    ttt::TTTCache cache(*layer, 2);
    ttt::forward_cached(*layer, cache, x.slice(1, 0, 5));  // offset 5: inside a mini-batch
    for (const int64_t n : {int64_t{2}, kK, kK + 3}) {
      const auto why = expect_refusal([&] { ttt::forward_cached(*layer, cache, x.slice(1, 5, 5 + n)); }, "mini-batch boundary");
      if (!why.empty()) problems.push_back(ttt::to_string(type) + ": " + std::to_string(n) + " tokens at offset 5: " + why);
    }
    if (cache.seqlen_offset() != 5) problems.push_back("a refused call moved the cache offset");
    ttt::TTTCache other(*layer, 1);
    const auto why = expect_refusal([&] { ttt::forward_cached(*layer, other, x.slice(1, 0, 4)); }, "batch rows");
    if (!why.empty()) problems.push_back(ttt::to_string(type) + ": batch mismatch: " + why);
  }
  if (!problems.empty()) return fail(problems.front());
  return pass("multi-token calls inside a mini-batch and a cache of another batch size are refused with messages "
              "that say why, and a refused call leaves the cache as it was");
}

}  // namespace

CheckResult resumes_after_restore(const Factory& factory, const SaveCache& save) {
  namespace fs = std::filesystem;
  constexpr int64_t kMiniBatch = kK, kSavedAt = 19, kLength = 40;  // saved 3 tokens into the second mini-batch
  const auto dir = fs::temp_directory_path() / ("ttt_cache_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string problem;
  for (const auto type : types()) {
    for (const auto& v : variants()) {
      auto layer = random_layer(factory, type, v.options, v.dtype, 91);
      auto resumed_layer = factory(type, v.options);
      resumed_layer->to(v.dtype);
      copy_parameters(*layer, *resumed_layer);
      const auto x = random_hidden(2, kLength, 32, v.dtype, 92);
      c10::InferenceMode inference;
      ttt::TTTCache cache(*layer, 2);
      prefill_then_tokens(*layer, x.slice(1, 0, kSavedAt), 13, cache);  // mid mini-batch
      const auto path = (dir / (label(type, v).replace(label(type, v).find('/'), 1, "_") + ".h5")).string();
      save(cache, *layer, path);
      ttt::TTTCache resumed(*resumed_layer, 2);
      harness::restore_cache(resumed, *resumed_layer, path);
      for (int64_t t = kSavedAt; t < kLength && problem.empty(); ++t) {
        const auto a = ttt::forward_cached(*layer, cache, x.slice(1, t, t + 1));
        const auto b = ttt::forward_cached(*resumed_layer, resumed, x.slice(1, t, t + 1));
        if (!torch::equal(a, b)) {
          problem = label(type, v) + ": token " + std::to_string(t) + " after restoring differs (rel " +
                    std::to_string(testing::relative_difference(b, a)) + ")";
        }
      }
      for (const auto& [name, t] : cache.tensors()) {
        if (problem.empty() && !torch::equal(t, resumed.tensors().at(name))) {
          problem = label(type, v) + ": final " + name + " differs after restoring";
        }
      }
    }
  }
  fs::remove_all(dir);
  if (!problem.empty()) return fail(problem);
  return pass("saved to HDF5 after " + std::to_string(kSavedAt) + " tokens (" + std::to_string(kSavedAt % kMiniBatch) +
              " into a mini-batch of " + std::to_string(kMiniBatch) + ") and restored into a fresh layer: " +
              std::to_string(kLength - kSavedAt) + " more tokens and the final cache bit-identical (linear, mlp; " +
              "plain, gate, share_qk)");
}

namespace {

// Every option the layer says may change on a live module (check_inputs) takes effect on the
// next call, as use_rope does (rope.LiveFlipTakesEffect): ttt_base_lr scales the inner
// loop's learning rate, prefill_chunk_tokens how a long prefill is cut. Each, set on a live
// layer, must give what a layer built with it gives on the same weights, bit for bit, and
// setting it back must restore the output.
CheckResult live_options_take_effect(const Factory& factory) {
  struct Live {
    std::string name;
    std::function<void(ttt::TTTOptions&, bool)> set;  // false: as built, true: the other value
    int64_t length;
  };
  const std::vector<Live> live{
      {"ttt_base_lr", [](ttt::TTTOptions& o, bool other) { o.ttt_base_lr(other ? 0.3 : 1.0); }, 24},
      {"prefill_chunk_tokens", [](ttt::TTTOptions& o, bool other) { o.prefill_chunk_tokens(other ? 16 : 0); }, 40},
  };
  std::string checked;
  for (const auto type : types()) {
    for (const auto& option : live) {
      auto built = ttt::TTTOptions(32, 2).mini_batch_size(kK);
      option.set(built, false);
      auto other_options = built;
      option.set(other_options, true);
      auto layer = random_layer(factory, type, built, torch::kFloat64, 95);
      auto fresh = factory(type, other_options);
      fresh->to(torch::kFloat64);
      copy_parameters(*layer, *fresh);
      const auto x = random_hidden(2, option.length, 32, torch::kFloat64, 96);
      const auto positions = positions_from(3, option.length);
      c10::InferenceMode inference;
      const auto before = layer->forward(x, positions);
      option.set(layer->options, true);
      const auto changed = layer->forward(x, positions);
      const auto expected = fresh->forward(x, positions);
      option.set(layer->options, false);
      const auto restored = layer->forward(x, positions);
      if (!torch::equal(changed, expected)) {
        return fail(ttt::to_string(type) + ": " + option.name + " set on a live module does not give what a layer " +
                    "built with it gives (rel diff " + std::to_string(testing::relative_difference(changed, expected)) +
                    ")");
      }
      if (!torch::equal(restored, before)) {
        return fail(ttt::to_string(type) + ": setting " + option.name + " back did not restore the output");
      }
      if (type == types().front()) checked += (checked.empty() ? "" : ", ") + option.name;
    }
  }
  return pass("linear, mlp: " + checked + " set on a live module equal a layer built with them; set back, restored");
}

}  // namespace

std::vector<Check> decode_checks() {
  return {
      {"decode", "DualFormEqualsPrimalForm", false, false, dual_equals_primal},
      {"decode", "PrefillEqualsPrefillPlusSingleTokens", false, false, prefill_equals_prefill_plus_tokens},
      {"decode", "ChunkedStreamingEqualsOneShot", false, false, chunked_streaming_equals_one_shot},
      {"decode", "RestoredCacheResumesIdentically", false, false,
       [](const Factory& f) { return resumes_after_restore(f, harness::save_cache); }},
      {"decode", "UnsupportedCallsAreRefused", false, false, refuses_unsupported_calls},
      {"decode", "LiveOptionsTakeEffect", false, false, live_options_take_effect},
      {"decode", "DecodeGoldens", false, false,
       [](const Factory& f) {
         return golden_subset(f, [](const harness::Fixture& fx) { return fx.mode == "decode"; }, "decode");
       }},
  };
}

}  // namespace ttt::checks
