// Long-sequence stability. CPU tier to L = 16384 (to 131072 in the nightly tier), GPU tier to L = 131072: finite outputs,
// bounded per-mini-batch output norms, float32/bf16 error against a float64 run that does
// not grow with position beyond the stated bound, chunked prefill (with a cache, and the
// layer's own chunks) equal to one-shot, peak memory at most linear in L. The
// error-versus-position series goes to $TTT_REPORT_DIR for reports.
#include "suites/support/check.h"
#include "suites/support/test_support.h"

#include "ttt_paths.h"

#include <harness/fixture/atomic_file.h>
#include <harness/layer_io/tensors.h>
#include <harness/runner/stability.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace ttt::checks {
namespace {

using testing::positions_from;
using testing::random_hidden;
using testing::random_layer;
using testing::relative_difference;

constexpr int64_t kK = 16;

ttt::TTTOptions options() { return ttt::TTTOptions(64, 4).mini_batch_size(kK); }

struct Series {
  std::string name, layer_type, dtype, device;
  int64_t seq_len = 0;
  std::vector<int64_t> positions;
  std::vector<double> max_abs_err;
  double bound = 0;
  bool passed = false;
};

void record(const std::vector<Series>& series) {
  const char* dir = std::getenv("TTT_REPORT_DIR");
  if (dir == nullptr || series.empty()) return;  // unset: not a reporting run (e.g. the mutation suite)
  const auto path = std::filesystem::path(dir) / "long_sequence.json";
  nlohmann::json doc = {{"schema_version", 1}, {"series", nlohmann::json::array()}};
  if (std::filesystem::exists(path)) {
    try {
      doc = nlohmann::json::parse(harness::read_file(path.string()));
    } catch (const std::exception&) {
      // A damaged earlier file is replaced, not merged.
    }
  }
  auto& all = doc["series"];
  for (const auto& s : series) {
    nlohmann::json entry = {{"name", s.name},       {"layer_type", s.layer_type}, {"dtype", s.dtype},
                            {"device", s.device},   {"seq_len", s.seq_len},       {"mini_batch_size", kK},
                            {"positions", s.positions}, {"max_abs_err", s.max_abs_err}, {"bound", s.bound},
                            {"passed", s.passed}};
    bool replaced = false;
    for (auto& old : all) {
      if (old.value("name", "") == s.name) {
        old = entry;
        replaced = true;
      }
    }
    if (!replaced) all.push_back(entry);
  }
  harness::write_file_atomically(path.string(), doc.dump() + "\n");
}

// Downsamples a per-mini-batch series to at most `points` (max over each bucket).
void downsample(Series& s, const std::vector<double>& errors, int64_t points) {
  const auto n = static_cast<int64_t>(errors.size());
  const auto bucket = std::max<int64_t>(1, (n + points - 1) / points);
  for (int64_t start = 0; start < n; start += bucket) {
    double worst = 0;
    for (int64_t i = start; i < std::min(n, start + bucket); ++i) worst = std::max(worst, errors[i]);
    s.positions.push_back(start * kK);
    s.max_abs_err.push_back(worst);
  }
}

CheckResult stability(const Factory& factory, int64_t length, const torch::Device& device) {
  std::ostringstream detail;
  std::vector<Series> series;
  bool ok = true;
  std::string failure;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    const auto x64 = random_hidden(1, length, 64, torch::kFloat64, 71, device);
    const auto positions = positions_from(0, length, device);
    c10::InferenceMode inference;
    const auto truth = random_layer(factory, type, options(), torch::kFloat64, 72, device)->forward(x64, positions);
    for (const auto dtype : {torch::kFloat32, torch::kBFloat16}) {
      auto layer = random_layer(factory, type, options(), dtype, 72, device);
      const auto out = layer->forward(x64.to(dtype), positions);
      const auto name = ttt::to_string(type) + " " + harness::dtype_name(dtype) + " vs float64 on " + device.str();
      const auto verdict = harness::judge_stability(out, truth, kK, name);
      if (verdict.errors.empty()) return fail(verdict.failure);  // not finite: nothing to plot
      if (!verdict.passed) {
        ok = false;
        failure = verdict.failure;
      }
      Series s;
      s.name = name;
      s.layer_type = ttt::to_string(type);
      s.dtype = harness::dtype_name(dtype);
      s.device = device.str();
      s.seq_len = length;
      downsample(s, verdict.errors, 256);
      s.bound = verdict.growth_bound * verdict.first;
      s.passed = verdict.last <= verdict.growth_bound * verdict.first;
      detail << name << ": err first " << verdict.first << " last " << verdict.last << " (x" << verdict.growth()
             << " <= " << verdict.growth_bound << "), rms max/median " << verdict.rms_max / verdict.rms_median << "; ";
      series.push_back(std::move(s));
    }
  }
  record(series);
  return ok ? pass("L = " + std::to_string(length) + ": " + detail.str()) : fail(failure);
}

