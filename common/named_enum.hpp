// Enumerations spelled by one table of names: names[i] names the enumerator of value i. The
// parser and the name function of every option kind (loss, optimiser, engine, method) go
// through here, so the CLI, the option structs and the files spell a choice the same way.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/check.hpp"

namespace xrdid {

// "a, b, c": the valid names, for messages and help texts.
template <std::size_t N>
std::string name_list(const std::array<std::string_view, N>& names) {
  std::string list;
  for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  return list;
}

// The enumerator named s; throws "unknown WHAT 's' (a, b, c)" otherwise.
template <class E, std::size_t N>
E parse_named(std::string_view what, std::string_view s, const std::array<std::string_view, N>& names) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  XRDID_CHECK(false, "unknown " + std::string(what) + " '" + std::string(s) + "' (" + name_list(names) + ")");
  return E{};
}

template <class E, std::size_t N>
std::string_view enum_name(E e, const std::array<std::string_view, N>& names) {
  return names.at(static_cast<std::size_t>(e));
}

}  // namespace xrdid
