#include "cpu_blas.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TTT_FUSED_X86 1
#endif

// Weak references: resolved at load time against the LibTorch the program runs with
// (libtorch_cpu.so exports its BLAS's Fortran entry points and its Sleef kernels), null where
// that build has none, so that neither this library nor a consumer of the installed package
// fails to link against another LibTorch; the fused scan then steps aside (cpu_blas_available).
extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha,
            const float* a, const int* lda, const float* b, const int* ldb, const float* beta, float* c,
            const int* ldc) __attribute__((weak));
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc) __attribute__((weak));
// MKL's C entry point (mkl_service.h maps mkl_set_num_threads_local to it; the lower-case
// exported names are the Fortran ones, which take a pointer): returns the previous setting.
int MKL_Set_Num_Threads_Local(int nt) __attribute__((weak));
#ifdef TTT_FUSED_X86
__m256 Sleef_tanhf8_u10avx2(__m256) __attribute__((weak));
__m256d Sleef_tanhd4_u10avx2(__m256d) __attribute__((weak));
#endif
}

namespace ttt::detail::fused {
namespace {

int blas_int(int64_t v, const char* what) {
  TORCH_CHECK(v >= 0 && v <= std::numeric_limits<int>::max(), "fused scan: ", what, " = ", v,
              " does not fit the BLAS's 32-bit integers");
  return static_cast<int>(v);
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the same buffers, the
// operands swapped, each transposition flag kept (a row-major buffer read column-major is its
// own transpose).
template <class T, class Fn>
void row_major_gemm(Fn fn, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, T alpha, const T* A,
                    int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  const char ta = trans_b ? 'T' : 'N';
  const char tb = trans_a ? 'T' : 'N';
  const int m = blas_int(N, "N"), n = blas_int(M, "M"), k = blas_int(Kd, "K");
  const int la = blas_int(ldb, "ldb"), lb = blas_int(lda, "lda"), lc = blas_int(ldc, "ldc");
  fn(&ta, &tb, &m, &n, &k, &alpha, B, &la, A, &lb, &beta, C, &lc);
}

#ifdef TTT_FUSED_X86
bool cpu_has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

__attribute__((target("avx2,fma"))) void tanh_avx2(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_tanhf8_u10avx2(_mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] = std::tanh(x[i]);
}

__attribute__((target("avx2,fma"))) void tanh_avx2(const double* x, double* y, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(y + i, Sleef_tanhd4_u10avx2(_mm256_loadu_pd(x + i)));
  for (; i < n; ++i) y[i] = std::tanh(x[i]);
}
#endif

}  // namespace

bool cpu_blas_available() { return sgemm_ != nullptr && dgemm_ != nullptr; }

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  row_major_gemm<float>(sgemm_, trans_a, trans_b, M, N, Kd, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t Kd, double alpha, const double* A,
          int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  row_major_gemm<double>(dgemm_, trans_a, trans_b, M, N, Kd, alpha, A, lda, B, ldb, beta, C, ldc);
}

SerialBlasScope::SerialBlasScope() {
  if (MKL_Set_Num_Threads_Local != nullptr) {
    previous_ = MKL_Set_Num_Threads_Local(1);
    active_ = true;
  }
}

SerialBlasScope::~SerialBlasScope() {
  if (active_) MKL_Set_Num_Threads_Local(previous_);
}

void tanh_n(const float* x, float* y, int64_t n) {
#ifdef TTT_FUSED_X86
  if (Sleef_tanhf8_u10avx2 != nullptr && cpu_has_avx2_fma()) return tanh_avx2(x, y, n);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void tanh_n(const double* x, double* y, int64_t n) {
#ifdef TTT_FUSED_X86
  if (Sleef_tanhd4_u10avx2 != nullptr && cpu_has_avx2_fma()) return tanh_avx2(x, y, n);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

}  // namespace ttt::detail::fused
