#pragma once
// Umbrella header of the TTT layer library.
#include <ttt/cache.h>
#include <ttt/checkpoint.h>
#include <ttt/layer.h>
#include <ttt/options.h>
#include <ttt/rope.h>
