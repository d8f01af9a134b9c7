// ttt-bench: Google Benchmark cases over the TTT layer the suites test (see bench/README.md).
//
// Case names are <kind>/<layer>/<dtype>/<device>/<key:value>.../threads:<N>; bench/run turns
// them into the results of out/bench.json (and reference/bench_reference.py times the upstream
// reference under the very same names).
//
//   prefill  one forward over B x L tokens without a cache (dual form), per iteration
//   decode   one mini-batch cycle of single-token cached calls after a P-token prompt, B rows
//   stream   a read of 256 MiB, far beyond the caches: the machine's streaming rate, which
//            the decode memory floor divides a token's bytes by (flops.h decode_step_bytes);
//            and a read of one B = 1 decode step's bytes, again and again: the same floor
//            where those bytes stay in cache
//   rope     rope_tables_for + rotation of Q and K (rotate_qkv) over L tokens
//   check    ttt-harness check over the committed fixtures, in process
//   gemm     one float32/bfloat16 matrix product of the projection's shape: the machine's
//            matmul rate that the layer's FLOP/s are compared with
//
// Extra flags (before or among Google Benchmark's own; ttt-bench --help lists them):
//   --ttt_threads=N            intra-op threads (torch::set_num_threads), default 1
//   --ttt_lengths=512,2048     prefill lengths, default 512,2048,8192
//   --ttt_decode_prompt=P      decode prompt length, default 2048
//   --ttt_decode_batches=1,16  decode batch sizes, default 1
//   --ttt_no_cuda              do not register CUDA cases even when a GPU is there
//   --ttt_fixtures=DIR         fixtures for the check case, default the committed ones
//   --ttt_environment          print the environment JSON and exit
//   --ttt_peak_rss=TYPE:L      one prefill in this process, print its memory as JSON, exit
//   --ttt_profile=TYPE:L       where one prefill spends its time (stages, ATen ops), exit
//   --ttt_profile=TYPE:decode[P][xB]  the same for decode after a P-token prompt, B rows (default 2048, 1)
//   --ttt_profile_repeats=N    runs the profile takes the median of, default 5
//   --ttt_aten_scan            every layer on the ATen path (TTTOptions::fused_cpu_scan false)

#include "bench/bench_support.h"
#include "bench/flops.h"
#include "bench/modes.h"

#include <harness/runner/check_command.h>
#include <harness/runner/fixture_files.h>
#include <harness/runner/environment.h>
#include <harness/layer_io/tensors.h>
#include <harness/fixture/fixture.h>

#include "ttt_paths.h"

#include <CLI/CLI.hpp>
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace ttt::bench {
namespace {

struct Settings {
  int threads = 1;
  std::vector<int64_t> lengths{512, 2048, 8192};
  int64_t decode_prompt = 2048;
  std::vector<int64_t> decode_batches{1};
  bool cuda = true;
  std::string fixtures = TTT_FIXTURES_DIR;
  std::string peak_rss;
  std::string profile;
  int profile_repeats = 5;
  bool environment = false;
};

constexpr int64_t kBatch = 1;
constexpr uint64_t kLayerSeed = 20240611;
constexpr uint64_t kInputSeed = 7;

// The --ttt_* flags, through CLI11 (a bad value is an error naming the flag, exit 2); every
// other argument is left in argv for Google Benchmark, which refuses flags it does not know.
Settings parse_settings(int& argc, char** argv) {
  Settings s;
  CLI::App app{"ttt-bench: Google Benchmark cases over the TTT layer (bench/README.md)", "ttt-bench"};
  app.allow_extras();
  app.add_option("--ttt_threads", s.threads, "intra-op threads (torch::set_num_threads)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--ttt_lengths", s.lengths, "prefill lengths, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--ttt_decode_prompt", s.decode_prompt, "decode prompt length")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  app.add_option("--ttt_decode_batches", s.decode_batches, "decode batch sizes, comma-separated")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{4096}));
  app.add_flag_callback("--ttt_aten_scan", [] { set_fused_cpu_scan(false); },
                        "every layer on the ATen path, not the fused CPU scan (the before of a before/after)");
  app.add_flag_callback("--ttt_no_cuda", [&] { s.cuda = false; }, "do not register CUDA cases even when a GPU is there");
  app.add_option("--ttt_fixtures", s.fixtures, "fixtures for the check case")->check(CLI::ExistingDirectory);
  app.add_flag("--ttt_environment", s.environment, "print the environment JSON and exit");
  app.add_option("--ttt_peak_rss", s.peak_rss, "TYPE:L: one prefill in this process, print its memory as JSON, exit");
  app.add_option("--ttt_profile", s.profile, "TYPE:L or TYPE:decode: where one call spends its time, exit");
  app.add_option("--ttt_profile_repeats", s.profile_repeats, "runs the profile takes the median of")
      ->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints the help, or the error naming the flag
    std::exit(code == 0 ? 0 : 2);
  }
  // What CLI11 did not take goes back into argv for benchmark::Initialize (kept alive here).
  static std::vector<std::string> rest;
  rest = app.remaining();
  int kept = 1;
  for (auto& arg : rest) {
    if (arg.rfind("--ttt_", 0) == 0) {
      std::cerr << "ttt-bench: unknown flag " << arg << " (ttt-bench --help lists them)\n";
      std::exit(2);
    }
    argv[kept++] = arg.data();
  }
  argc = kept;
  return s;
}

