// The measured-pattern file formats xrdid reads, listed once: each extension (lower case) and
// the reader it selects. Readers, folder scans and command-line help all come from this list.
#pragma once
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace xrdid::io {

enum class PatternFormat { Columns, Xrdml, Ras };

struct PatternExtension {
  std::string_view ext;  // with the dot, lower case
  PatternFormat format;
};

inline constexpr std::array<PatternExtension, 7> kPatternExtensions{{
    {".xy", PatternFormat::Columns},  {".xye", PatternFormat::Columns}, {".csv", PatternFormat::Columns},
    {".txt", PatternFormat::Columns}, {".dat", PatternFormat::Columns}, {".xrdml", PatternFormat::Xrdml},
    {".ras", PatternFormat::Ras},
}};

// The format an extension selects (any case, with the dot), or nullptr when it is not listed.
inline const PatternFormat* format_of_extension(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& e : kPatternExtensions)
    if (e.ext == ext) return &e.format;
  return nullptr;
}

inline bool is_pattern_extension(const std::string& ext) { return format_of_extension(ext) != nullptr; }

// ".xy .xye .csv .txt .dat .xrdml .ras", for help texts.
inline std::string pattern_extension_list() {
  std::string s;
  for (const auto& e : kPatternExtensions) s += (s.empty() ? "" : " ") + std::string(e.ext);
  return s;
}

}  // namespace xrdid::io
