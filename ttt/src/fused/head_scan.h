#pragma once
// The dual form of one (batch row, head) over all its mini-batches, on raw pointers: what
// ttt_linear.cpp / ttt_mlp.cpp compute with about 30 ATen calls per mini-batch on
// [B, H, K, f] tensors, here as a handful of BLAS products on [K, f] tiles and loops over
// rows, with no allocation inside the scan. Heads are independent from the first mini-batch
// to the last (their fast weights never mix), so the caller runs them side by side.
//
// Steps: the stages a test may replace to plant a bug in this pass (suites/mutation); the
// layer uses DefaultSteps.

#include "row_math.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ttt::detail::fused {

// Rows of one head: row t at ptr + t * stride, features contiguous.
template <class T>
struct HeadRows {
  const T* ptr;
  int64_t stride;
  const T* row(int64_t t) const { return ptr + t * stride; }
};

// One head's view of the scan: its inputs, its carried weights (updated in place) and where
// its output rows go. Sizes: K tokens per mini-batch, N mini-batches, f features, F the MLP's
// hidden width (0 for TTT-Linear).
template <class T>
struct HeadScan {
  int64_t N, K, f, F;
  HeadRows<T> xq, xk, xv;          // N * K rows each
  const T* eta;                    // [N, K, K], token_eta[t] * ttt_lr_eta[s] at [n, t, s]
  const T* gamma;                  // [f] the inner layer norm
  const T* beta;                   // [f]
  T *W1, *b1, *W2, *b2;            // [f, F or f], [F or f], [F, f], [f]
  T* out;                          // N * K rows of out_stride
  int64_t out_stride;
};

// Mini-batch n of a head: its first row of Q, K, V, its eta [K, K] and eta's last row (the
// rates the weight updates use).
template <class T>
struct MiniBatch {
  const T *xq, *xk, *xv, *eta, *last_eta;
};

template <class T>
MiniBatch<T> mini_batch(const HeadScan<T>& s, int64_t n) {
  const T* eta = s.eta + n * s.K * s.K;
  return {s.xq.row(n * s.K), s.xk.row(n * s.K), s.xv.row(n * s.K), eta, eta + (s.K - 1) * s.K};
}

// grad [K, f] of the inner loss through the fused layer norm, from the rows z [K, f] that
// reach it, the mini-batch's V and its K rows x1 (contiguous, stacked_rows).
template <class T>
inline void inner_loss_grad_rows(const HeadScan<T>& s, const MiniBatch<T>& m, const T* z, const T* x1, T* grad,
                                 T* row) {
  for (int64_t t = 0; t < s.K; ++t) {
    ln_fused_l2_bwd_row(z + t * s.f, m.xv + t * s.xv.stride, x1 + t * s.f, s.gamma, s.beta, grad + t * s.f, row,
                        s.f);
  }
}

// The output rows of mini-batch n: XQ + LN(z_bar) into the head's columns of out.
template <class T>
inline void output_rows(const HeadScan<T>& s, const MiniBatch<T>& m, int64_t n, const T* z_bar, T* row) {
  for (int64_t t = 0; t < s.K; ++t) {
    ln_fwd_row(z_bar + t * s.f, s.gamma, s.beta, m.xq + t * s.xq.stride, s.out + (n * s.K + t) * s.out_stride, row,
               s.f);
  }
}

struct DefaultSteps {
  // attn = eta * tril(A) + tril(eta) in place over A [K, K] (A = XQ X^T of the mini-batch):
  // token t learns from the gradients of tokens s <= t only.
  template <class T>
  static void attention(T* A, const T* eta, int64_t K) {
    for (int64_t t = 0; t < K; ++t) {
      for (int64_t s = 0; s <= t; ++s) A[t * K + s] = eta[t * K + s] * A[t * K + s] + eta[t * K + s];
      for (int64_t s = t + 1; s < K; ++s) A[t * K + s] = 0;
    }
  }
};

// Scratch of one scan, sized once for all its mini-batches and heads.
template <class T>
struct Workspace {
  explicit Workspace(int64_t K, int64_t f, int64_t F) {
    const int64_t w = std::max(f, F);
    z1.resize(2 * K * w);  // Z1 and Z1_bar, one product (stacked_rows)
    qk.resize(2 * K * f);
    for (auto* v : {&x2, &grad1, &scaled}) v->resize(K * w);
    for (auto* v : {&z2, &grad2, &z2_bar}) v->resize(K * f);
    attn.resize(K * K);
    row.resize(K * w);
  }
  std::vector<T> z1, qk, x2, grad1, scaled, z2, grad2, z2_bar, attn, row;
};

// qk [2K, f] = the mini-batch's K rows of XK, then its K rows of XQ, contiguous: both are
// multiplied by the same W1, so X1 W1 and XQ W1 are one product of 2K rows (one call, W1
// packed once), and XQ X1^T reads both from there.
template <class T>
inline void stacked_rows(T* qk, const T* xk, int64_t ldk, const T* xq, int64_t ldq, int64_t K, int64_t f) {
  for (int64_t t = 0; t < K; ++t) {
    std::copy(xk + t * ldk, xk + t * ldk + f, qk + t * f);
    std::copy(xq + t * ldq, xq + t * ldq + f, qk + (K + t) * f);
  }
}

// rows of `dst` [K, n] = bias [n]
template <class T>
inline void fill_rows(T* dst, const T* bias, int64_t K, int64_t n) {
  for (int64_t t = 0; t < K; ++t) std::copy(bias, bias + n, dst + t * n);
}

