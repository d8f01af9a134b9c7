#include "dual_scan.h"

#include <ATen/Parallel.h>

#include <string>

// LibTorch's OpenMP builds make at::parallel_for an OpenMP region in this file's own code:
// without OpenMP here it would quietly run every head on the calling thread.
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "ttt/src/fused/dual_scan.cpp must be compiled with OpenMP (ttt/CMakeLists.txt): LibTorch's at::parallel_for is OpenMP"
#endif

namespace ttt::detail::fused {
namespace {

bool fused_dtype(const torch::Tensor& t, c10::ScalarType dtype) {
  return t.defined() && t.scalar_type() == dtype && t.device().is_cpu() && !t.is_sparse();
}

// x [B, H, N, K, f] as [B, H, N*K, f] rows with contiguous features: a view when the token
// dims already merge (the layer's Q, K, V are [B, L, H, f] underneath), else a copy.
torch::Tensor as_head_rows(const torch::Tensor& x) {
  const auto B = x.size(0), H = x.size(1), N = x.size(2), K = x.size(3), f = x.size(4);
  const bool mergeable = x.stride(4) == 1 && (N == 1 || x.stride(2) == K * x.stride(3));
  const auto r = mergeable ? x : x.contiguous();
  return r.as_strided({B, H, N * K, f}, {r.stride(0), r.stride(1), r.stride(3), 1}, r.storage_offset());
}

}  // namespace

void for_each_task(int64_t tasks, const std::function<void(int64_t, int64_t)>& fn) {
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    const SerialBlasScope serial_blas;  // a task is a thread: its small products stay on it
    fn(begin, end);
  });
}

bool serves(const MiniBatchInputs& in, const FastWeights& init) {
  if (!cpu_blas_available() || torch::GradMode::is_enabled()) return false;
  const auto dtype = in.XQ.scalar_type();
  if (dtype != torch::kFloat32 && dtype != torch::kFloat64) return false;
  for (const auto* t : {&in.XQ, &in.XK, &in.XV, &in.eta}) {
    if (!fused_dtype(*t, dtype)) return false;
  }
  for (const auto& [name, t] : init) {
    if (!fused_dtype(t, dtype)) return false;
  }
  return true;
}

ScanTensors prepare(LayerType type, const MiniBatchInputs& in, const FastWeights& init,
                    const torch::Tensor& ttt_norm_weight, const torch::Tensor& ttt_norm_bias) {
  ScanTensors st;
  st.B = in.XQ.size(0);
  st.H = in.XQ.size(1);
  st.N = in.XQ.size(2);
  st.K = in.XQ.size(3);
  st.f = in.XQ.size(4);
  st.F = type == LayerType::MLP ? init.at("W1_states").size(-1) : 0;
  st.xq = as_head_rows(in.XQ);
  st.xk = as_head_rows(in.XK);
  st.xv = as_head_rows(in.XV);
  st.eta = in.eta.contiguous();
  TORCH_CHECK(st.eta.sizes() == torch::IntArrayRef({st.B, st.H, st.N, st.K, st.K}),
              "fused scan: eta is ", st.eta.sizes(), ", expected [B, H, N, K, K] = ",
              torch::IntArrayRef({st.B, st.H, st.N, st.K, st.K}));
  const auto dtype = in.XQ.scalar_type();
  st.gamma = ttt_norm_weight.to(dtype).contiguous();
  st.beta = ttt_norm_bias.to(dtype).contiguous();
  // The scan's own copies of the starting weights (the layer's or the caller's cache's), in
  // place; after whole mini-batches no gradient is carried (zero_carried_gradients).
  for (const auto& [name, t] : init) {
    const bool grad = name.size() > 5 && name.compare(name.size() - 5, 5, "_grad") == 0;
    st.weights[name] = grad ? torch::zeros_like(t) : t.clone(torch::MemoryFormat::Contiguous);
  }
  st.out = torch::empty({st.B, st.N * st.K, st.H * st.f}, in.XQ.options());
  return st;
}

std::pair<torch::Tensor, FastWeights> dual_scan(LayerType type, const MiniBatchInputs& in, const FastWeights& init,
                                                const torch::Tensor& ttt_norm_weight,
                                                const torch::Tensor& ttt_norm_bias) {
  return dual_scan_with<DefaultSteps>(type, in, init, ttt_norm_weight, ttt_norm_bias);
}

}  // namespace ttt::detail::fused
