// Anchor translation unit: gives the shared torch precompiled header a target to be built in.
#include <torch/torch.h>
