// safetensors reader and atomic writer.
#include "nn/safetensors.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/atomic_file.hpp"
#include "common/json_value.hpp"

namespace xrdid::nn {

namespace {
const char* st_dtype(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
  }
  return "?";
}
bool parse_dtype(const std::string& s, DType& t) {
  if (s == "F32") t = DType::F32;
  else if (s == "F64") t = DType::F64;
  else if (s == "I64") t = DType::I64;
  else return false;
  return true;
}
[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error("xrdid: " + path + ": " + why);
}
}  // namespace

const Tensor& SafetensorsFile::get(const std::string& name, const std::string& path) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) fail(path, "no tensor named '" + name + "'");
  return it->second;
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> host;
  std::size_t offset = 0;
  for (auto& [name, t] : tensors) {
    XRDID_CHECK(t && t->defined(), "save_safetensors: tensor '" + name + "' is undefined");
    XRDID_CHECK(!header.contains(name), "save_safetensors: duplicate tensor name '" + name + "'");
    host.push_back(t->device() == Device::CPU ? *t : t->to(Device::CPU));
    header[name] = {{"dtype", st_dtype(t->dtype())}, {"shape", t->shape()}, {"data_offsets", {offset, offset + t->nbytes()}}};
    offset += t->nbytes();
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8) h.push_back(' ');  // align the data section to 8 bytes
  const std::uint64_t hlen = h.size();

  common::AtomicFile out(path);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((hlen >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(h);
  for (auto& t : host) out.write(t.raw(), t.nbytes());
  out.commit();
}

SafetensorsFile load_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open (" + std::string(std::strerror(errno)) + ")");
  return load_safetensors(in, path);
}

SafetensorsFile load_safetensors(std::istream& in, const std::string& path) {
  in.seekg(0, std::ios::end);
  const std::streamoff end = in.tellg();
  in.seekg(0);
  if (end < 0 || !in) fail(path, "cannot read (not a regular file?)");
  const auto size = static_cast<std::uint64_t>(end);
  if (size < 8) fail(path, "truncated: " + std::to_string(size) + " bytes, not a safetensors file");
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  std::uint64_t hlen = 0;
  for (int i = 0; i < 8; ++i) hlen |= static_cast<std::uint64_t>(len[i]) << (8 * i);
  if (hlen == 0 || hlen > kMaxSafetensorsHeaderBytes || hlen > size - 8)
    fail(path, "header length " + std::to_string(hlen) + " does not fit the file size " + std::to_string(size) +
                   " (truncated or not a safetensors file)");
  std::string h(hlen, '\0');
  in.read(h.data(), static_cast<std::streamsize>(hlen));
  if (!in) fail(path, "read error in the header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(h);
  } catch (const std::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) fail(path, "header is not a JSON object");
  const std::uint64_t data_size = size - 8 - hlen;
  SafetensorsFile f;
  // First the whole table is checked (names, dtypes, shapes, ranges inside the data section,
  // no overlaps); only then is memory taken and data read, so a hostile table cannot make the
  // reader allocate more than the file holds.
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::uint64_t begin, end;
  };
  std::vector<Entry> table;
  for (auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) fail(path, "__metadata__ is not an object");
      for (auto& [k, v] : info.items()) {
        if (!v.is_string()) fail(path, "metadata '" + k + "' is not a string");
        f.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    DType dt;
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
      fail(path, "tensor '" + name + "': missing dtype/shape/data_offsets");
    if (!info["dtype"].is_string() || !parse_dtype(info["dtype"].get<std::string>(), dt))
      fail(path, "tensor '" + name + "': unsupported dtype " + info["dtype"].dump());
    Shape shape;
    try {
      if (!info["shape"].is_array()) throw std::runtime_error("not a list");
      for (const auto& d : info["shape"]) shape.push_back(common::json_number<std::int64_t>(d, "dimension"));
    } catch (const std::exception& e) {
      fail(path, "tensor '" + name + "': bad shape " + info["shape"].dump() + " (" + e.what() + ")");
    }
    // The byte count, with every partial product checked against the data section's size.
    std::uint64_t bytes = dtype_size(dt);
    for (auto d : shape) {
      if (d < 0) fail(path, "tensor '" + name + "': negative dimension");
      const auto ud = static_cast<std::uint64_t>(d);
      if (ud != 0 && bytes > data_size / ud)
        fail(path, "tensor '" + name + "': shape " + shape_str(shape) + " needs more bytes than the file's " +
                       std::to_string(data_size) + " data bytes");
      bytes *= ud;
    }
    auto off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(path, "tensor '" + name + "': bad data_offsets");
    const std::uint64_t b = off[0].get<std::uint64_t>(), e = off[1].get<std::uint64_t>();
    if (e < b || e - b != bytes)
      fail(path, "tensor '" + name + "': byte range does not match shape " + shape_str(shape));
    if (e > data_size)
      fail(path, "tensor '" + name + "' extends past the end of the file (truncated: " + std::to_string(data_size) +
                     " data bytes, needs " + std::to_string(e) + ")");
    table.push_back({name, dt, std::move(shape), b, e});
  }
  std::vector<const Entry*> by_offset;
  for (const Entry& t : table) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Entry* x, const Entry* y) { return std::pair(x->begin, x->end) < std::pair(y->begin, y->end); });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      fail(path, "tensor byte ranges overlap ('" + by_offset[i - 1]->name + "' and '" + by_offset[i]->name + "')");
  for (Entry& t : table) {
    Tensor x = Tensor::empty(t.shape, t.dtype);
    in.seekg(static_cast<std::streamoff>(8 + hlen + t.begin));
    in.read(static_cast<char*>(x.raw()), static_cast<std::streamsize>(x.nbytes()));
    if (!in) fail(path, "read error in tensor '" + t.name + "'");
    f.tensors.emplace(t.name, std::move(x));
  }
  return f;
}

void assign_tensors(const SafetensorsFile& file, const std::string& path,
                    const std::vector<std::pair<std::string, Tensor*>>& dst) {
  std::string missing, mismatched;
  for (auto& [name, t] : dst) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) {
      missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    if (it->second.shape() != t->shape()) {
      mismatched += (mismatched.empty() ? "" : ", ") + name + " " + shape_str(it->second.shape()) + " vs " +
                    shape_str(t->shape());
      continue;
    }
  }
  if (missing.size() > 300) missing = missing.substr(0, 300) + "...";
  if (!missing.empty()) fail(path, "missing tensors: " + missing);
  if (!mismatched.empty()) fail(path, "shape mismatch: " + mismatched);
  for (auto& [name, t] : dst) {
    const Tensor& src = file.tensors.at(name);
    Tensor conv = src.dtype() == t->dtype() ? src : src.to(t->dtype());
    t->copy_from(conv.device() == t->device() ? conv : conv.to(t->device()));
  }
}

}  // namespace xrdid::nn
