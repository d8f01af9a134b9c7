#pragma once
// What the modulo checks use, for the test that their evidence names it exactly: the detail
// strings are generated from these, never typed beside them ("1.6e7" once stood for 10^6).

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::checks::modulo {

constexpr int64_t kMiniBatch = 16;
// Shifts by whole mini-batches, up to positions far beyond any trained context.
const std::vector<int64_t>& whole_shifts();
// Shifts by anything else: each must change the output.
const std::vector<int64_t>& other_shifts();
// First positions of sequences judged against their residues modulo the mini-batch.
const std::vector<int64_t>& far_starts();

// "16, 112, 1000000": each number as the check used it, no rounding.
std::string listed(const std::vector<int64_t>& numbers);

}  // namespace ttt::checks::modulo
