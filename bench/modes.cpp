#include "bench/modes.h"

#include "bench/bench_support.h"
#include "bench/flops.h"

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace ttt::bench {
namespace {

struct Spec {
  LayerType type;
  int64_t length;
};

Spec parse_spec(const std::string& spec, const char* flag) {
  const auto colon = spec.find(':');
  TORCH_CHECK(colon != std::string::npos, flag, " expects TYPE:L (linear:2048 or mlp:2048), got '", spec, "'");
  Spec s{layer_type_from_string(spec.substr(0, colon)), std::stoll(spec.substr(colon + 1))};
  TORCH_CHECK(s.length >= 1, flag, ": L must be positive");
  return s;
}

// The protected seams of the layer, opened for timing the forward's steps one by one (the
// mutation suite derives from the same seams).
template <class Base>
class Probe : public Base {
 public:
  using Base::Base;
  using Base::apply_rope;
  using Base::inner_loop;
  using Base::mini_batch_inputs;
  using Base::project_qkv;
};

std::shared_ptr<TTTBaseImpl> probe_layer(LayerType type, const TTTOptions& options) {
  std::shared_ptr<TTTBaseImpl> probe;
  if (type == LayerType::Linear) {
    probe = std::make_shared<Probe<TTTLinearImpl>>(options);
  } else {
    probe = std::make_shared<Probe<TTTMLPImpl>>(options);
  }
  const auto source = random_layer(type, options, torch::kFloat32, 20240611, torch::kCPU);
  const auto values = source->named_parameters();
  torch::NoGradGuard no_grad;
  for (auto& p : probe->named_parameters()) p.value().copy_(values[p.key()]);
  probe->eval();
  return probe;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

template <class Layer>
void profile_stages(Layer& layer, const TTTOptions& options, LayerType type, int64_t L, int repeats) {
  const int64_t B = 1;
  const auto H = options.num_attention_heads();
  const auto f = options.head_dim();
  const auto K = options.mini_batch_size();
  TORCH_CHECK(L % K == 0, "--ttt_profile: L must be a multiple of the mini-batch size ", K);
  const auto x = random_hidden(B, L, options.hidden_size(), torch::kFloat32, 7, torch::kCPU);
  const auto pos = positions_from(0, L, torch::kCPU);

  const std::vector<std::string> stages{"projections (q, k, v)", "split heads", "rope", "lr gate + mini-batch inputs",
                                        "inner loop (dual form)", "post_norm", "o_proj"};
  std::map<std::string, std::vector<double>> times;
  std::vector<double> forward_times;
  // The stages are those of one pass over L tokens; forward() is timed the same way. A longer
  // prefill runs in chunks (TTTOptions::prefill_chunk_tokens), each one such pass.
  const auto chunk_tokens = layer.options.prefill_chunk_tokens();
  layer.options.prefill_chunk_tokens(0);
  torch::Tensor assembled;
  for (int r = 0; r < repeats + 1; ++r) {  // run 0 is a warm-up
    std::vector<double> t;
    auto start = std::chrono::steady_clock::now();
    auto [XQ, XK, XV] = layer.project_qkv(x, nullptr);
    t.push_back(seconds_since(start));
    start = std::chrono::steady_clock::now();
    XQ = XQ.reshape({B, L, H, f}).transpose(1, 2);
    XK = XK.reshape({B, L, H, f}).transpose(1, 2);
    XV = XV.reshape({B, L, H, f}).transpose(1, 2);
    t.push_back(seconds_since(start));
    start = std::chrono::steady_clock::now();
    layer.apply_rope(XQ, XK, XV, pos);
    t.push_back(seconds_since(start));
    start = std::chrono::steady_clock::now();
    const auto inputs = layer.mini_batch_inputs(XQ, XK, XV, x, K, 0);
    t.push_back(seconds_since(start));
    start = std::chrono::steady_clock::now();
    auto [out, last] = layer.inner_loop(inputs, K, layer.initial_fast_weights(B), /*dual_form=*/true);
    t.push_back(seconds_since(start));
    start = std::chrono::steady_clock::now();
    auto y = layer.post_norm(out);
    t.push_back(seconds_since(start));
    start = std::chrono::steady_clock::now();
    y = layer.o_proj(y);
    t.push_back(seconds_since(start));
    assembled = y;

    start = std::chrono::steady_clock::now();
    const auto reference = layer.forward(x, pos);
    const double whole = seconds_since(start);
    TORCH_CHECK(torch::equal(assembled, reference),
                "--ttt_profile: the stages no longer assemble to forward(); update bench/modes.cpp to the layer");
    if (r == 0) continue;
    for (size_t i = 0; i < stages.size(); ++i) times[stages[i]].push_back(t[i]);
    forward_times.push_back(whole);
  }

  layer.options.prefill_chunk_tokens(chunk_tokens);
  const auto flops = layer_flops(type, options, B, L);
  const std::map<std::string, double> stage_flops{{"projections (q, k, v)", flops.projections},
                                                  {"split heads", 0},
                                                  {"rope", flops.rope},
                                                  {"lr gate + mini-batch inputs", flops.lr_gate},
                                                  {"inner loop (dual form)", flops.inner},
                                                  {"post_norm", flops.post_norm},
                                                  {"o_proj", flops.o_proj}};
  auto best = [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); };
  double sum = 0;
  for (const auto& s : stages) sum += best(times[s]);
  std::printf("\nstages of one %s prefill, L=%lld in one pass, float32, CPU, %d thread(s); best and median of %d runs\n",
              to_string(type).c_str(), static_cast<long long>(L), torch::get_num_threads(), repeats);
  std::printf("  %-30s %10s %10s %7s %10s %10s\n", "stage", "best ms", "median ms", "share", "GFLOP", "GFLOP/s");
  for (const auto& s : stages) {
    const double b = best(times[s]);
    const double g = stage_flops.at(s) / 1e9;
    std::printf("  %-30s %10.3f %10.3f %6.1f%% %10.4f %10.2f\n", s.c_str(), b * 1e3, median(times[s]) * 1e3,
                100 * b / sum, g, b > 0 && g > 0 ? g / b : 0.0);
  }
  std::printf("  %-30s %10.3f %10s %6.1f%% %10.4f %10.2f\n", "sum of stages", sum * 1e3, "", 100.0,
              flops.total() / 1e9, flops.total() / 1e9 / sum);
  std::printf("  %-30s %10.3f %10.3f   (%.0f tokens/s best)\n", "forward() itself", best(forward_times) * 1e3,
              median(forward_times) * 1e3, static_cast<double>(L) / best(forward_times));
}

// Self time per ATen operator over one call of `work` (after an unprofiled warm-up call).
void profile_ops(const std::string& what, const std::function<void()>& work) {
  namespace prof = torch::autograd::profiler;
  using torch::profiler::impl::ProfilerConfig;
  using torch::profiler::impl::ProfilerState;
  work();  // warm-up

  prof::enableProfilerLegacy(ProfilerConfig(ProfilerState::CPU, /*report_input_shapes=*/true));
  const auto start = std::chrono::steady_clock::now();
  work();
  const double wall = seconds_since(start);
  const auto lists = prof::disableProfilerLegacy();

  struct Stat {
    double self_us = 0, total_us = 0;
    int64_t calls = 0;
  };
  // by operator; by (operator, the operator that called it); by (operator, input shapes)
  std::map<std::string, Stat> by_op, by_parent, by_shape;
  auto shapes_of = [](const prof::LegacyEvent& e) {
    std::string out;
    for (const auto& shape : e.shapes()) {
      if (shape.empty()) continue;
      out += out.empty() ? "[" : ", [";
      for (size_t i = 0; i < shape.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(shape[i]);
      }
      out += "]";
    }
    return out;
  };
  for (const auto& list : lists) {
    struct Open {
      const prof::LegacyEvent* event;
      double child_us;
    };
    std::vector<Open> stack;
    for (const auto& e : list) {
      if (e.kind() == prof::EventKind::PushRange) {
        stack.push_back({&e, 0.0});
      } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
        const auto open = stack.back();
        stack.pop_back();
        const double total = open.event->cpuElapsedUs(e);
        const double self = total - open.child_us;
        const std::string name = open.event->name();
        const std::string parent = stack.empty() ? "(layer code)" : stack.back().event->name();
        for (auto* s : {&by_op[name], &by_parent[name + " <- " + parent], &by_shape[name + " " + shapes_of(*open.event)]}) {
          s->total_us += total;
          s->self_us += self;
          ++s->calls;
        }
        if (!stack.empty()) stack.back().child_us += total;
      }
    }
  }
  double self_sum = 0;
  int64_t calls = 0;
  for (const auto& r : by_op) {
    self_sum += r.second.self_us;
    calls += r.second.calls;
  }
  auto print = [&](const char* title, const std::map<std::string, Stat>& stats, int rows_shown) {
    std::vector<std::pair<std::string, Stat>> rows(stats.begin(), stats.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.self_us > b.second.self_us; });
    std::printf("\n  %-64s %8s %10s %7s %10s\n", title, "calls", "self ms", "share", "total ms");
    int shown = 0;
    for (const auto& [name, s] : rows) {
      if (++shown > rows_shown) break;
      std::printf("  %-64s %8lld %10.3f %6.1f%% %10.3f\n", name.substr(0, 64).c_str(), static_cast<long long>(s.calls),
                  s.self_us / 1e3, 100 * s.self_us / self_sum, s.total_us / 1e3);
    }
  };
  std::printf("\nATen operators over %s (autograd profiler, self time; profiled wall %.1f ms, "
              "profiler overhead included; %lld operator calls, %.1f us each on average)\n",
              what.c_str(), wall * 1e3, static_cast<long long>(calls),
              calls ? self_sum / static_cast<double>(calls) : 0.0);
  print("operator", by_op, 20);
  print("operator <- caller", by_parent, 20);
  print("operator [input shapes]", by_shape, 20);
}

}  // namespace

