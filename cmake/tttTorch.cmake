# LibTorch as one INTERFACE target, for the build tree (cmake/TorchWheel.cmake) and for
# projects that use the installed package (tttConfig.cmake): installed beside tttConfig.cmake.
#
# The PyPI torch wheel is a CUDA build whose CUDA libraries live in sibling nvidia-* wheels.
# Torch's own CMake config links libcudart/libnvrtc from the system toolkit (/usr/local/cuda),
# whose version need not match the wheel's, and the linker would then also resolve NCCL & co.
# from there. The target points those at the wheel's own copies, so that one ATen and one CUDA
# runtime are used. A LibTorch that is not a wheel (no nvidia/ folder beside it) is linked as
# its config says.

# Torch's CUDA config wants an arch list even though nothing here compiles CUDA code.
macro(ttt_torch_cuda_arch_default)
  if(NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
    set(ENV{TORCH_CUDA_ARCH_LIST} "9.0")
  endif()
endmacro()

# ttt_define_torch_target(<name> [IMPORTED]): after find_package(Torch), an INTERFACE target
# <name> with LibTorch's libraries and the wheel's CUDA runtime (IMPORTED for a consumer).
function(ttt_define_torch_target name)
  if(ARGN STREQUAL "IMPORTED")
    add_library(${name} INTERFACE IMPORTED)
  else()
    add_library(${name} INTERFACE)
  endif()
  get_filename_component(site "${Torch_DIR}/../../../.." ABSOLUTE)  # torch/share/cmake/Torch -> site-packages
  file(GLOB nv_dirs LIST_DIRECTORIES true "${site}/nvidia/*/lib")
  file(GLOB cudart "${site}/nvidia/*/lib/libcudart.so.*")
  file(GLOB nvrtc "${site}/nvidia/*/lib/libnvrtc.so.[0-9]*")
  list(FILTER nvrtc EXCLUDE REGEX "builtins")
  if(TARGET torch::cudart AND cudart)
    list(GET cudart 0 cudart)
    set_property(TARGET torch::cudart PROPERTY INTERFACE_LINK_LIBRARIES "${cudart}")
  endif()
  set(libs ${TORCH_LIBRARIES})
  if(nvrtc)
    list(GET nvrtc 0 nvrtc)
    list(TRANSFORM libs REPLACE "^.*/libnvrtc\\.so$" "${nvrtc}")
  endif()
  target_link_libraries(${name} INTERFACE ${libs})
  if(nv_dirs)
    list(JOIN nv_dirs ":" nv_path)
    target_link_options(${name} INTERFACE "LINKER:-rpath-link,${nv_path}")
  endif()
  # Where an installed program finds these libraries at run time (its INSTALL_RPATH):
  # CMake leaves out of the install rpath any folder inside the project, such as its .venv.
  get_filename_component(torch_lib "${Torch_DIR}/../../../lib" ABSOLUTE)
  set_property(TARGET ${name} PROPERTY TTT_RUNTIME_DIRS "${torch_lib}" ${nv_dirs})
endfunction()
