#pragma once
// ttt-bench's one-shot modes (no Google Benchmark run).

#include <string>

namespace ttt::bench {

// --ttt_peak_rss=TYPE:L (TYPE linear|mlp): builds the float32 CPU layer and a [1, L, 768]
// input, resets the process's memory high-water mark, runs one prefill (InferenceMode) and
// prints one JSON object: baseline_rss_mib (RSS before the call), peak_rss_mib (high-water
// mark during it), forward_mib (their difference: what the call itself needed),
// ru_maxrss_mib (getrusage: peak of the whole process). Meant to run once per fresh process:
// a first call, so that the allocator has not kept memory from an earlier one.
int run_peak_rss(const std::string& spec, int threads);

// --ttt_profile=TYPE:L: where one float32 CPU prefill spends its time, two ways.
// --ttt_profile=TYPE:decode[P]: per-token decode time after a P-token prompt (default 2048)
// and the operator table over one mini-batch cycle of single-token calls.
//   stages: the forward's steps run one by one through the layer's seams (projections, RoPE,
//           learning-rate gate, inner loop, post-norm, o_proj), best and median of `repeats` runs,
//           each with its analytic FLOPs and GFLOP/s; the assembled output is checked to be
//           bit-identical to forward().
//   ops:    self time per ATen operator over one forward (the autograd profiler).
int run_profile(const std::string& spec, int threads, int repeats);

}  // namespace ttt::bench