int run_peak_rss(const std::string& spec, int threads) {
  const auto s = parse_spec(spec, "--ttt_peak_rss");
  torch::set_num_threads(threads);
  c10::InferenceMode inference;
  const auto options = model_125m_options();
  auto layer = random_layer(s.type, options, torch::kFloat32, 20240611, torch::kCPU);
  const auto x = random_hidden(1, s.length, options.hidden_size(), torch::kFloat32, 7, torch::kCPU);
  const auto pos = positions_from(0, s.length, torch::kCPU);
  // Give the heap's free pages back (setup freed float64 temporaries), so that the call's
  // allocations show in RSS instead of reusing pages that are already resident.
  ::malloc_trim(0);
  const bool reset = reset_peak_rss();
  const double before_peak = peak_rss_mib();
  const double baseline = current_rss_mib();
  auto out = layer->forward(x, pos);
  const double peak = peak_rss_mib();
  nlohmann::json j{{"impl", "cpp"},
                   {"layer_type", to_string(s.type)},
                   {"dtype", "float32"},
                   {"device", "cpu"},
                   {"batch", 1},
                   {"seq_len", s.length},
                   {"threads", threads},
                   {"baseline_rss_mib", baseline},
                   {"peak_rss_mib", peak},
                   {"forward_mib", peak - baseline},
                   {"ru_maxrss_mib", ru_maxrss_mib()},
                   {"hwm_reset", reset && before_peak <= baseline + 1.0},
                   {"output_checksum", out.sum().item<double>()}};
  std::cout << j.dump() << std::endl;
  return 0;
}

