#include "suites/support/test_support.h"

#include "harness/layer_io/random_layers.h"
#include "ttt_paths.h"

#include <harness/fixture/hdf5_attribute.h>

#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace fs = std::filesystem;

namespace ttt::testing {
namespace {
// Suites are many small tensor operations: one intra-op thread keeps them deterministic and
// fast even when the machine's two cores are shared (OpenMP spin-waits collapse otherwise).
const bool kOneThread = [] {
  torch::set_num_threads(1);
  return true;
}();
}  // namespace

std::vector<std::string> committed_fixtures() {
  std::vector<std::string> files;
  // Sub-folders too: fixtures/checkpoint/ holds the real-shape goldens from a checkpoint.
  for (const auto& entry : fs::recursive_directory_iterator(TTT_FIXTURES_DIR)) {
    if (entry.path().extension() == ".h5") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool has_gradients(const std::string& fixture_path) {
  // Committed fixtures are verified against their manifest, so a direct HDF5 peek is safe.
  const hid_t file = H5Fopen(fixture_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return false;
  const bool found = H5Lexists(file, "/grads", H5P_DEFAULT) > 0;
  H5Fclose(file);
  return found;
}

bool float64_depends_on_rope_table(const std::string& fixture_path) {
  const hid_t file = H5Fopen(fixture_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return false;
  bool depends = false;
  try {
    if (harness::detail::read_string_attribute(file, "dtype") == "float64") {
      const auto config = nlohmann::json::parse(harness::detail::read_string_attribute(file, "config"));
      depends = config.at("use_rope").get<bool>() && config.at("mini_batch_size").get<int64_t>() > 1;
    }
  } catch (const std::exception&) {
    depends = false;  // not a readable fixture: the golden suites report that themselves
  }
  H5Fclose(file);
  return depends;
}

std::string test_name_for(const std::string& fixture_path) {
  auto name = fs::path(fixture_path).stem().string();
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

void copy_parameters(const ttt::TTTBaseImpl& from, ttt::TTTBaseImpl& to) {
  torch::NoGradGuard no_grad;
  const auto source = from.named_parameters();
  for (auto& param : to.named_parameters()) param.value().copy_(source[param.key()]);
}

torch::Tensor prefill_then_tokens(ttt::TTTBaseImpl& layer, const torch::Tensor& x, int64_t prompt, ttt::TTTCache& cache) {
  std::vector<torch::Tensor> parts{ttt::forward_cached(layer, cache, x.slice(1, 0, prompt))};
  for (int64_t t = prompt; t < x.size(1); ++t) parts.push_back(ttt::forward_cached(layer, cache, x.slice(1, t, t + 1)));
  return torch::cat(parts, 1);
}


}  // namespace ttt::testing
