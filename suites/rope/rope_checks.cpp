// use_rope toggling: false matches its goldens and ignores positions entirely; true differs
// measurably from false on the same weights and inputs; flipping the option on a live module
// takes effect at once, both ways.
#include "suites/support/check.h"
#include "suites/golden/golden_checks.h"
#include "suites/support/test_support.h"

namespace ttt::checks {
namespace {

using testing::copy_parameters;
using testing::positions_from;
using testing::random_hidden;
using testing::random_layer;
using testing::relative_difference;

ttt::TTTOptions options(bool use_rope) { return ttt::TTTOptions(32, 2).mini_batch_size(8).use_rope(use_rope); }

CheckResult norope_goldens(const Factory& factory) {
  return golden_subset(factory, [](const harness::Fixture& f) { return !f.config.use_rope; }, "use_rope false");
}

// Where the shifted sequences start; the base one starts at 0.
const std::vector<int64_t> kNoRopeStarts{3, 1000001};

CheckResult norope_ignores_positions(const Factory& factory) {
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(false), torch::kFloat64, 61);
    const auto x = random_hidden(2, 29, 32, torch::kFloat64, 62);
    c10::InferenceMode inference;
    const auto base = layer->forward(x, positions_from(0, 29));
    const auto shuffled = torch::randint(0, 1 << 30, {2, 29}, torch::kInt64);
    for (const auto start : kNoRopeStarts) {
      const auto out = layer->forward(x, positions_from(start, 29));
      if (!torch::equal(out, base)) {
        return fail(ttt::to_string(type) + ": with use_rope=false the output depends on position_ids (positions from " +
                    std::to_string(start) + ", rel diff " + std::to_string(relative_difference(out, base)) + ")");
      }
    }
    for (const auto& positions : {shuffled}) {
      const auto out = layer->forward(x, positions);
      if (!torch::equal(out, base)) {
        return fail(ttt::to_string(type) + ": with use_rope=false the output still depends on position_ids (rel diff " +
                    std::to_string(relative_difference(out, base)) + ")");
      }
    }
  }
  std::string starts = "0";
  for (const auto start : kNoRopeStarts) starts += ", " + std::to_string(start);
  return pass("use_rope=false: outputs bit-identical for positions from " + starts + " and random per-row positions");
}

CheckResult rope_differs_from_norope(const Factory& factory) {
  double smallest = 1;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto with = random_layer(factory, type, options(true), torch::kFloat64, 63);
    auto without = factory(type, options(false));
    without->to(torch::kFloat64);
    copy_parameters(*with, *without);
    const auto x = random_hidden(2, 29, 32, torch::kFloat64, 64);
    const auto positions = positions_from(5, 29);
    c10::InferenceMode inference;
    const auto rel = relative_difference(with->forward(x, positions), without->forward(x, positions));
    smallest = std::min(smallest, rel);
    if (rel < 1e-3) {
      return fail(ttt::to_string(type) + ": use_rope=true and false give the same output on the same weights (rel diff " +
                  std::to_string(rel) + ")");
    }
  }
  return pass("use_rope=true differs from false by rel " + std::to_string(smallest) + " or more (bound 1e-3)");
}

CheckResult live_flip_takes_effect(const Factory& factory) {
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(true), torch::kFloat64, 65);
    auto fresh_off = factory(type, options(false));
    fresh_off->to(torch::kFloat64);
    copy_parameters(*layer, *fresh_off);
    const auto x = random_hidden(1, 20, 32, torch::kFloat64, 66);
    const auto positions = positions_from(9, 20);
    c10::InferenceMode inference;
    const auto on = layer->forward(x, positions);
    layer->options.use_rope(false);
    const auto flipped_off = layer->forward(x, positions);
    layer->options.use_rope(true);
    const auto flipped_back = layer->forward(x, positions);
    if (!torch::equal(flipped_off, fresh_off->forward(x, positions))) {
      return fail(ttt::to_string(type) + ": after options.use_rope(false) the live module does not match a layer built "
                                         "with use_rope=false");
    }
    if (!torch::equal(flipped_back, on)) {
      return fail(ttt::to_string(type) + ": flipping use_rope back to true did not restore the output");
    }
  }
  return pass("options.use_rope(false) on a live module equals a layer built without RoPE; flipping back restores it");
}

}  // namespace

std::vector<Check> rope_checks() {
  return {
      {"rope", "NoRopeMatchesItsGoldens", false, false, norope_goldens},
      {"rope", "NoRopeIgnoresPositions", false, false, norope_ignores_positions},
      {"rope", "RopeDiffersFromNoRope", false, false, rope_differs_from_norope},
      {"rope", "LiveFlipTakesEffect", false, false, live_flip_takes_effect},
  };
}

}  // namespace ttt::checks
