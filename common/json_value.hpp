// Reading numbers from JSON that came from a file: nlohmann's get<int>() on 1e300 or -1 for an
// unsigned field converts out of range (undefined behaviour for a float). These helpers accept
// a value only when it is a number that the target type holds, and throw otherwise.
#pragma once
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace xrdid::common {

// The number v as T; throws std::runtime_error naming `what` when v is not a number T holds
// (for an integer T: an integer in range; for a floating T: any number).
template <class T>
T json_number(const nlohmann::json& v, const std::string& what) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) throw std::runtime_error(what + " is not a number");
    return v.get<T>();
  } else {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return static_cast<T>(u);
    } else if (v.is_number_integer()) {
      const auto s = v.get<std::int64_t>();
      if (std::is_signed_v<T> ? s >= static_cast<std::int64_t>(std::numeric_limits<T>::min()) &&
                                    s <= static_cast<std::int64_t>(std::numeric_limits<T>::max())
                              : s >= 0 && static_cast<std::uint64_t>(s) <= static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        return static_cast<T>(s);
    } else {
      throw std::runtime_error(what + " is not an integer");
    }
    throw std::runtime_error(what + " " + v.dump() + " is out of range");
  }
}

// obj[key] as T, or def when the key is absent or null.
template <class T>
T json_number_or(const nlohmann::json& obj, const char* key, T def, const std::string& what) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return def;
  return json_number<T>(*it, what + " '" + key + "'");
}

// obj[key] as a list of T, or def when absent.
template <class T>
std::vector<T> json_numbers_or(const nlohmann::json& obj, const char* key, std::vector<T> def, const std::string& what) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return def;
  if (!it->is_array()) throw std::runtime_error(what + " '" + key + "' is not a list");
  std::vector<T> out;
  out.reserve(it->size());
  for (const auto& v : *it) out.push_back(json_number<T>(v, what + " '" + key + "' element"));
  return out;
}

}  // namespace xrdid::common
