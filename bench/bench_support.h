#pragma once
// What the benchmark cases share: the layer shape, random layers and inputs, process memory
// figures.

#include <harness/layer_io/random_layers.h>

#include <ttt/ttt.h>

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

namespace ttt::bench {

// The TTT layer of the 125M model (ttt-lm-pytorch TTT_STANDARD_CONFIGS["125m"]): hidden 768,
// 12 heads (head_dim 64), mini-batch 16, rope_theta 10000, no gate, no shared Q/K.
TTTOptions model_125m_options();
// Whether model_125m_options() keeps the fused CPU scan (TTTOptions::fused_cpu_scan, the
// default) or sends every call down the ATen path (ttt-bench --ttt_aten_scan: the same
// binary's "before", for a before/after table in one run).
void set_fused_cpu_scan(bool fused);

// The production layer with every parameter moved off its default initialisation, by the
// suites' rules (harness/layer_io/random_layers.h), on `device` in `dtype`.
std::shared_ptr<TTTBaseImpl> random_layer(LayerType type, const TTTOptions& options, torch::ScalarType dtype,
                                          uint64_t seed, torch::Device device);

// N(0, 1) hidden states [B, L, C], drawn in float32: a float64 temporary would raise the
// process's peak memory before the measured call.
torch::Tensor random_hidden(int64_t batch, int64_t length, int64_t hidden, torch::ScalarType dtype,
                            uint64_t seed, torch::Device device);

using harness::positions_from;

// Blocks until queued device work is done (CUDA); nothing on the CPU.
void synchronize(const torch::Device& device);

// Resident memory of this process from /proc/self/status, in MiB: VmRSS (now) and VmHWM
// (the high-water mark). reset_peak_rss() writes 5 to /proc/self/clear_refs, which sets
// VmHWM back to the current RSS (Linux >= 4.0); false when that is not possible.
double current_rss_mib();
double peak_rss_mib();
bool reset_peak_rss();
// getrusage(RUSAGE_SELF).ru_maxrss in MiB: the peak of the whole process life.
double ru_maxrss_mib();

}  // namespace ttt::bench