CheckResult chunked_equals_one_shot(const Factory& factory) {
  const std::vector<int64_t> chunks{1024, 2048, 1008, 23};  // whole mini-batches, then a remainder
  int64_t length = 0;
  for (auto c : chunks) length += c;
  std::ostringstream detail;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(), torch::kFloat64, 73);
    const auto x = random_hidden(2, length, 64, torch::kFloat64, 74);
    c10::InferenceMode inference;
    layer->options.prefill_chunk_tokens(0);  // one pass, whatever the default chunking
    const auto one_shot = layer->forward(x, positions_from(0, length));
    ttt::TTTCache cache(*layer, 2);
    std::vector<torch::Tensor> parts;
    int64_t offset = 0;
    for (auto c : chunks) {
      parts.push_back(ttt::forward_cached(*layer, cache, x.slice(1, offset, offset + c)));
      offset += c;
    }
    const auto rel = relative_difference(torch::cat(parts, 1), one_shot);
    if (rel > 1e-10) {  // the float64 policy
      return fail(ttt::to_string(type) + ": chunked prefill (1024+2048+1008+23 with a cache) differs from one-shot by rel " +
                  std::to_string(rel) + " > 1e-10");
    }
    detail << ttt::to_string(type) << " rel " << rel << "; ";
  }
  return pass("chunked prefill with cumulative positions equals one-shot, L = " + std::to_string(length) + ", float64: " + detail.str());
}

// A prefill the layer itself splits into chunks (TTTOptions::prefill_chunk_tokens: each chunk
// starts from the fast weights the previous one ended with) equals one pass, in float64 to
// the float64 policy: for the default chunk size and a small one, with a remainder at the end.
CheckResult internal_chunks_equal_one_shot(const Factory& factory) {
  const int64_t length = 4103;  // two default chunks of 2048, then 7 tokens
  std::ostringstream detail;
  for (const auto type : {ttt::LayerType::Linear, ttt::LayerType::MLP}) {
    auto layer = random_layer(factory, type, options(), torch::kFloat64, 75);
    const auto x = random_hidden(2, length, 64, torch::kFloat64, 76);
    const auto positions = positions_from(0, length);
    c10::InferenceMode inference;
    const auto chunk_default = layer->options.prefill_chunk_tokens();
    layer->options.prefill_chunk_tokens(0);
    const auto one_shot = layer->forward(x, positions);
    for (const int64_t chunk : {chunk_default, int64_t{100}}) {  // 100: chunks of 96, rounded to mini-batches
      layer->options.prefill_chunk_tokens(chunk);
      const auto rel = relative_difference(layer->forward(x, positions), one_shot);
      if (!(rel <= 1e-10)) {  // the float64 policy
        return fail(ttt::to_string(type) + ": a prefill in chunks of prefill_chunk_tokens = " + std::to_string(chunk) +
                    " differs from one pass by rel " + std::to_string(rel) + " > 1e-10 (L = " + std::to_string(length) + ", float64)");
      }
      detail << ttt::to_string(type) << " chunk " << chunk << " rel " << rel << "; ";
    }
  }
  return pass("a prefill in chunks equals one pass, L = " + std::to_string(length) + ", float64: " + detail.str());
}

