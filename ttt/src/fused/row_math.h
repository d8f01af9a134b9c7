#pragma once
// The inner loop's element-wise pieces on raw rows, as inner_math.h writes them on tensors
// (ttt.py ln_fwd, ln_fused_l2_bwd, gelu_bwd, the same constants and the same order of
// operations), for the fused scan. T is float or double; every value stays in T, as ATen
// computes a float tensor in float.

#include "cpu_blas.h"

#include <cmath>
#include <cstdint>

namespace ttt::detail::fused {

constexpr double kNormEps = 1e-6;  // inner_math.h kTTTNormEps

// x - mean(x) into c, and sqrt(mean(c^2) + eps) (centered_and_std, two-pass).
template <class T>
inline T centre_row(const T* x, T* c, int64_t n) {
  T sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += x[j];
  const T mean = sum / static_cast<T>(n);
  T sq = 0;
  for (int64_t j = 0; j < n; ++j) {
    c[j] = x[j] - mean;
    sq += c[j] * c[j];
  }
  return std::sqrt(sq / static_cast<T>(n) + static_cast<T>(kNormEps));
}

// out = add + gamma * (x - mean) / std + beta, one row (the output rule XQ + ln_fwd(Z_bar)).
template <class T>
inline void ln_fwd_row(const T* x, const T* gamma, const T* beta, const T* add, T* out, T* scratch, int64_t n) {
  const T std = centre_row(x, scratch, n);
  for (int64_t j = 0; j < n; ++j) out[j] = add[j] + (gamma[j] * (scratch[j] / std) + beta[j]);
}

// grad of 0.5 |ln(x) - (v - k)|^2 with respect to x, one row (ln_fused_l2_bwd; the target
// XV - XK formed here, as the ATen path forms it before the scan).
template <class T>
inline void ln_fused_l2_bwd_row(const T* x, const T* v, const T* k, const T* gamma, const T* beta, T* grad,
                                T* x_hat, int64_t n) {
  const T std = centre_row(x, x_hat, n);
  T sum_g = 0, sum_gx = 0;
  for (int64_t j = 0; j < n; ++j) {
    x_hat[j] = x_hat[j] / std;
    const T y = gamma[j] * x_hat[j] + beta[j];
    const T g = (y - (v[j] - k[j])) * gamma[j];
    grad[j] = g;
    sum_g += g;
    sum_gx += g * x_hat[j];
  }
  const T D = static_cast<T>(n);
  for (int64_t j = 0; j < n; ++j) grad[j] = (T(1) / D) * (D * grad[j] - sum_g - x_hat[j] * sum_gx) / std;
}

// y = gelu_tanh(x) over n values, as ATen's tanh-approximated GELU: 0.5 x (1 + tanh(sqrt(2/pi)
// (x + 0.044715 x^3))). scratch: n values.
template <class T>
inline void gelu_n(const T* x, T* y, T* scratch, int64_t n) {
  const T beta = static_cast<T>(M_SQRT2 * M_2_SQRTPI * 0.5), kappa = static_cast<T>(0.044715);
  for (int64_t i = 0; i < n; ++i) scratch[i] = beta * (x[i] + kappa * (x[i] * x[i] * x[i]));
  tanh_n(scratch, scratch, n);
  for (int64_t i = 0; i < n; ++i) y[i] = T(0.5) * x[i] * (T(1) + scratch[i]);
}

// y *= gelu_bwd(x) over n values (the reference's gelu_bwd, its truncated 0.79788456).
template <class T>
inline void mul_gelu_bwd_n(const T* x, T* y, T* scratch, int64_t n) {
  const T c = static_cast<T>(0.79788456), k = static_cast<T>(0.044715), d = static_cast<T>(0.1070322243);
  for (int64_t i = 0; i < n; ++i) scratch[i] = c * x[i] * (T(1) + k * x[i] * x[i]);
  tanh_n(scratch, scratch, n);
  for (int64_t i = 0; i < n; ++i) {
    const T t = scratch[i];
    y[i] *= T(0.5) * x[i] * ((T(1) - t * t) * (c + d * x[i] * x[i])) + T(0.5) * (T(1) + t);
  }
}

}  // namespace ttt::detail::fused
