#pragma once
// Edits an HDF5 file in place the way another tool might have written it (fixed-length
// strings, int32 positions, float16 data, missing pieces), so that the loader's handling of
// files it did not write itself is tested. Throws std::runtime_error on any HDF5 failure.

#include <hdf5.h>

#include <harness/fixture/hdf5_handle.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ttt::harness::testing {

class H5Edit {
 public:
  explicit H5Edit(const std::string& path);  // opens read-write; closes on destruction

  hid_t file() const { return file_.get(); }

  void remove(const std::string& path);  // unlinks a dataset, group or attribute holder
  void create_group(const std::string& path);
  void soft_link(const std::string& target, const std::string& link);
  void external_link(const std::string& file, const std::string& target, const std::string& link);

  // Root (path "/") or dataset attributes.
  void set_string(const std::string& object, const std::string& name, const std::string& value);
  void set_fixed_string(const std::string& object, const std::string& name,
                        const std::string& value, H5T_cset_t cset = H5T_CSET_ASCII);
  void set_int(const std::string& object, const std::string& name, int64_t value);
  void set_float(const std::string& object, const std::string& name, double value);
  // A 1-element array of variable-length strings, as some writers store a string.
  void set_string_array(const std::string& object, const std::string& name,
                        const std::vector<std::string>& values);
  void remove_attribute(const std::string& object, const std::string& name);

  // Replaces (or creates) dataset `path` holding `data`, which is laid out as
  // `memory_type`, stored as `file_type`. `chunk` non-empty: chunked and gzip-compressed.
  void put_dataset(const std::string& path, hid_t file_type, hid_t memory_type,
                   const std::vector<hsize_t>& dims, const void* data,
                   const std::vector<hsize_t>& chunk = {});
  // A chunked dataset of `dims` whose storage is never written: huge extents (or chunks)
  // in a tiny file. `unlimited` lets the chunk exceed the extent.
  void put_unwritten_dataset(const std::string& path, hid_t file_type,
                             const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                             bool unlimited = false);
  // A dataset with a null dataspace (no values at all).
  void put_null_dataset(const std::string& path, hid_t file_type);

 private:
  hid_t open_object(const std::string& path);
  detail::H5Handle file_;
};

// Reads a dataset's raw values as `memory_type` (for checking what the writer stored).
std::vector<char> read_raw(const std::string& file, const std::string& path, hid_t memory_type,
                           std::size_t element_bytes);

}  // namespace ttt::harness::testing