// bias [n] -= sum_s last_eta[s] grad[s, :] (the bias update of the dual form)
template <class T>
inline void update_bias(T* bias, const T* last_eta, const T* grad, int64_t K, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    T acc = 0;
    for (int64_t s = 0; s < K; ++s) acc += last_eta[s] * grad[s * n + j];
    bias[j] -= acc;
  }
}

// scaled [K, n] = last_eta[s] * x[s, :] (rows of stride ldx)
template <class T>
inline void scale_rows(T* scaled, const T* last_eta, const T* x, int64_t ldx, int64_t K, int64_t n) {
  for (int64_t s = 0; s < K; ++s) {
    for (int64_t j = 0; j < n; ++j) scaled[s * n + j] = last_eta[s] * x[s * ldx + j];
  }
}

// TTT-Linear: Z1 = X1 W1 + b1, its gradient through the fused layer norm and L2 loss,
// Z1_bar = XQ W1 + b1 - attn grad, W1 and b1 stepped by the last token's row of eta, and the
// output XQ + LN(Z1_bar).
template <class T, class Steps = DefaultSteps>
void linear_head_scan(const HeadScan<T>& s, Workspace<T>& ws) {
  const int64_t K = s.K, f = s.f;
  for (int64_t n = 0; n < s.N; ++n) {
    const auto m = mini_batch(s, n);
    T *z1 = ws.z1.data(), *z_bar = z1 + K * f, *grad = ws.grad1.data(), *attn = ws.attn.data();
    T *x1 = ws.qk.data(), *q = x1 + K * f;

    stacked_rows(x1, m.xk, s.xk.stride, m.xq, s.xq.stride, K, f);
    fill_rows(z1, s.b1, 2 * K, f);
    gemm(false, false, 2 * K, f, f, T(1), x1, f, s.W1, f, T(1), z1, f);  // Z1, then XQ W1 + b1
    inner_loss_grad_rows(s, m, z1, x1, grad, ws.row.data());
    gemm(false, true, K, K, f, T(1), q, f, x1, f, T(0), attn, K);
    Steps::attention(attn, m.eta, K);
    gemm(false, false, K, f, K, T(-1), attn, K, grad, f, T(1), z_bar, f);

    scale_rows(ws.scaled.data(), m.last_eta, x1, f, K, f);
    gemm(true, false, f, f, K, T(-1), ws.scaled.data(), f, grad, f, T(1), s.W1, f);
    update_bias(s.b1, m.last_eta, grad, K, f);

    output_rows(s, m, n, z_bar, ws.row.data());
  }
}

// TTT-MLP: X1 -> Z1 = X1 W1 + b1 -> X2 = gelu(Z1) -> Z2 = X2 W2 + b2; the gradients of Z2
// (fused layer norm and L2 loss) and Z1 (through W2 and gelu_bwd); each layer's Z_bar with its
// own attention term; the four updates; the output XQ + LN(Z2_bar).
template <class T, class Steps = DefaultSteps>
void mlp_head_scan(const HeadScan<T>& s, Workspace<T>& ws) {
  const int64_t K = s.K, f = s.f, F = s.F;
  for (int64_t n = 0; n < s.N; ++n) {
    const auto m = mini_batch(s, n);
    T *z1 = ws.z1.data(), *z1_bar = z1 + K * F, *x2 = ws.x2.data(), *z2 = ws.z2.data(),
      *grad1 = ws.grad1.data(), *grad2 = ws.grad2.data(), *z2_bar = ws.z2_bar.data(), *attn = ws.attn.data(),
      *scratch = ws.scaled.data();
    T *x1 = ws.qk.data(), *q = x1 + K * f;

    stacked_rows(x1, m.xk, s.xk.stride, m.xq, s.xq.stride, K, f);
    fill_rows(z1, s.b1, 2 * K, F);
    gemm(false, false, 2 * K, F, f, T(1), x1, f, s.W1, F, T(1), z1, F);  // Z1, then XQ W1 + b1
    gelu_n(z1, x2, scratch, K * F);
    fill_rows(z2, s.b2, K, f);
    gemm(false, false, K, f, F, T(1), x2, F, s.W2, f, T(1), z2, f);
    inner_loss_grad_rows(s, m, z2, x1, grad2, ws.row.data());
    gemm(false, true, K, F, f, T(1), grad2, f, s.W2, f, T(0), grad1, F);
    mul_gelu_bwd_n(z1, grad1, scratch, K * F);

    gemm(false, true, K, K, f, T(1), q, f, x1, f, T(0), attn, K);
    Steps::attention(attn, m.eta, K);
    gemm(false, false, K, F, K, T(-1), attn, K, grad1, F, T(1), z1_bar, F);
    T* x2_bar = z1_bar;  // gelu in place: Z1_bar is not read again
    gelu_n(z1_bar, x2_bar, scratch, K * F);

    gemm(false, true, K, K, F, T(1), x2_bar, F, x2, F, T(0), attn, K);
    Steps::attention(attn, m.eta, K);
    fill_rows(z2_bar, s.b2, K, f);
    gemm(false, false, K, f, F, T(1), x2_bar, F, s.W2, f, T(1), z2_bar, f);
    gemm(false, false, K, f, K, T(-1), attn, K, grad2, f, T(1), z2_bar, f);

    scale_rows(scratch, m.last_eta, x1, f, K, f);
    gemm(true, false, f, F, K, T(-1), scratch, f, grad1, F, T(1), s.W1, F);
    update_bias(s.b1, m.last_eta, grad1, K, F);
    scale_rows(scratch, m.last_eta, x2, F, K, F);
    gemm(true, false, F, f, K, T(-1), scratch, F, grad2, f, T(1), s.W2, f);
    update_bias(s.b2, m.last_eta, grad2, K, f);

    output_rows(s, m, n, z2_bar, ws.row.data());
  }
}

}  // namespace ttt::detail::fused