Settings& settings() {
  static Settings s;
  return s;
}

std::string case_name(const std::string& kind, const std::string& layer, torch::ScalarType dtype,
                      const torch::Device& device, const std::string& keys) {
  return kind + "/" + layer + "/" + harness::dtype_name(dtype) + "/" + (device.is_cuda() ? "cuda" : "cpu") + "/" + keys +
         "/threads:" + std::to_string(settings().threads);
}

// The per-iteration work of a case and what it is worth. Counters: tokens and flops per
// iteration (bench/run divides them by the real time per iteration), and the same as rates
// for the console.
void set_counters(benchmark::State& state, double tokens, double flops, int64_t batch, int64_t seq_len,
                  double bytes = 0) {
  using benchmark::Counter;
  state.counters["tokens"] = tokens;
  if (bytes > 0) state.counters["bytes"] = bytes;
  state.counters["flops"] = flops;
  state.counters["batch"] = static_cast<double>(batch);
  state.counters["seq_len"] = static_cast<double>(seq_len);
  state.counters["tokens_per_s"] = Counter(tokens, Counter::kIsIterationInvariantRate);
  state.counters["flops_per_s"] = Counter(flops, Counter::kIsIterationInvariantRate);
}

// Google Benchmark calls a case's function once per trial (1 iteration, then more, then each
// repetition). Preparing a case (layer, inputs, the decode prompt, a warm-up call) is done on
// its first call only and kept while that case runs: one slot, so memory stays that of one case.
template <class Prepared>
Prepared& prepared_for(const std::string& name, const std::function<Prepared()>& make) {
  static std::string current;
  static std::unique_ptr<Prepared> slot;
  if (!slot || current != name) {
    slot.reset();
    slot = std::make_unique<Prepared>(make());
    current = name;
  }
  return *slot;
}

// ---------------------------------------------------------------------------------------------
struct PrefillCase {
  std::shared_ptr<TTTBaseImpl> layer;
  torch::Tensor x, pos;
};

void bm_prefill(benchmark::State& state, const std::string& name, LayerType type, torch::ScalarType dtype,
                torch::Device device, int64_t L) {
  c10::InferenceMode inference;
  const auto options = model_125m_options();
  auto& c = prepared_for<PrefillCase>(name, [&] {
    c10::InferenceMode inner;
    PrefillCase p;
    p.layer = random_layer(type, options, dtype, kLayerSeed, device);
    p.x = random_hidden(kBatch, L, options.hidden_size(), dtype, kInputSeed, device);
    p.pos = positions_from(0, L, device);
    p.layer->forward(p.x, p.pos);  // warm-up (allocator, RoPE tables, lazy init): excluded
    synchronize(device);
    return p;
  });
  for (auto _ : state) {
    auto out = c.layer->forward(c.x, c.pos);
    synchronize(device);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  set_counters(state, static_cast<double>(kBatch * L), layer_flops(type, options, kBatch, L).total(), kBatch, L);
}

// ---------------------------------------------------------------------------------------------
// Decode: a prompt of P tokens (a multiple of the mini-batch size) is prefilled into a
// TTTCache once; each iteration then decodes one whole mini-batch cycle, K single-token calls
// at offsets P .. P+K-1 (the K-th completes a mini-batch and moves the fast weights), and the
// cache is restored to its post-prompt state (from clones, timer paused) for the next one.
// Time per token = iteration time / K: every position of the cycle counts once.
struct DecodeCase {
  std::shared_ptr<TTTBaseImpl> layer;
  std::unique_ptr<TTTCache> cache;
  std::map<std::string, torch::Tensor> saved;
  int64_t offset = 0;
  torch::Tensor tokens;  // [B, K, C]
};

std::map<std::string, torch::Tensor> clones(const std::map<std::string, torch::Tensor>& tensors) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [name, t] : tensors) out[name] = t.clone();
  return out;
}