int run_profile(const std::string& spec, int threads, int repeats) {
  torch::set_num_threads(threads);
  c10::InferenceMode inference;
  const auto options = model_125m_options();
  const auto colon = spec.find(':');
  if (colon != std::string::npos && spec.substr(colon + 1).rfind("decode", 0) == 0) {
    // TYPE:decode[P][xB]: one mini-batch cycle of single-token calls of B rows after a P-token prompt
    const auto type = layer_type_from_string(spec.substr(0, colon));
    const auto rest = spec.substr(colon + 1 + 6);
    const auto x = rest.find('x');
    const auto prompt_text = rest.substr(0, x);
    const int64_t prompt = prompt_text.empty() ? 2048 : std::stoll(prompt_text);
    const int64_t batch = x == std::string::npos ? 1 : std::stoll(rest.substr(x + 1));
    TORCH_CHECK(prompt >= 1 && batch >= 1, "--ttt_profile: TYPE:decode[P][xB] needs positive P and B, got ", spec);
    const auto K = options.mini_batch_size();
    auto layer = random_layer(type, options, torch::kFloat32, 20240611, torch::kCPU);
    TTTCache cache(*layer, batch);
    forward_cached(*layer, cache, random_hidden(batch, prompt, options.hidden_size(), torch::kFloat32, 7, torch::kCPU));
    const auto saved = cache.tensors();  // the layer replaces cache tensors, never writes into them
    const auto offset = cache.seqlen_offset();
    const auto tokens = random_hidden(batch, K, options.hidden_size(), torch::kFloat32, 8, torch::kCPU);
    auto cycle = [&] {
      for (int64_t t = 0; t < K; ++t) forward_cached(*layer, cache, tokens.slice(1, t, t + 1));
    };
    std::vector<double> times;
    for (int r = 0; r < std::max(1, repeats) + 1; ++r) {
      cache.restore(saved, offset);
      const auto start = std::chrono::steady_clock::now();
      cycle();
      if (r > 0) times.push_back(seconds_since(start) / static_cast<double>(K * batch));
    }
    const double per_token = median(times);
    const auto flops = decode_token_flops(type, options, batch).total() / static_cast<double>(batch);
    std::printf("\n%s decode of %lld row(s) after a %lld-token prompt, float32, CPU, %d thread(s): %.3f ms/token "
                "(%.0f tokens/s, %.3f MFLOP/token, %.2f GFLOP/s); median of %d cycles of %lld calls\n",
                to_string(type).c_str(), static_cast<long long>(batch), static_cast<long long>(prompt),
                torch::get_num_threads(), per_token * 1e3, 1.0 / per_token, flops / 1e6, flops / per_token / 1e9,
                std::max(1, repeats), static_cast<long long>(K));
    cache.restore(saved, offset);
    profile_ops("one decode cycle of " + std::to_string(K) + " calls of " + std::to_string(batch) + " row(s)", [&] {
      cache.restore(saved, offset);
      cycle();
    });
    return 0;
  }
  const auto s = parse_spec(spec, "--ttt_profile");
  auto layer = probe_layer(s.type, options);
  if (s.type == LayerType::Linear) {
    profile_stages(static_cast<Probe<TTTLinearImpl>&>(*layer), options, s.type, s.length, std::max(1, repeats));
  } else {
    profile_stages(static_cast<Probe<TTTMLPImpl>&>(*layer), options, s.type, s.length, std::max(1, repeats));
  }
  const auto x = random_hidden(1, s.length, options.hidden_size(), torch::kFloat32, 7, torch::kCPU);
  const auto pos = positions_from(0, s.length, torch::kCPU);
  profile_ops("one forward", [&] { layer->forward(x, pos); });
  return 0;
}

}  // namespace ttt::bench
