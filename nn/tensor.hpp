// Tensor: N-d contiguous row-major storage with a shape, an element type and a device tag.
// Tensors share storage on copy (like a handle); clone() makes a deep copy.
#pragma once
#include "common/check.hpp"
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace xrdid::nn {

enum class DType : std::uint8_t { F32, F64, I64 };
enum class Device : std::uint8_t { CPU, CUDA };

using Shape = std::vector<std::int64_t>;

std::size_t dtype_size(DType t);
const char* dtype_name(DType t);
std::string shape_str(const Shape& s);
std::int64_t shape_numel(const Shape& s);

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::I64; }

// Raw memory owned by one or more tensors. CUDA memory comes from the allocator that the
// kernels library registers (nn/ itself never includes CUDA headers).
struct Storage {
  void* ptr = nullptr;
  std::size_t bytes = 0;
  Device device = Device::CPU;
  Storage(std::size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

// Hooks through which the CUDA side provides device memory and copies.
struct DeviceHooks {
  void* (*alloc)(std::size_t bytes) = nullptr;
  void (*free)(void* p) = nullptr;
  void (*copy)(void* dst, Device dst_dev, const void* src, Device src_dev, std::size_t bytes) = nullptr;
  void (*memset0)(void* p, std::size_t bytes) = nullptr;
};
void set_device_hooks(const DeviceHooks& hooks);
const DeviceHooks& device_hooks();

class Tensor {
 public:
  Tensor() = default;
  static Tensor empty(Shape shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(Shape shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor full(Shape shape, double value, DType dtype = DType::F32);
  static Tensor from_vector(Shape shape, const std::vector<float>& v);
  static Tensor from_vector(Shape shape, const std::vector<double>& v);
  static Tensor scalar(double v, DType dtype = DType::F32);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  std::int64_t dim(int i) const;  // negative i counts from the end
  std::int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device : Device::CPU; }
  std::size_t nbytes() const { return static_cast<std::size_t>(numel_) * dtype_size(dtype_); }

  void* raw() { return static_cast<char*>(storage_->ptr) + offset_; }
  const void* raw() const { return static_cast<const char*>(storage_->ptr) + offset_; }
  template <class T> T* data() { check_type(dtype_of<T>()); return static_cast<T*>(raw()); }
  template <class T> const T* data() const { check_type(dtype_of<T>()); return static_cast<const T*>(raw()); }

  // CPU element access as double (slow; for tests and printing).
  double item(std::int64_t flat_index = 0) const;

  Tensor clone() const;
  Tensor to(DType dtype) const;      // converts (copies) on the CPU
  Tensor to(Device device) const;    // copies between host and device
  Tensor reshape(Shape shape) const; // shares storage; one dimension may be -1
  Tensor slice0(std::int64_t begin, std::int64_t end) const;  // rows [begin,end) of dim 0, shared
  void fill(double value);
  void zero();
  void copy_from(const Tensor& src);  // same shape and dtype, any devices
  std::vector<double> to_vector() const;
  bool same_storage(const Tensor& o) const { return storage_ == o.storage_ && offset_ == o.offset_; }

 private:
  void check_type(DType t) const;
  std::shared_ptr<Storage> storage_;
  std::size_t offset_ = 0;  // in bytes
  Shape shape_;
  std::int64_t numel_ = 0;
  DType dtype_ = DType::F32;
};

}  // namespace xrdid::nn
