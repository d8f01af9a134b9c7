#include "h5_edit.h"

#include <harness/fixture/hdf5_attribute.h>

#include <stdexcept>

namespace ttt::harness::testing {
namespace {

using detail::H5Handle;

// The library's helpers throw its DetailError; tests want one exception type to report.
template <class Body>
void as_runtime_error(const std::string& what, Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    throw std::runtime_error(what + ": " + e.what());
  }
}

void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error(detail::with_hdf5_error("H5Edit: " + what));
}

H5Handle must(hid_t id, H5Handle::Closer closer, const std::string& what) {
  if (id < 0) throw std::runtime_error(detail::with_hdf5_error("H5Edit: " + what));
  return H5Handle(id, closer);
}

}  // namespace

H5Edit::H5Edit(const std::string& path) {
  detail::silence_hdf5_errors();
  file_ = must(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose, "open " + path);
}

hid_t H5Edit::open_object(const std::string& path) {
  const hid_t id = H5Oopen(file(), path.c_str(), H5P_DEFAULT);
  if (id < 0) throw std::runtime_error(detail::with_hdf5_error("H5Edit: open " + path));
  return id;
}

void H5Edit::remove(const std::string& path) {
  check(H5Ldelete(file(), path.c_str(), H5P_DEFAULT), "remove " + path);
}

void H5Edit::create_group(const std::string& path) {
  must(H5Gcreate2(file(), path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
       "create group " + path);
}

void H5Edit::soft_link(const std::string& target, const std::string& link) {
  check(H5Lcreate_soft(target.c_str(), file(), link.c_str(), H5P_DEFAULT, H5P_DEFAULT),
        "soft link " + link);
}

void H5Edit::external_link(const std::string& other, const std::string& target,
                           const std::string& link) {
  check(H5Lcreate_external(other.c_str(), target.c_str(), file(), link.c_str(), H5P_DEFAULT,
                           H5P_DEFAULT),
        "external link " + link);
}

void H5Edit::set_string(const std::string& object, const std::string& name,
                        const std::string& value) {
  H5Handle target(open_object(object), H5Oclose);
  as_runtime_error("set " + name, [&] { detail::write_string_attribute(target.get(), name, value); });
}

void H5Edit::set_fixed_string(const std::string& object, const std::string& name,
                              const std::string& value, H5T_cset_t cset) {
  H5Handle target(open_object(object), H5Oclose);
  as_runtime_error("set " + name, [&] {
    detail::write_fixed_string_attribute(target.get(), name, value, cset);
  });
}

void H5Edit::set_int(const std::string& object, const std::string& name, int64_t value) {
  H5Handle target(open_object(object), H5Oclose);
  as_runtime_error("set " + name, [&] { detail::write_int64_attribute(target.get(), name, value); });
}

void H5Edit::set_float(const std::string& object, const std::string& name, double value) {
  H5Handle target(open_object(object), H5Oclose);
  as_runtime_error("set " + name, [&] { detail::write_float64_attribute(target.get(), name, value); });
}

void H5Edit::set_string_array(const std::string& object, const std::string& name,
                              const std::vector<std::string>& values) {
  H5Handle target(open_object(object), H5Oclose);
  remove_attribute(object, name);
  H5Handle type = must(H5Tcopy(H5T_C_S1), H5Tclose, "string type");
  check(H5Tset_size(type.get(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "string type");
  const hsize_t count = values.size();
  H5Handle space = must(H5Screate_simple(1, &count, nullptr), H5Sclose, "space");
  H5Handle attribute = must(H5Acreate2(target.get(), name.c_str(), type.get(), space.get(),
                                       H5P_DEFAULT, H5P_DEFAULT),
                            H5Aclose, "create " + name);
  std::vector<const char*> pointers;
  for (const std::string& value : values) pointers.push_back(value.c_str());
  check(H5Awrite(attribute.get(), type.get(), pointers.data()), "write " + name);
}

void H5Edit::remove_attribute(const std::string& object, const std::string& name) {
  H5Handle target(open_object(object), H5Oclose);
  if (H5Aexists(target.get(), name.c_str()) > 0) {
    check(H5Adelete(target.get(), name.c_str()), "delete attribute " + name);
  }
}

void H5Edit::put_dataset(const std::string& path, hid_t file_type, hid_t memory_type,
                         const std::vector<hsize_t>& dims, const void* data,
                         const std::vector<hsize_t>& chunk) {
  if (H5Lexists(file(), path.c_str(), H5P_DEFAULT) > 0) remove(path);
  H5Handle space = dims.empty()
                       ? must(H5Screate(H5S_SCALAR), H5Sclose, "space")
                       : must(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                              H5Sclose, "space");
  H5Handle create = must(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "plist");
  if (!chunk.empty()) {
    check(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()), "chunk");
    check(H5Pset_deflate(create.get(), 6), "deflate");
  }
  H5Handle dataset = must(H5Dcreate2(file(), path.c_str(), file_type, space.get(), H5P_DEFAULT,
                                     create.get(), H5P_DEFAULT),
                          H5Dclose, "create " + path);
  check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write " + path);
}

void H5Edit::put_unwritten_dataset(const std::string& path, hid_t file_type,
                                   const std::vector<hsize_t>& dims,
                                   const std::vector<hsize_t>& chunk, bool unlimited) {
  if (H5Lexists(file(), path.c_str(), H5P_DEFAULT) > 0) remove(path);
  const std::vector<hsize_t> max_dims(dims.size(), H5S_UNLIMITED);
  H5Handle space = must(H5Screate_simple(static_cast<int>(dims.size()), dims.data(),
                                         unlimited ? max_dims.data() : nullptr),
                        H5Sclose, "space");
  H5Handle create = must(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "plist");
  check(H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()), "chunk");
  must(H5Dcreate2(file(), path.c_str(), file_type, space.get(), H5P_DEFAULT, create.get(),
                  H5P_DEFAULT),
       H5Dclose, "create " + path);
}

void H5Edit::put_null_dataset(const std::string& path, hid_t file_type) {
  if (H5Lexists(file(), path.c_str(), H5P_DEFAULT) > 0) remove(path);
  H5Handle space = must(H5Screate(H5S_NULL), H5Sclose, "space");
  must(H5Dcreate2(file(), path.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT,
                  H5P_DEFAULT),
       H5Dclose, "create " + path);
}

std::vector<char> read_raw(const std::string& file, const std::string& path, hid_t memory_type,
                           std::size_t element_bytes) {
  detail::silence_hdf5_errors();
  H5Handle handle = must(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, "open");
  H5Handle dataset = must(H5Dopen2(handle.get(), path.c_str(), H5P_DEFAULT), H5Dclose, "open " + path);
  H5Handle space = must(H5Dget_space(dataset.get()), H5Sclose, "space");
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  std::vector<char> bytes(static_cast<std::size_t>(count) * element_bytes);
  check(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), "read");
  return bytes;
}

}  // namespace ttt::harness::testing