// Peak memory of one forward pass, measured in a fresh process (ttt-memprobe).
struct Memory {
  double before_mb = 0, peak_mb = 0, cuda_peak_mb = 0;
};

Memory probe(int64_t length, const std::string& device) {
  const auto command = std::string(TTT_BINARY_DIR) + "/suites/long/ttt-memprobe linear " + std::to_string(length) +
                       " float32 " + device;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::string out;
  char buf[512];
  while (pipe && std::fgets(buf, sizeof buf, pipe.get()) != nullptr) out += buf;
  const auto j = nlohmann::json::parse(out);  // throws (the check fails) if the probe failed
  return {j.at("rss_before_mb").get<double>(), j.at("peak_rss_mb").get<double>(), j.at("cuda_peak_mb").get<double>()};
}

// Peak memory may grow by at most this factor when L doubles: linear is x2, with room for the
// allocator's rounding and the process's own growth.
constexpr double kAcceptedGrowth = 2.6;
std::string accepted_growth() {
  std::ostringstream out;
  out << kAcceptedGrowth;  // "2.6", as the constant reads
  return out.str();
}

CheckResult memory_linear(const std::vector<int64_t>& lengths, const std::string& device) {
  std::vector<double> grown;
  std::ostringstream detail;
  for (const auto length : lengths) {
    const auto m = probe(length, device);
    const double used = device == "cuda" ? m.cuda_peak_mb : m.peak_mb - m.before_mb;
    grown.push_back(used);
    detail << "L=" << length << ": " << used << " MB; ";
  }
  // L doubles at each step: a linear footprint at most doubles (a quadratic one quadruples).
  // It may grow by less: a prefill longer than TTTOptions::prefill_chunk_tokens keeps one
  // chunk's working set, and only the output [1, L, 64] grows with L.
  for (size_t i = 1; i < grown.size(); ++i) {
    const double ratio = grown[i] / grown[i - 1];
    if (!(ratio < kAcceptedGrowth)) {
      return fail("peak memory " + detail.str() + "grew by x" + std::to_string(ratio) +
                  " when L doubled (linear: at most x2, accepted < " + accepted_growth() + ")");
    }
  }
  // ... and it is the call's: at least its float32 output, or the probe measured nothing.
  const double output_mb = static_cast<double>(lengths.back()) * 64 * 4 / (1024.0 * 1024.0);
  if (!(grown.back() >= output_mb)) {
    return fail("peak memory " + detail.str() + "is below the output's own " + std::to_string(output_mb) +
                " MB at the longest L: the probe did not measure the forward pass");
  }
  return pass("peak memory above the idle process, " + detail.str() + "at most x2 per doubling (accepted < " +
              accepted_growth() + ")");
}

}  // namespace

std::vector<Check> long_checks() {
  return {
      {"long", "CpuTierStableTo16384", false, true,
       [](const Factory& f) { return stability(f, 16384, torch::Device(torch::kCPU)); }},
      {"long", "ChunkedPrefillEqualsOneShot", false, false, chunked_equals_one_shot},
      {"long", "InternalChunksEqualOneShot", false, false, internal_chunks_equal_one_shot},
      {"long", "CpuPeakMemoryLinearInL", false, true,
       [](const Factory&) { return memory_linear({4096, 8192, 16384}, "cpu"); }},
      // The nightly tier's CPU run to the GPU tier's length, so that long-sequence stability
      // is checked every night even where no GPU is (about 40 s and 1 GB on one thread).
      {"long", "CpuNightlyStableTo131072", false, true,
       [](const Factory& f) { return stability(f, 131072, torch::Device(torch::kCPU)); }},
      {"long", "CpuNightlyPeakMemoryLinearTo131072", false, true,
       [](const Factory&) { return memory_linear({32768, 65536, 131072}, "cpu"); }},
      {"long", "GpuTierStableTo131072", true, true,
       [](const Factory& f) { return stability(f, 131072, torch::Device(torch::kCUDA)); }},
      {"long", "GpuPeakMemoryLinearInL", true, true,
       [](const Factory&) { return memory_linear({32768, 65536, 131072}, "cuda"); }},
  };
}

}  // namespace ttt::checks
