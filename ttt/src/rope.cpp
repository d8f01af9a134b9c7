#include <ttt/rope.h>

#include <cmath>

namespace ttt {

torch::Tensor rope_inverse_frequencies(int64_t head_dim, double theta, const torch::Device& device) {
  // Reference: 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)),
  // all in float32; the same ATen ops in the same order give the same bits.
  const auto exponents =
      torch::arange(0, head_dim, 2, torch::dtype(torch::kInt64).device(device)).to(torch::kFloat32) /
      static_cast<double>(head_dim);
  return torch::reciprocal(torch::pow(theta, exponents));
}

namespace {

// Rotates the interleaved pairs of x's last dim by cos/sin tables [..., f/2] that broadcast
// against x without their last dim.
torch::Tensor rotate_pairs(const torch::Tensor& x, const torch::Tensor& cos_half, const torch::Tensor& sin_half) {
  const auto half = x.size(-1) / 2;
  // The reference rotates the interleaved pairs (x0, x1), (x2, x3), ... (its permute_qk puts
  // them side by side, rotate_half, undo_permute_qk): (x0 cos - x1 sin, x1 cos + x0 sin).
  // Written on whole rows, out = x * [c, c] + swap_pairs(x) * [-s, s]: the same products and
  // sums (a - b and a + (-b) round alike), bit for bit, with every operand contiguous in the
  // last dim, which is 2.5x faster than the even/odd strided views. The product and the sum
  // land in the temporaries themselves (in place: nothing autograd saves is overwritten).
  const auto cos = cos_half.repeat_interleave(2, -1);
  const auto sin = torch::stack({-sin_half, sin_half}, -1).flatten(-2);
  const auto pairs = x.unflatten(-1, {half, 2});
  // stack, not flip: flip has no meta kernel, and the device suite runs RoPE on meta.
  auto swapped = torch::stack({pairs.select(-1, 1), pairs.select(-1, 0)}, -1).flatten(-2);
  swapped.mul_(sin);
  return torch::mul(x, cos).add_(swapped);
}

}  // namespace

torch::Tensor rope_rotate(const torch::Tensor& x, const RopeTables& tables) {
  TORCH_CHECK(x.dim() == 4, "rope_rotate: expected x of shape [B, H, L, head_dim], got ", x.sizes());
  TORCH_CHECK(x.device() == tables.cos.device(), "rope_rotate: x is on ", x.device(),
              " but the RoPE tables are on ", tables.cos.device());
  TORCH_CHECK(x.scalar_type() == tables.cos.scalar_type(), "rope_rotate: x is ", x.scalar_type(),
              " but the RoPE tables are ", tables.cos.scalar_type());
  // forward hands on [B, H, L, f] views of the projections' [B, L, H, f] rows: rotate them in
  // that memory order, where every operand is contiguous and the tables broadcast over the
  // heads (a third faster than the transposed order), and give back the same view.
  if (!x.is_contiguous() && x.transpose(1, 2).is_contiguous()) {
    return rotate_pairs(x.transpose(1, 2), tables.cos.unsqueeze(2), tables.sin.unsqueeze(2)).transpose(1, 2);
  }
  return rotate_pairs(x, tables.cos.unsqueeze(1), tables.sin.unsqueeze(1));
}

RopeTableCache::RopeTableCache(int64_t head_dim, int64_t mini_batch_size, double theta)
    : head_dim_(head_dim), mini_batch_size_(mini_batch_size), theta_(theta) {
  TORCH_CHECK(head_dim > 0 && head_dim % 2 == 0, "RopeTableCache: head_dim must be positive and even, got ", head_dim);
  TORCH_CHECK(mini_batch_size > 0, "RopeTableCache: mini_batch_size must be positive, got ", mini_batch_size);
  TORCH_CHECK(std::isfinite(theta) && theta > 0, "RopeTableCache: theta must be finite and positive, got ", theta);
}

std::pair<torch::Tensor, torch::Tensor> RopeTableCache::build(const torch::Device& device,
                                                               torch::ScalarType dtype) const {
  if (pinned_.first.defined()) return {pinned_.first.to(device, dtype), pinned_.second.to(device, dtype)};
  const auto inv_freq = rope_inverse_frequencies(head_dim_, theta_, device);
  const auto positions =
      torch::arange(mini_batch_size_, torch::dtype(torch::kInt64).device(device)).to(torch::kFloat32);
  const auto angles = positions.unsqueeze(1) * inv_freq.unsqueeze(0);  // float32 [K, f/2]
  return {angles.cos().to(dtype), angles.sin().to(dtype)};
}

void RopeTableCache::pin(const torch::Tensor& cos, const torch::Tensor& sin) {
  const std::vector<int64_t> shape{mini_batch_size_, head_dim_ / 2};
  for (const auto* t : {&cos, &sin}) {
    TORCH_CHECK(t->defined() && t->sizes() == torch::IntArrayRef(shape),
                "RopeTableCache::pin: expected [mini_batch_size, head_dim/2] = ", torch::IntArrayRef(shape),
                " tables, got ", t->defined() ? t->sizes() : torch::IntArrayRef{});
    TORCH_CHECK(t->is_floating_point(), "RopeTableCache::pin: tables must be floating point, got ",
                t->scalar_type());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  c10::InferenceMode not_inference(false);
  pinned_ = {cos.detach().clone(), sin.detach().clone()};
  tables_.clear();  // every (device, dtype) is rebuilt from the pinned values
}

RopeTables RopeTableCache::lookup(const torch::Tensor& residues, torch::ScalarType dtype) const {
  TORCH_CHECK(residues.dim() == 2, "RoPE positions must be [P, L], got ", residues.sizes());
  const auto device = residues.device();
  const auto key = std::make_tuple(static_cast<int>(device.type()), static_cast<int>(device.index()),
                                   static_cast<int>(dtype));
  torch::Tensor cos, sin;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = tables_.find(key);
    if (it == tables_.end()) {
      // Tables are shared across calls, so they must be ordinary tensors even when first
      // built inside an InferenceMode region of a caller (autograd may save them later).
      c10::InferenceMode not_inference(false);
      torch::NoGradGuard no_grad;
      it = tables_.emplace(key, build(device, dtype)).first;
    }
    cos = it->second.first;
    sin = it->second.second;
  }
  // gather rather than index_select: it has a C++ meta kernel, so the device suite can run
  // RoPE on the meta device.
  const auto half = head_dim_ / 2;
  const auto index = residues.reshape({-1, 1}).expand({residues.numel(), half});
  const auto shape = std::vector<int64_t>{residues.size(0), residues.size(1), half};
  return {cos.gather(0, index).view(shape), sin.gather(0, index).view(shape)};
}

}  // namespace ttt