void decode_cycle(DecodeCase& c, const torch::Device& device) {  // K calls of B rows
  const auto K = c.tokens.size(1);
  for (int64_t t = 0; t < K; ++t) {
    auto out = forward_cached(*c.layer, *c.cache, c.tokens.slice(1, t, t + 1));
    benchmark::DoNotOptimize(out.data_ptr());
  }
  synchronize(device);
}

void bm_decode(benchmark::State& state, const std::string& name, LayerType type, torch::ScalarType dtype,
               torch::Device device, int64_t prompt, int64_t batch) {
  c10::InferenceMode inference;
  const auto options = model_125m_options();
  const auto K = options.mini_batch_size();
  auto& c = prepared_for<DecodeCase>(name, [&] {
    c10::InferenceMode inner;
    DecodeCase p;
    p.layer = random_layer(type, options, dtype, kLayerSeed, device);
    p.cache = std::make_unique<TTTCache>(*p.layer, batch);
    forward_cached(*p.layer, *p.cache, random_hidden(batch, prompt, options.hidden_size(), dtype, kInputSeed, device));
    p.saved = clones(p.cache->tensors());
    p.offset = p.cache->seqlen_offset();
    p.tokens = random_hidden(batch, K, options.hidden_size(), dtype, kInputSeed + 1, device);
    decode_cycle(p, device);  // warm-up: excluded
    p.cache->restore(clones(p.saved), p.offset);
    return p;
  });
  TORCH_CHECK(c.offset % K == 0, "decode benchmark: the prompt must be a multiple of the mini-batch size");
  for (auto _ : state) {
    decode_cycle(c, device);
    state.PauseTiming();
    c.cache->restore(clones(c.saved), c.offset);
    state.ResumeTiming();
  }
  set_counters(state, static_cast<double>(batch * K), K * decode_token_flops(type, options, batch).total(), batch,
               prompt, K * decode_step_bytes(type, options, batch, torch::elementSize(dtype)));
}

// ---------------------------------------------------------------------------------------------
// Read rate: one sum over `bytes` of contiguous data per iteration (tokens = 1). Over 256 MiB
// every read comes from memory: the streaming rate the decode memory floor divides by. Over a
// decode step's bytes the data stays in cache between iterations, the best case for a decode
// token whose weights stayed in cache since the last one.
struct StreamCase {
  torch::Tensor data;
};

void bm_stream(benchmark::State& state, const std::string& name, torch::ScalarType dtype, torch::Device device,
               double bytes) {
  c10::InferenceMode inference;
  auto& c = prepared_for<StreamCase>(name, [&] {
    StreamCase p;
    const auto elements = static_cast<int64_t>(bytes) / static_cast<int64_t>(torch::elementSize(dtype));
    p.data = torch::ones({elements}, torch::dtype(dtype).device(device));
    p.data.sum();
    synchronize(device);
    return p;
  });
  for (auto _ : state) {
    auto total = c.data.sum();
    synchronize(device);
    benchmark::DoNotOptimize(total.data_ptr());
  }
  set_counters(state, 1, 0, 1, 0, static_cast<double>(c.data.nbytes()));
}

// ---------------------------------------------------------------------------------------------
struct RopeCase {
  std::shared_ptr<TTTBaseImpl> layer;
  torch::Tensor XQ, XK, XV, pos;
};

