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

// Whether the LibTorch this program runs with exports the BLAS symbols (weak references,
// cpu_blas.cpp): without them the fused scan is not offered and every dtype keeps the ATen
// path.
bool cpu_blas_available();

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// For its lifetime, the BLAS calls of this thread run on this thread alone. The scan's tasks
// are already one per thread (at::parallel_for over heads), and LibTorch sets MKL's thread
// count to the intra-op count with MKL's dynamic adjustment off (mkl_set_dynamic(0)), so each
// [16, 64] product called from a task would open an OpenMP team of its own inside the task's:
// measured at 2 threads, the MLP scan took 496 ms against 243 ms on one thread, a quarter of
// the samples in libgomp. Through MKL's per-thread setting (mkl_set_num_threads_local),
// restored on exit; nothing where the BLAS has no such setting (OpenBLAS), whose products
// then keep its own threading.
class SerialBlasScope {
 public:
  SerialBlasScope();
  ~SerialBlasScope();
  SerialBlasScope(const SerialBlasScope&) = delete;
  SerialBlasScope& operator=(const SerialBlasScope&) = delete;

 private:
  int previous_ = 0;  // MKL's own convention: 0 = this thread follows the global count
  bool active_ = false;
};

// y[i] = tanh(x[i]) for n values (x == y allowed): Sleef's vectorised tanh from libtorch_cpu
// when the CPU and the library have it (within 1 ulp; the 3.5-ulp float32 variant was tried
// and failed the reference-error rule on mlp_decode_f32_p11_t7_k4's W1_grad, 1.015 times its
// bound), the C library's otherwise.
void tanh_n(const float* x, float* y, int64_t n);
void tanh_n(const double* x, double* y, int64_t n);

}  // namespace ttt::detail::fused
