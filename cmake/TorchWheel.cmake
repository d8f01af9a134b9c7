# LibTorch for the build tree: from the pinned PyPI torch wheel in the project's virtual
# environment (TTT_PYTHON, made by scripts/setup), or, when there is no such interpreter (the
# project added with add_subdirectory by a project that brings its own LibTorch), from
# find_package(Torch) on CMAKE_PREFIX_PATH / Torch_DIR.
#
# Defines the INTERFACE target ttt::torch (cmake/tttTorch.cmake) and ttt_use_torch_pch(target).
# Torch's imported targets are GLOBAL: ttt::layer names them, and a project that adds this one
# with add_subdirectory links ttt::layer from its own directory.
include("${CMAKE_CURRENT_LIST_DIR}/tttTorch.cmake")

set(TTT_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python interpreter whose torch wheel provides LibTorch (scripts/setup creates it)")
ttt_torch_cuda_arch_default()
if(EXISTS "${TTT_PYTHON}")
  execute_process(
    COMMAND "${TTT_PYTHON}" -c "import torch; print(torch.utils.cmake_prefix_path)"
    OUTPUT_VARIABLE _ttt_torch_prefix RESULT_VARIABLE _ttt_torch_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _ttt_torch_rc EQUAL 0)
    message(FATAL_ERROR "'${TTT_PYTHON}' cannot import torch: run scripts/setup")
  endif()
  list(PREPEND CMAKE_PREFIX_PATH "${_ttt_torch_prefix}")
  find_package(Torch REQUIRED GLOBAL)
  # The wheel's full version ("2.15.0+cu132"): the build a fixture's provenance names when the
  # reference ran on this same torch (harness/runner/environment.cpp, made_by_this_build).
  execute_process(
    COMMAND "${TTT_PYTHON}" -c "import torch; print(torch.__version__)"
    OUTPUT_VARIABLE TTT_TORCH_BUILD OUTPUT_STRIP_TRAILING_WHITESPACE)
elseif(PROJECT_IS_TOP_LEVEL)
  message(FATAL_ERROR "TTT_PYTHON='${TTT_PYTHON}' does not exist: run scripts/setup first "
                      "(or pass -DTTT_PYTHON=/path/to/python with torch installed)")
else()
  find_package(Torch GLOBAL)
  if(NOT Torch_FOUND)
    message(FATAL_ERROR "ttt needs LibTorch: set Torch_DIR, put LibTorch's prefix on "
                        "CMAKE_PREFIX_PATH (python -c 'import torch; print(torch.utils.cmake_prefix_path)'), "
                        "or pass -DTTT_PYTHON=/path/to/python with torch installed")
  endif()
endif()

ttt_define_torch_target(ttt_torch)
add_library(ttt::torch ALIAS ttt_torch)
message(STATUS "LibTorch ${Torch_VERSION} from ${Torch_DIR}")

# One precompiled header for every target that includes torch: torch/torch.h costs ~25 s a
# translation unit on its own, so it is parsed once per build tree.
add_library(ttt_torch_pch STATIC "${CMAKE_CURRENT_LIST_DIR}/torch_pch_anchor.cpp")
target_link_libraries(ttt_torch_pch PUBLIC ttt::torch)
target_precompile_headers(ttt_torch_pch PUBLIC <torch/torch.h>)
function(ttt_use_torch_pch target)
  target_precompile_headers(${target} REUSE_FROM ttt_torch_pch)
endfunction()
