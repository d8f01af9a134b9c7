#pragma once
// Saving a layer's decode cache to an HDF5 state file and restoring it, so that decoding
// can stop and resume (in another process) exactly where it was.

#include <ttt/ttt.h>

#include <harness/fixture/fixture.h>

#include <string>

namespace ttt::harness {

// Every cache tensor (fast weights, carried gradients, conv windows) and the offset.
void save_cache(const ttt::TTTCache& cache, const ttt::TTTBaseImpl& layer, const std::string& path);

// Restores into `cache`, made for `layer`. Throws FixtureError when the file is unusable or
// was saved from a layer of another type, config or dtype; c10::Error when a tensor's name
// or shape does not fit the cache.
void restore_cache(ttt::TTTCache& cache, const ttt::TTTBaseImpl& layer, const std::string& path);

}  // namespace ttt::harness