void bm_rope(benchmark::State& state, const std::string& name, torch::ScalarType dtype, torch::Device device,
             int64_t L) {
  c10::InferenceMode inference;
  const auto options = model_125m_options();
  auto& c = prepared_for<RopeCase>(name, [&] {
    c10::InferenceMode inner;
    RopeCase p;
    p.layer = random_layer(LayerType::Linear, options, dtype, kLayerSeed, device);
    const auto H = options.num_attention_heads();
    const auto f = options.head_dim();
    // [B, L, C] -> [B, H, L, f] views, the layout forward hands to RoPE
    auto split = [&](uint64_t seed) {
      return random_hidden(kBatch, L, options.hidden_size(), dtype, seed, device).reshape({kBatch, L, H, f}).transpose(1, 2);
    };
    p.XQ = split(kInputSeed);
    p.XK = split(kInputSeed + 1);
    p.XV = split(kInputSeed + 2);
    p.pos = positions_from(0, L, device);
    p.layer->rotate_qkv(p.XQ, p.XK, p.XV, p.pos);
    synchronize(device);
    return p;
  });
  for (auto _ : state) {
    auto rotated = c.layer->rotate_qkv(c.XQ, c.XK, c.XV, c.pos);
    synchronize(device);
    benchmark::DoNotOptimize(std::get<0>(rotated).data_ptr());
  }
  set_counters(state, static_cast<double>(kBatch * L), layer_flops(LayerType::Linear, options, kBatch, L).rope, kBatch,
               L);
}

// ---------------------------------------------------------------------------------------------
// `ttt-harness check <fixtures>` in process: manifest sha256, the isolated read of each file,
// every case run and judged. Tokens: the hidden-state tokens of every fixture's inputs.
struct CheckCase {
  harness::CheckOptions options;
  double tokens = 0;
  int64_t files = 0;
};

void bm_check(benchmark::State& state, const std::string& name, torch::Device device) {
  auto& c = prepared_for<CheckCase>(name, [&] {
    CheckCase p;
    p.options.paths = {settings().fixtures};
    p.options.device = device.is_cuda() ? "cuda" : "cpu";
    p.options.threads = settings().threads;
    std::vector<harness::CaseResult> errors;
    for (const auto& file : harness::collect_fixture_files(p.options.paths, errors)) {
      const auto fixture = harness::load_fixture(file);
      ++p.files;
      for (const auto& [input, array] : fixture.inputs) {
        if (input.find("hidden_states") != std::string::npos && array.shape.size() == 3) {
          p.tokens += static_cast<double>(array.shape[0] * array.shape[1]);
        }
      }
    }
    return p;
  });
  if (c.files == 0) {
    state.SkipWithError(("no fixtures under " + settings().fixtures).c_str());
    return;
  }
  const std::vector<std::string> command{"ttt-bench", "check", settings().fixtures};
  for (auto _ : state) {
    std::ostringstream sink;
    const int rc = harness::run_check(c.options, command, sink);
    if (rc != 0) {
      state.SkipWithError(("ttt-harness check failed (exit " + std::to_string(rc) + "): " + sink.str()).c_str());
      break;
    }
  }
  torch::set_num_threads(settings().threads);  // run_check sets its own
  set_counters(state, c.tokens, 0, 1, static_cast<int64_t>(c.tokens));
  state.counters["fixtures"] = static_cast<double>(c.files);
}

// ---------------------------------------------------------------------------------------------
struct GemmCase {
  torch::Tensor a, b;
};

void bm_gemm(benchmark::State& state, const std::string& name, torch::ScalarType dtype, torch::Device device,
             int64_t M, int64_t K, int64_t N) {
  c10::InferenceMode inference;
  auto& c = prepared_for<GemmCase>(name, [&] {
    GemmCase p;
    p.a = random_hidden(1, M, K, dtype, kInputSeed, device)[0];
    p.b = random_hidden(1, K, N, dtype, kInputSeed + 1, device)[0];
    torch::mm(p.a, p.b);
    synchronize(device);
    return p;
  });
  for (auto _ : state) {
    auto out = torch::mm(c.a, c.b);
    synchronize(device);
    benchmark::DoNotOptimize(out.data_ptr());
  }
  set_counters(state, static_cast<double>(M), 2.0 * M * K * N, 1, M);
}

