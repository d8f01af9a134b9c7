#pragma once
// The CPU BLAS that LibTorch itself calls for float32/float64 products (MKL in the PyPI
// wheels, OpenBLAS in Debian's), reached on raw pointers: the fused scan's products are
// [16, 64] x [64, 256] and smaller, where one ATen call costs more in dispatch than the
// product in arithmetic. ATen's own wrapper (at::native::cpublas::gemm) is not exported from
// libtorch_cpu.so, the Fortran symbols it calls are.
//
// Row-major in, row-major out: gemm computes C[M, N] = alpha op(A) op(B) + beta C, where
// op(A) is [M, Kd] (A itself, or A^T when trans_a), op(B) is [Kd, N]; lda, ldb, ldc are row
// strides in elements.

#include <cstdint>

namespace ttt::detail::fused {

// Whether this build of the layer found the BLAS symbols at configure time
// (TTT_HAVE_FORTRAN_BLAS): without them the fused scan is not offered and every dtype keeps
// the ATen path.
bool cpu_blas_available();

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// y[i] = tanh(x[i]) for n values (x == y allowed): Sleef's vectorised tanh from libtorch_cpu
// when the CPU and the library have it (within 1 ulp; the 3.5-ulp float32 variant was tried
// and failed the reference-error rule on mlp_decode_f32_p11_t7_k4's W1_grad, 1.015 times its
// bound), the C library's otherwise.
void tanh_n(const float* x, float* y, int64_t n);
void tanh_n(const double* x, double* y, int64_t n);

}  // namespace ttt::detail::fused
