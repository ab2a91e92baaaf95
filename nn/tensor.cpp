// Tensor storage, construction, conversion and copies.
#include "nn/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <vector>

#include <unistd.h>

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
    XRDID_CHECK(!__builtin_mul_overflow(n, d, &n), "shape " + shape_str(s) + " has too many elements");
  }
  return n;
}

static DeviceHooks g_hooks;
void set_device_hooks(const DeviceHooks& hooks) { g_hooks = hooks; }
const DeviceHooks& device_hooks() { return g_hooks; }

// ---- caching CPU allocator -------------------------------------------------------------------
// Freed CPU blocks of >= kCacheMin bytes are kept in size-bucketed free lists and handed out
// again for requests of the same bucket, so the tensors of a repeated forward/backward reuse
// already-mapped pages instead of page-faulting fresh ones (glibc mmaps large blocks and unmaps
// them on free). Buckets: 64-byte multiples up to 4 KiB, above that sizes rounded up to 1/8 of
// their power of two (at most 12.5 % slack). Thread-safe (one mutex); bounded: a freed block is
// returned to the system when the cache would exceed the limit (XRDID_CPU_CACHE_MB, default
// min(4 GiB, 1/4 of physical memory); 0 disables caching). Contents of a reused block are
// undefined, as with malloc. Off under AddressSanitizer so use-after-free is still reported.
namespace {
constexpr std::size_t kCacheMin = 64 * 1024;

std::size_t bucket_bytes(std::size_t n) {
  n = (n + 63) / 64 * 64;
  if (n <= 4096) return n;
  std::size_t p = 1;
  while (p < n) p <<= 1;  // p/2 < n <= p
  const std::size_t step = p / 16;  // 8 buckets between p/2 and p
  return (n + step - 1) / step * step;
}

struct CpuCache {
  std::mutex mu;
  std::unordered_map<std::size_t, std::vector<void*>> free_lists;
  std::size_t cached = 0;
  std::size_t limit = 0;
  CpuCache() {
    std::size_t lim = std::size_t(4) << 30;
    const long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0) lim = std::min(lim, static_cast<std::size_t>(pages) * static_cast<std::size_t>(psz) / 4);
    if (const char* e = std::getenv("XRDID_CPU_CACHE_MB")) lim = static_cast<std::size_t>(std::strtoull(e, nullptr, 10)) << 20;
#if defined(__SANITIZE_ADDRESS__)
    lim = 0;
#endif
    limit = lim;
  }
};

CpuCache& cpu_cache() {
  static CpuCache* c = new CpuCache();  // never destroyed: storages may outlive static destructors
  return *c;
}

void* cpu_alloc(std::size_t bytes) {
  const std::size_t n = bucket_bytes(bytes ? bytes : 1);
  if (n >= kCacheMin) {
    CpuCache& c = cpu_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.free_lists.find(n);
    if (it != c.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= n;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, n);  // 64-byte aligned for AVX-512 loads
  if (!p) {
    // Out of memory: give the cached blocks back and retry once.
    CpuCache& c = cpu_cache();
    {
      std::lock_guard<std::mutex> lock(c.mu);
      for (auto& [sz, v] : c.free_lists)
        for (void* q : v) std::free(q);
      c.free_lists.clear();
      c.cached = 0;
    }
    p = std::aligned_alloc(64, n);
    if (!p) throw std::bad_alloc();
  }
  return p;
}

void cpu_free(void* p, std::size_t bytes) {
  if (!p) return;
  const std::size_t n = bucket_bytes(bytes ? bytes : 1);
  if (n >= kCacheMin) {
    CpuCache& c = cpu_cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached + n <= c.limit) {
      c.free_lists[n].push_back(p);
      c.cached += n;
      return;
    }
  }
  std::free(p);
}
}  // namespace

Storage::Storage(std::size_t nbytes, Device dev) : bytes(nbytes), device(dev) {
  std::size_t n = nbytes ? nbytes : 1;
  if (dev == Device::CPU) {
    ptr = cpu_alloc(nbytes);
  } else {
    XRDID_CHECK(g_hooks.alloc != nullptr, "CUDA tensors need a CUDA build with a device present");
    ptr = g_hooks.alloc(n);
  }
}

Storage::~Storage() {
  if (device == Device::CPU) cpu_free(ptr, bytes);
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
