// Tensor storage, construction, conversion and copies.
#include "nn/tensor.hpp"

#include <cstdlib>
#include <cstring>
#include <sstream>

namespace xrdid::nn {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I64: return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
  }
  return "?";
}

std::string shape_str(const Shape& s) {
  std::ostringstream o;
  o << '(';
  for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
  o << ')';
  return o.str();
}

std::int64_t shape_numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) {
    XRDID_CHECK(d >= 0, "negative dimension in shape " + shape_str(s));
    n *= d;
  }
  return n;
}

static DeviceHooks g_hooks;
void set_device_hooks(const DeviceHooks& hooks) { g_hooks = hooks; }
const DeviceHooks& device_hooks() { return g_hooks; }

Storage::Storage(std::size_t nbytes, Device dev) : bytes(nbytes), device(dev) {
  std::size_t n = nbytes ? nbytes : 1;
  if (dev == Device::CPU) {
    n = (n + 63) / 64 * 64;  // 64-byte aligned for AVX-512 loads
    ptr = std::aligned_alloc(64, n);
    if (!ptr) throw std::bad_alloc();
  } else {
    XRDID_CHECK(g_hooks.alloc != nullptr, "CUDA tensors need a CUDA build with a device present");
    ptr = g_hooks.alloc(n);
  }
}

Storage::~Storage() {
  if (device == Device::CPU) std::free(ptr);
  else if (g_hooks.free) g_hooks.free(ptr);
}

Tensor Tensor::empty(Shape shape, DType dtype, Device device) {
  Tensor t;
  t.numel_ = shape_numel(shape);
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(static_cast<std::size_t>(t.numel_) * dtype_size(dtype), device);
  return t;
}

Tensor Tensor::zeros(Shape shape, DType dtype, Device device) {
  Tensor t = empty(std::move(shape), dtype, device);
  t.zero();
  return t;
}

Tensor Tensor::full(Shape shape, double value, DType dtype) {
  Tensor t = empty(std::move(shape), dtype);
  t.fill(value);
  return t;
}

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& v) {
  Tensor t = empty(std::move(shape), DType::F32);
  XRDID_CHECK(static_cast<std::int64_t>(v.size()) == t.numel(), "from_vector: size does not match shape");
  std::memcpy(t.raw(), v.data(), t.nbytes());
  return t;
}

Tensor Tensor::from_vector(Shape shape, const std::vector<double>& v) {
  Tensor t = empty(std::move(shape), DType::F64);
  XRDID_CHECK(static_cast<std::int64_t>(v.size()) == t.numel(), "from_vector: size does not match shape");
  std::memcpy(t.raw(), v.data(), t.nbytes());
  return t;
}

Tensor Tensor::scalar(double v, DType dtype) { return full({}, v, dtype); }

std::int64_t Tensor::dim(int i) const {
  int n = ndim();
  if (i < 0) i += n;
  XRDID_CHECK(i >= 0 && i < n, "dimension index out of range for shape " + shape_str(shape_));
  return shape_[static_cast<std::size_t>(i)];
}

void Tensor::check_type(DType t) const {
  XRDID_CHECK(defined(), "access to an undefined tensor");
  XRDID_CHECK(t == dtype_, std::string("tensor holds ") + dtype_name(dtype_) + ", accessed as " + dtype_name(t));
}

double Tensor::item(std::int64_t i) const {
  XRDID_CHECK(device() == Device::CPU, "item() needs a CPU tensor");
  XRDID_CHECK(i >= 0 && i < numel_, "item index out of range");
  switch (dtype_) {
    case DType::F32: return static_cast<const float*>(raw())[i];
    case DType::F64: return static_cast<const double*>(raw())[i];
    case DType::I64: return static_cast<double>(static_cast<const std::int64_t*>(raw())[i]);
  }
  return 0;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_, dtype_, device());
  t.copy_from(*this);
  return t;
}

Tensor Tensor::to(DType dt) const {
  XRDID_CHECK(device() == Device::CPU, "dtype conversion needs a CPU tensor");
  if (dt == dtype_) return clone();
  Tensor t = empty(shape_, dt);
  for (std::int64_t i = 0; i < numel_; ++i) {
    double v = item(i);
    switch (dt) {
      case DType::F32: t.data<float>()[i] = static_cast<float>(v); break;
      case DType::F64: t.data<double>()[i] = v; break;
      case DType::I64: t.data<std::int64_t>()[i] = static_cast<std::int64_t>(v); break;
    }
  }
  return t;
}

Tensor Tensor::to(Device dev) const {
  Tensor t = empty(shape_, dtype_, dev);
  t.copy_from(*this);
  return t;
}

Tensor Tensor::reshape(Shape shape) const {
  std::int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      XRDID_CHECK(infer < 0, "reshape: more than one -1");
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    XRDID_CHECK(known > 0 && numel_ % known == 0, "reshape: cannot infer dimension");
    shape[static_cast<std::size_t>(infer)] = numel_ / known;
  }
  XRDID_CHECK(shape_numel(shape) == numel_,
              "reshape " + shape_str(shape_) + " -> " + shape_str(shape) + ": element count differs");
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::slice0(std::int64_t begin, std::int64_t end) const {
  XRDID_CHECK(ndim() >= 1 && begin >= 0 && begin <= end && end <= shape_[0], "slice0: range out of bounds");
  std::int64_t row = shape_[0] ? numel_ / shape_[0] : 0;
  Tensor t = *this;
  t.shape_[0] = end - begin;
  t.numel_ = row * (end - begin);
  t.offset_ = offset_ + static_cast<std::size_t>(begin * row) * dtype_size(dtype_);
  return t;
}

void Tensor::fill(double v) {
  XRDID_CHECK(device() == Device::CPU, "fill() needs a CPU tensor");
  switch (dtype_) {
    case DType::F32: { auto* p = data<float>(); for (std::int64_t i = 0; i < numel_; ++i) p[i] = static_cast<float>(v); break; }
    case DType::F64: { auto* p = data<double>(); for (std::int64_t i = 0; i < numel_; ++i) p[i] = v; break; }
    case DType::I64: { auto* p = data<std::int64_t>(); for (std::int64_t i = 0; i < numel_; ++i) p[i] = static_cast<std::int64_t>(v); break; }
  }
}

void Tensor::zero() {
  if (!defined()) return;
  if (device() == Device::CPU) std::memset(raw(), 0, nbytes());
  else device_hooks().memset0(raw(), nbytes());
}

void Tensor::copy_from(const Tensor& src) {
  XRDID_CHECK(src.shape_ == shape_ && src.dtype_ == dtype_,
              "copy_from: " + shape_str(src.shape_) + " into " + shape_str(shape_));
  if (device() == Device::CPU && src.device() == Device::CPU) {
    std::memmove(raw(), src.raw(), nbytes());
  } else {
    XRDID_CHECK(device_hooks().copy != nullptr, "device copy without CUDA support");
    device_hooks().copy(raw(), device(), src.raw(), src.device(), nbytes());
  }
}

std::vector<double> Tensor::to_vector() const {
  Tensor c = device() == Device::CPU ? *this : to(Device::CPU);
  std::vector<double> v(static_cast<std::size_t>(numel_));
  for (std::int64_t i = 0; i < numel_; ++i) v[static_cast<std::size_t>(i)] = c.item(i);
  return v;
}

}  // namespace xrdid::nn
