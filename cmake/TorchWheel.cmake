# LibTorch from the pinned PyPI torch wheel in the project's virtual environment.
#
# The wheel is a CUDA build whose CUDA libraries live in sibling nvidia-* wheels. Torch's own
# CMake config links libcudart/libnvrtc from the system toolkit (/usr/local/cuda), whose
# version need not match the wheel's, and the linker would then also resolve NCCL & co. from
# there. We point those at the wheel's own copies so that one ATen, one CUDA runtime, is used.
#
# Defines the INTERFACE target ttt::torch (libraries, flags, rpath) and ttt_use_torch_pch(target).

set(TTT_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python interpreter whose torch wheel provides LibTorch (scripts/setup creates it)")
if(NOT EXISTS "${TTT_PYTHON}")
  message(FATAL_ERROR "TTT_PYTHON='${TTT_PYTHON}' does not exist: run scripts/setup first "
                      "(or pass -DTTT_PYTHON=/path/to/python with torch installed)")
endif()
execute_process(
  COMMAND "${TTT_PYTHON}" -c "import torch; print(torch.utils.cmake_prefix_path); print(torch.__version__)"
  OUTPUT_VARIABLE _ttt_torch_out RESULT_VARIABLE _ttt_torch_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _ttt_torch_rc EQUAL 0)
  message(FATAL_ERROR "'${TTT_PYTHON}' cannot import torch: run scripts/setup")
endif()
string(REPLACE "\n" ";" _ttt_torch_out "${_ttt_torch_out}")
list(GET _ttt_torch_out 0 _ttt_torch_prefix)
list(GET _ttt_torch_out 1 TTT_TORCH_VERSION)
list(PREPEND CMAKE_PREFIX_PATH "${_ttt_torch_prefix}")

# Torch's CUDA config wants an arch list; we compile no CUDA code ourselves.
if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(ENV{TORCH_CUDA_ARCH_LIST} "9.0")
endif()
find_package(Torch REQUIRED)

get_filename_component(_ttt_site "${_ttt_torch_prefix}/../../.." ABSOLUTE)  # torch/share/cmake -> site-packages
file(GLOB _ttt_nv_dirs LIST_DIRECTORIES true "${_ttt_site}/nvidia/*/lib")
file(GLOB _ttt_cudart "${_ttt_site}/nvidia/*/lib/libcudart.so.*")
file(GLOB _ttt_nvrtc "${_ttt_site}/nvidia/*/lib/libnvrtc.so.[0-9]*")
list(FILTER _ttt_nvrtc EXCLUDE REGEX "builtins")
if(TARGET torch::cudart AND _ttt_cudart)
  list(GET _ttt_cudart 0 _ttt_cudart)
  set_property(TARGET torch::cudart PROPERTY INTERFACE_LINK_LIBRARIES "${_ttt_cudart}")
endif()
set(_ttt_torch_libs ${TORCH_LIBRARIES})
if(_ttt_nvrtc)
  list(GET _ttt_nvrtc 0 _ttt_nvrtc)
  list(TRANSFORM _ttt_torch_libs REPLACE "^.*/libnvrtc\\.so$" "${_ttt_nvrtc}")
endif()

add_library(ttt_torch INTERFACE)
add_library(ttt::torch ALIAS ttt_torch)
target_link_libraries(ttt_torch INTERFACE ${_ttt_torch_libs})
if(_ttt_nv_dirs)
  list(JOIN _ttt_nv_dirs ":" _ttt_nv_path)
  target_link_options(ttt_torch INTERFACE "LINKER:-rpath-link,${_ttt_nv_path}")
endif()
message(STATUS "LibTorch ${TTT_TORCH_VERSION} from ${_ttt_site}")

# One precompiled header for every target that includes torch: torch/torch.h costs ~25 s a
# translation unit on its own, so it is parsed once per build tree.
add_library(ttt_torch_pch STATIC "${CMAKE_CURRENT_LIST_DIR}/torch_pch_anchor.cpp")
target_link_libraries(ttt_torch_pch PUBLIC ttt::torch)
target_precompile_headers(ttt_torch_pch PUBLIC <torch/torch.h>)
function(ttt_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM ttt_torch_pch)
endfunction()
