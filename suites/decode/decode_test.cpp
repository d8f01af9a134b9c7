// Decode suite: the invariants live in suites/decode/decode_checks.cpp; the layer mutants
// that break them are in the mutation suite. The cache file's own mutant is here: a save
// that drops the carried gradients must be caught by the restore invariant.
#include "suites/support/check_test.h"
#include "suites/decode/decode_checks.h"

#include <harness/layer_io/cache_io.h>

TTT_CHECK_SUITE(Decode, "decode", false);

namespace ttt::checks {
namespace {

// Test-only: saves the cache with every *_grad zeroed, as a serializer that forgets them would.
void save_without_gradients(const ttt::TTTCache& cache, const ttt::TTTBaseImpl& layer, const std::string& path) {
  ttt::TTTCache lossy(layer, cache.batch_size());
  auto tensors = cache.tensors();
  for (auto& [name, t] : tensors) {
    if (name.find("_grad") != std::string::npos) t = torch::zeros_like(t);
  }
  lossy.restore(tensors, cache.seqlen_offset());
  harness::save_cache(lossy, layer, path);
}

TEST(DecodeMutation, LossyCacheSaveIsCaught) {
  const auto result = resumes_after_restore(harness::production_layers(), save_without_gradients);
  std::cout << "lossy save: " << result.detail << std::endl;
  EXPECT_FALSE(result.passed) << "a cache saved without its carried gradients resumed identically";
}

}  // namespace
}  // namespace ttt::checks