// ---------------------------------------------------------------------------------------------
void register_cases() {
  const auto& s = settings();
  std::vector<std::pair<torch::Device, torch::ScalarType>> targets{{torch::kCPU, torch::kFloat32}};
  if (s.cuda && torch::cuda::is_available()) {
    targets.emplace_back(torch::Device(torch::kCUDA, 0), torch::kFloat32);
    targets.emplace_back(torch::Device(torch::kCUDA, 0), torch::kBFloat16);
  }
  const auto options = model_125m_options();
  const auto C = options.hidden_size();
  // Wall-clock time is what the results report; the CPU column is the whole process's CPU
  // time (all threads), which bench/run keeps as cpu_seconds: on a shared machine a 1-thread
  // case's CPU time is close to what it would take on an idle one.
  auto finish = [](benchmark::internal::Benchmark* b) {
    b->UseRealTime()->MeasureProcessCPUTime()->Unit(benchmark::kMillisecond);
  };

  for (const auto& [device, dtype] : targets) {
    // the machine's matmul rate at the projection's shape (2048 tokens x 768 x 768)
    {
      const int64_t M = 2048;
      const auto name = case_name("gemm", "none", dtype, device,
                                  "M:" + std::to_string(M) + "/K:" + std::to_string(C) + "/N:" + std::to_string(C));
      finish(benchmark::RegisterBenchmark(name.c_str(), bm_gemm, name, dtype, device, M, C, C));
    }
    for (const auto type : {LayerType::Linear, LayerType::MLP}) {
      for (const auto L : s.lengths) {
        const auto name = case_name("prefill", to_string(type), dtype, device,
                                    "B:" + std::to_string(kBatch) + "/L:" + std::to_string(L));
        finish(benchmark::RegisterBenchmark(name.c_str(), bm_prefill, name, type, dtype, device, L));
      }
    }
    for (const auto type : {LayerType::Linear, LayerType::MLP}) {
      for (const auto batch : s.decode_batches) {
        const auto name = case_name("decode", to_string(type), dtype, device,
                                    "B:" + std::to_string(batch) + "/P:" + std::to_string(s.decode_prompt));
        finish(benchmark::RegisterBenchmark(name.c_str(), bm_decode, name, type, dtype, device, s.decode_prompt,
                                            batch));
      }
    }
    // the streaming rate (256 MiB), and the rate a B = 1 decode step's bytes are read at in cache
    for (const auto type : {LayerType::Linear, LayerType::MLP}) {
      const auto bytes = decode_step_bytes(type, options, 1, torch::elementSize(dtype));
      const auto name = case_name("stream", to_string(type), dtype, device, "B:1");
      finish(benchmark::RegisterBenchmark(name.c_str(), bm_stream, name, dtype, device, bytes));
    }
    {
      const double bytes = 256.0 * 1024 * 1024;
      const auto name = case_name("stream", "none", dtype, device, "MiB:256");
      finish(benchmark::RegisterBenchmark(name.c_str(), bm_stream, name, dtype, device, bytes));
    }
    {
      const int64_t L = 2048;
      const auto name = case_name("rope", "none", dtype, device, "B:" + std::to_string(kBatch) + "/L:" + std::to_string(L));
      finish(benchmark::RegisterBenchmark(name.c_str(), bm_rope, name, dtype, device, L));
    }
  }
  std::vector<torch::Device> check_devices{torch::kCPU};
  if (s.cuda && torch::cuda::is_available()) check_devices.emplace_back(torch::kCUDA, 0);
  for (const auto& device : check_devices) {
    // the fixtures are float64, float32 and bfloat16: dtype "mixed", layer types "all"
    const auto name = std::string("check/all/mixed/") + (device.is_cuda() ? "cuda" : "cpu") +
                      "/threads:" + std::to_string(s.threads);
    finish(benchmark::RegisterBenchmark(name.c_str(), bm_check, name, device));
  }
}

}  // namespace
}  // namespace ttt::bench

int main(int argc, char** argv) {
  using namespace ttt::bench;
  settings() = parse_settings(argc, argv);
  const auto& s = settings();
  torch::set_num_threads(s.threads);

  if (s.environment) {
    std::cout << ttt::harness::describe_environment("cpu").dump(2) << "\n";
    return 0;
  }
  if (!s.peak_rss.empty()) return run_peak_rss(s.peak_rss, s.threads);
  if (!s.profile.empty()) return run_profile(s.profile, s.threads, s.profile_repeats);

  register_cases();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  auto env = ttt::harness::describe_environment(torch::cuda::is_available() ? "cpu+cuda" : "cpu");
  env["threads"] = s.threads;
  benchmark::AddCustomContext("ttt_environment", env.dump());
  benchmark::AddCustomContext("ttt_threads", std::to_string(s.threads));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
