#pragma once
// The fused CPU scan behind TTTLinearImpl/TTTMLPImpl::inner_loop: the dual form over whole
// mini-batches as one pass per (batch row, head) (head_scan.h), heads side by side on the
// intra-op threads. It serves float32 and float64 on the CPU when nothing records gradients;
// bfloat16, CUDA, autograd and the primal form keep the ATen path, which stays the reference
// the fused pass is tested against (suites/golden/fused_scan_test.cpp).
//
// The inner layer norm here is the default one: a layer that overrides the norm_statistics
// seam (the mutation suite's, in bfloat16 only) is judged on the ATen path.

#include "head_scan.h"

#include <ttt/layer.h>

#include <torch/torch.h>

#include <functional>
#include <utility>

namespace ttt::detail::fused {

// Whether the fused pass computes this call: the dual form, float32 or float64 CPU tensors
// of one dtype, no gradient recorded, and a BLAS in the LibTorch this runs with.
bool serves(const MiniBatchInputs& in, const FastWeights& init);

// fn(begin, end) over the tasks [0, tasks), split across LibTorch's intra-op threads
// (at::parallel_for), each thread's BLAS calls kept on that thread (SerialBlasScope). Not
// inline: at::parallel_for is a header template that runs in parallel only where it is
// compiled with OpenMP, which dual_scan.cpp is (ttt/CMakeLists.txt) and a caller's file,
// such as a mutant's, need not be.
void for_each_task(int64_t tasks, const std::function<void(int64_t, int64_t)>& fn);

// The tensors one scan reads and writes, laid out for raw pointers: Q, K, V as rows of
// [B, H, N*K, f] views (any row stride), eta contiguous, the fast weights as contiguous
// copies the scan updates, the output [B, N*K, H*f].
struct ScanTensors {
  int64_t B = 0, H = 0, N = 0, K = 0, f = 0, F = 0;
  torch::Tensor xq, xk, xv, eta, gamma, beta, out;
  FastWeights weights;  // "W1_states", "b1_states" (+ "W2_states", "b2_states"), then the zero *_grad
};
ScanTensors prepare(LayerType type, const MiniBatchInputs& in, const FastWeights& init,
                    const torch::Tensor& ttt_norm_weight, const torch::Tensor& ttt_norm_bias);

template <class T>
HeadScan<T> head_view(ScanTensors& st, int64_t b, int64_t h) {
  const auto rows = [&](const torch::Tensor& x) {
    return HeadRows<T>{x.data_ptr<T>() + b * x.stride(0) + h * x.stride(1), x.stride(2)};
  };
  const auto weight = [&](const char* name) -> T* {
    auto& w = st.weights.at(name);
    return w.data_ptr<T>() + (b * st.H + h) * (w.numel() / (st.B * st.H));
  };
  const bool mlp = st.F > 0;
  HeadScan<T> s{};
  s.N = st.N;
  s.K = st.K;
  s.f = st.f;
  s.F = st.F;
  s.xq = rows(st.xq);
  s.xk = rows(st.xk);
  s.xv = rows(st.xv);
  s.eta = st.eta.data_ptr<T>() + (b * st.H + h) * st.N * st.K * st.K;
  s.gamma = st.gamma.data_ptr<T>() + h * st.f;
  s.beta = st.beta.data_ptr<T>() + h * st.f;
  s.W1 = weight("W1_states");
  s.b1 = weight("b1_states");
  s.W2 = mlp ? weight("W2_states") : nullptr;
  s.b2 = mlp ? weight("b2_states") : nullptr;
  s.out = st.out.data_ptr<T>() + b * st.out.stride(0) + h * st.f;
  s.out_stride = st.out.stride(1);
  return s;
}

// The scan with these Steps (DefaultSteps for the layer, a broken one for a mutant):
// the TTT output [B, N*K, H*f] and the fast weights after the last mini-batch.
template <class Steps>
std::pair<torch::Tensor, FastWeights> dual_scan_with(LayerType type, const MiniBatchInputs& in,
                                                     const FastWeights& init, const torch::Tensor& ttt_norm_weight,
                                                     const torch::Tensor& ttt_norm_bias) {
  auto st = prepare(type, in, init, ttt_norm_weight, ttt_norm_bias);
  AT_DISPATCH_FLOATING_TYPES(st.out.scalar_type(), "ttt fused dual scan", [&] {
    // One task per (batch row, head): each runs all N mini-batches, so threads meet once.
    for_each_task(st.B * st.H, [&](int64_t begin, int64_t end) {
      Workspace<scalar_t> ws(st.K, st.f, st.F);
      for (int64_t i = begin; i < end; ++i) {
        const auto s = head_view<scalar_t>(st, i / st.H, i % st.H);
        if (type == LayerType::Linear) {
          linear_head_scan<scalar_t, Steps>(s, ws);
        } else {
          mlp_head_scan<scalar_t, Steps>(s, ws);
        }
      }
    });
  });
  return {std::move(st.out), std::move(st.weights)};
}

std::pair<torch::Tensor, FastWeights> dual_scan(LayerType type, const MiniBatchInputs& in, const FastWeights& init,
                                                const torch::Tensor& ttt_norm_weight,
                                                const torch::Tensor& ttt_norm_bias);

}  // namespace ttt::detail::fused
