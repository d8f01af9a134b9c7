#pragma once
// How the layer under test is made: by a factory (the production layer, or in the mutation
// suite a deliberately broken one run through the very same checks), from a fixture's config.

#include <harness/fixture/fixture.h>

#include <ttt/ttt.h>

#include <functional>
#include <memory>

namespace ttt::harness {

// Builds the layer under test. The default is the production layer; the mutation suite
// passes factories of deliberately broken layers through the same checks.
using LayerFactory = std::function<std::shared_ptr<ttt::TTTBaseImpl>(ttt::LayerType, const ttt::TTTOptions&)>;
LayerFactory production_layers();

// The layer options a fixture's config describes, and the inverse (for a saved cache).
ttt::TTTOptions layer_options(const LayerConfig& config);
LayerConfig layer_config(const ttt::TTTOptions& options);

}  // namespace ttt::harness
