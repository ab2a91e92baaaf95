// The measured-pattern file formats xrdid reads, listed once: each extension (lower case) and
// the reader it selects. Readers, folder scans and command-line help all come from this list.
#pragma once
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace xrdid::io {

enum class PatternFormat { Columns, Xrdml, Ras, Pdcif };

struct PatternExtension {
  std::string_view ext;  // with the dot, lower case
  PatternFormat format;
  // Files of other kinds share the extension (.cif: crystal structures), so a folder scan takes
  // such a file only when its content is a pattern's (io::is_pattern_file).
  bool shared = false;
};

inline constexpr std::array<PatternExtension, 8> kPatternExtensions{{
    {".xy", PatternFormat::Columns},  {".xye", PatternFormat::Columns}, {".csv", PatternFormat::Columns},
    {".txt", PatternFormat::Columns}, {".dat", PatternFormat::Columns}, {".xrdml", PatternFormat::Xrdml},
    {".ras", PatternFormat::Ras},     {".cif", PatternFormat::Pdcif, true},
}};

// The listed entry of an extension (any case, with the dot), or nullptr when it is not listed.
inline const PatternExtension* find_extension(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& e : kPatternExtensions)
    if (e.ext == ext) return &e;
  return nullptr;
}

// The format an extension selects (any case, with the dot), or nullptr when it is not listed.
inline const PatternFormat* format_of_extension(const std::string& ext) {
  const PatternExtension* e = find_extension(ext);
  return e ? &e->format : nullptr;
}

// Whether the extension is listed. A folder scan uses io::is_pattern_file instead, which also
// looks inside files whose extension is shared (a .cif may be a structure).
inline bool is_pattern_extension(const std::string& ext) { return format_of_extension(ext) != nullptr; }

// Whether files of other kinds share the extension (see PatternExtension::shared).
inline bool is_shared_extension(const std::string& ext) {
  const PatternExtension* e = find_extension(ext);
  return e && e->shared;
}

// ".xy .xye .csv .txt .dat .xrdml .ras .cif", for help texts.
inline std::string pattern_extension_list() {
  std::string s;
  for (const auto& e : kPatternExtensions) {
    if (!s.empty()) s += ' ';
    s += e.ext;
  }
  return s;
}

}  // namespace xrdid::io
