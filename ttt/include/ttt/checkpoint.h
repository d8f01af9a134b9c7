#pragma once
// A layer's parameters from a checkpoint file, by the reference's state_dict names below a
// prefix, e.g. "model.layers.3.seq_modeling_block." for layer 3 of upstream's TTTForCausalLM:
// safetensors (what save_pretrained writes), or torch.save's zip format holding a dict of
// tensors (pytorch_model.bin; not the OrderedDict of torch.save(model.state_dict()), which
// LibTorch's unpickler reads as None: that file is refused by name, docs/LAYER.md).
//
//   auto layer = ttt::make_layer(ttt::LayerType::Linear, ttt::TTTOptions(768, 12));
//   ttt::load_state_dict(*layer, "model.safetensors", "model.layers.3.seq_modeling_block.");
//
// Strict, like load_state_dict(strict=True): every parameter of the layer must be in the file
// under the prefix, with the layer's shape and dtype (convert the layer with ->to(dtype) first,
// or the checkpoint), and no tensor under the prefix may be left over. Every problem is a
// c10::Error naming the file, the tensor, what was expected and what was found; a malformed
// file (a header that lies about its length or its offsets, a truncated payload, an unknown
// dtype) is one too, never a crash. Nothing of the layer is changed unless all of it loads.

#include <ttt/layer.h>

#include <string>

namespace ttt {

void load_state_dict(TTTBaseImpl& layer, const std::string& path, const std::string& prefix = "");

}  // namespace ttt
