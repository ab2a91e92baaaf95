// Pattern readers (text/RRUFF, .xrdml, .ras; pdCIF in io/pdcif_reader.cpp), validation and
// repair, resampling, wavelength conversion, Kα2 stripping and atomic .xy writing.
#include "io/pattern_io.hpp"
#include "io/pattern_formats.hpp"
#include "io/pdcif_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <pugixml.hpp>
#include <sstream>
#include <stdexcept>
#include <string_view>

namespace xrdid::io {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& reason) {
  throw std::runtime_error(path + ": " + reason);
}

std::string lower_ext(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  for (char& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string_view strip_bom(std::string_view s) {
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF && static_cast<unsigned char>(s[1]) == 0xBB &&
      static_cast<unsigned char>(s[2]) == 0xBF)
    s.remove_prefix(3);
  return s;
}

// Parses the whole token as a double (leading '+' allowed). "nan"/"inf" parse (and are
// rejected later with a clear message); out-of-range values become ±inf.
bool parse_double(std::string_view tok, double& out) {
  if (!tok.empty() && tok.front() == '+') tok.remove_prefix(1);
  if (tok.empty()) return false;
  const char* end = tok.data() + tok.size();
  auto [ptr, ec] = std::from_chars(tok.data(), end, out);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    out = tok.front() == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  return ec == std::errc();
}

// Splits on CR, LF or CRLF.
std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' || s[i] == '\r') {
      lines.push_back(s.substr(start, i - start));
      if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return lines;
}

std::vector<std::string_view> split_fields(std::string_view s, std::string_view seps) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && seps.find(s[i]) != std::string_view::npos) ++i;
    const std::size_t j = i;
    while (i < s.size() && seps.find(s[i]) == std::string_view::npos) ++i;
    if (i > j) out.push_back(s.substr(j, i - j));
  }
  return out;
}

// First number in s after position `from` (0 if none).
double first_number_after(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      double v = 0.0;
      const char* end = s.data() + s.size();
      auto [ptr, ec] = std::from_chars(s.data() + i, end, v);
      if (ec == std::errc()) return v;
      return 0.0;
    }
  }
  return 0.0;
}

bool plausible_lambda(double v) { return v > 0.05 && v < 5.0; }

// Whether text (trimmed) reads as CIF: its first line that is not a '#' comment starts a data
// block ("data_NAME", any case). No column file starts so.
bool starts_like_cif(std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = text.find_first_of("\r\n");
    const std::string_view line = trim(text.substr(0, end));
    if (!line.empty() && line.front() != '#') return line.size() > 5 && upper(line.substr(0, 5)) == "DATA_";
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return false;
}

float to_float_checked(double v, const std::string& path, const std::string& where) {
  if (!std::isfinite(v)) fail(path, "non-finite intensity (NaN or infinity) " + where);
  if (std::abs(v) > static_cast<double>(std::numeric_limits<float>::max()))
    fail(path, "intensity " + std::to_string(v) + " " + where + " exceeds the float range");
  return static_cast<float>(v);
}

void check_two_theta(double v, const std::string& path, const std::string& where) {
  if (!std::isfinite(v)) fail(path, "non-finite 2θ value (NaN or infinity) " + where);
}

// Reads "KEY=VALUE"-style wavelength hints from a comment line into w.
void scan_wavelength_comment(std::string_view line, Wavelength& w) {
  const std::string u = upper(line);
  auto grab = [&](const char* key) -> double {
    const std::size_t k = u.find(key);
    if (k == std::string::npos) return 0.0;
    return first_number_after(line, k + std::strlen(key));
  };
  // xrdid's own header: "wavelength_alpha1=… wavelength_alpha2=… ratio21=…"
  if (double a1 = grab("WAVELENGTH_ALPHA1"); plausible_lambda(a1)) {
    w.alpha1 = a1;
    if (double a2 = grab("WAVELENGTH_ALPHA2"); plausible_lambda(a2)) w.alpha2 = a2;
    if (double r = grab("RATIO21"); r > 0.0 && r < 1.0) w.ratio21 = r;
    return;
  }
  // RRUFF "##X-RAY WAVELENGTH=1.5418" and generic "wavelength: 1.5406" / "lambda = …".
  for (const char* key : {"WAVELENGTH", "LAMBDA"}) {
    if (double v = grab(key); plausible_lambda(v)) {
      if (!w.known()) w.alpha1 = v;
      return;
    }
  }
}

std::string line_where(std::size_t lineno) { return "at line " + std::to_string(lineno); }

std::vector<double> parse_number_list(const std::string& path, const char* what, std::string_view text) {
  std::vector<double> out;
  for (std::string_view tok : split_fields(text, " \t\r\n")) {
    double v = 0.0;
    if (!parse_double(tok, v)) fail(path, std::string("non-numeric value '") + std::string(tok) + "' in <" + what + ">");
    out.push_back(v);
  }
  return out;
}

bool local_name_is(const pugi::xml_node& n, std::string_view name) {
  std::string_view s = n.name();
  if (const std::size_t c = s.find(':'); c != std::string_view::npos) s = s.substr(c + 1);
  return s == name;
}

pugi::xml_node find_first(const pugi::xml_node& root, std::string_view name) {
  for (pugi::xml_node c : root.children()) {
    if (c.type() != pugi::node_element) continue;
    if (local_name_is(c, name)) return c;
    if (pugi::xml_node f = find_first(c, name)) return f;
  }
  return {};
}

pugi::xml_node child_named(const pugi::xml_node& n, std::string_view name) {
  for (pugi::xml_node c : n.children())
    if (c.type() == pugi::node_element && local_name_is(c, name)) return c;
  return {};
}

double node_number(const pugi::xml_node& n, const std::string& path, const char* what) {
  double v = 0.0;
  if (!parse_double(trim(n.child_value()), v)) fail(path, std::string("cannot read <") + what + "> as a number");
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
Pattern read_text_pattern(const std::string& path, const std::string& content) {
  Pattern p;
  p.source = path;
  bool data_started = false;
  std::size_t lineno = 0;
  for (std::string_view raw : split_lines(strip_bom(content))) {
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    if (line.front() == '#' || line.front() == ';' || line.front() == '!') {
      scan_wavelength_comment(line, p.wavelength);
      continue;
    }
    // A line with ';' separators and ',' inside its fields uses decimal commas ("10,5;123,4").
    std::string decimal_fixed;
    std::vector<std::string_view> fields;
    if (line.find(';') != std::string_view::npos && line.find(',') != std::string_view::npos) {
      decimal_fixed.assign(line);
      std::replace(decimal_fixed.begin(), decimal_fixed.end(), ',', '.');
      fields = split_fields(decimal_fixed, " \t;");
    } else {
      fields = split_fields(line, " \t,;");
    }
    double t = 0.0, v = 0.0;
    const bool numeric = fields.size() >= 2 && parse_double(fields[0], t) && parse_double(fields[1], v);
    if (!numeric) {
      double one = 0.0;
      if (fields.size() == 1 && parse_double(fields[0], one) && data_started)
        fail(path, "only one column " + line_where(lineno) + " (expected 2θ and intensity)");
      if (data_started)
        fail(path, "non-numeric row " + line_where(lineno) + ": '" + std::string(line.substr(0, 60)) + "'");
      scan_wavelength_comment(line, p.wavelength);  // header text, e.g. "Wavelength: 1.5406"
      continue;
    }
    data_started = true;
    check_two_theta(t, path, line_where(lineno));
    p.two_theta.push_back(t);
    p.intensity.push_back(to_float_checked(v, path, line_where(lineno)));
  }
  return p;
}

Pattern read_xrdml(const std::string& path, const std::string& content, double* counting_time_s) {
  pugi::xml_document doc;
  const pugi::xml_parse_result ok = doc.load_buffer(content.data(), content.size());
  if (!ok) fail(path, std::string("malformed XML: ") + ok.description() + " at byte " + std::to_string(ok.offset));
  Pattern p;
  p.source = path;

  const pugi::xml_node meas = find_first(doc, "xrdMeasurement");
  if (!meas) fail(path, "no <xrdMeasurement> element (not an .xrdml file?)");
  if (pugi::xml_node wl = child_named(meas, "usedWavelength")) {
    if (pugi::xml_node a1 = child_named(wl, "kAlpha1")) p.wavelength.alpha1 = node_number(a1, path, "kAlpha1");
    if (pugi::xml_node a2 = child_named(wl, "kAlpha2")) p.wavelength.alpha2 = node_number(a2, path, "kAlpha2");
    if (pugi::xml_node r = child_named(wl, "ratioKAlpha2KAlpha1")) p.wavelength.ratio21 = node_number(r, path, "ratioKAlpha2KAlpha1");
    if (!plausible_lambda(p.wavelength.alpha1)) p.wavelength = Wavelength{};
    if (!plausible_lambda(p.wavelength.alpha2) || p.wavelength.ratio21 <= 0.0) p.wavelength.alpha2 = 0.0;
  }
  const pugi::xml_node scan = find_first(meas, "scan");
  if (!scan) fail(path, "no <scan> element");
  const pugi::xml_node dp = child_named(scan, "dataPoints");
  if (!dp) fail(path, "no <dataPoints> element in the first <scan>");

  std::vector<double> y;
  if (pugi::xml_node c = child_named(dp, "counts")) y = parse_number_list(path, "counts", c.child_value());
  else if (pugi::xml_node i = child_named(dp, "intensities")) y = parse_number_list(path, "intensities", i.child_value());
  else fail(path, "no <counts> or <intensities> in <dataPoints>");
  if (pugi::xml_node ct = child_named(dp, "commonCountingTime"); ct && counting_time_s)
    *counting_time_s = node_number(ct, path, "commonCountingTime");

  pugi::xml_node pos;
  for (pugi::xml_node c : dp.children())
    if (c.type() == pugi::node_element && local_name_is(c, "positions") && std::string_view(c.attribute("axis").value()) == "2Theta") {
      pos = c;
      break;
    }
  if (!pos) fail(path, "no <positions axis=\"2Theta\"> in <dataPoints>");
  if (pugi::xml_node lp = child_named(pos, "listPositions")) {
    p.two_theta = parse_number_list(path, "listPositions", lp.child_value());
    if (p.two_theta.size() != y.size())
      fail(path, "<listPositions> has " + std::to_string(p.two_theta.size()) + " values but there are " +
                     std::to_string(y.size()) + " intensities");
  } else {
    const pugi::xml_node s = child_named(pos, "startPosition"), e = child_named(pos, "endPosition");
    if (!s || !e) fail(path, "2Theta <positions> has neither <listPositions> nor <startPosition>/<endPosition>");
    const double a = node_number(s, path, "startPosition"), b = node_number(e, path, "endPosition");
    const std::size_t n = y.size();
    p.two_theta.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      p.two_theta[i] = n == 1 ? a : a + (b - a) * static_cast<double>(i) / static_cast<double>(n - 1);
  }
  for (std::size_t i = 0; i < p.two_theta.size(); ++i) {
    check_two_theta(p.two_theta[i], path, "at point " + std::to_string(i));
    p.intensity.push_back(to_float_checked(y[i], path, "at point " + std::to_string(i)));
  }
  return p;
}

Pattern read_ras(const std::string& path, const std::string& content) {
  Pattern p;
  p.source = path;
  bool in_data = false, done = false;
  std::size_t lineno = 0;
  for (std::string_view raw : split_lines(strip_bom(content))) {
    ++lineno;
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    if (line.front() == '*') {
      const std::string u = upper(line);
      auto key_is = [&](const char* k) { return u.rfind(k, 0) == 0 && (u.size() == std::strlen(k) || u[std::strlen(k)] == ' '); };
      if (key_is("*RAS_INT_START")) {
        if (!done) in_data = true;
      } else if (key_is("*RAS_INT_END")) {
        if (in_data) done = true;
        in_data = false;
      } else if (!done && key_is("*HW_XG_WAVE_LENGTH_ALPHA1")) {
        if (double v = first_number_after(line, std::strlen("*HW_XG_WAVE_LENGTH_ALPHA1")); plausible_lambda(v)) p.wavelength.alpha1 = v;
      } else if (!done && key_is("*HW_XG_WAVE_LENGTH_ALPHA2")) {
        if (double v = first_number_after(line, std::strlen("*HW_XG_WAVE_LENGTH_ALPHA2")); plausible_lambda(v)) p.wavelength.alpha2 = v;
      }
      continue;
    }
    if (!in_data) continue;
    const auto fields = split_fields(line, " \t,");
    double t = 0.0, v = 0.0, att = 1.0;
    if (fields.size() < 2 || !parse_double(fields[0], t) || !parse_double(fields[1], v))
      fail(path, "non-numeric row " + line_where(lineno) + " inside *RAS_INT_START … *RAS_INT_END");
    // Third column: attenuator coefficient; the measured intensity is count × coefficient.
    if (fields.size() >= 3 && parse_double(fields[2], att) && std::isfinite(att) && att > 0.0) v *= att;
    check_two_theta(t, path, line_where(lineno));
    p.two_theta.push_back(t);
    p.intensity.push_back(to_float_checked(v, path, line_where(lineno)));
  }
  if (p.two_theta.empty() && !done && !in_data) fail(path, "no *RAS_INT_START … *RAS_INT_END data block");
  return p;
}

void validate_pattern(Pattern& p, const std::string& path, ReadReport* report) {
  const std::size_t n = p.two_theta.size();
  if (p.intensity.size() != n) fail(path, "2θ and intensity columns differ in length");
  if (n == 0) fail(path, "no numeric data rows");
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(p.two_theta[i]) || !std::isfinite(p.intensity[i]))
      fail(path, "non-finite value (NaN or infinity) in data point " + std::to_string(i));
    lo = std::min(lo, p.two_theta[i]);
    hi = std::max(hi, p.two_theta[i]);
  }
  if (n == 1) fail(path, "only a single data point (need at least two)");
  if (lo <= -5.0 || hi >= 180.0) {
    std::ostringstream os;
    os << "absurd 2θ range [" << lo << ", " << hi << "] degrees (must lie inside (-5, 180))";
    fail(path, os.str());
  }
  // Repair order: sort by 2θ (stable), then average runs of equal 2θ.
  std::size_t out_of_order = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (p.two_theta[i] < p.two_theta[i - 1]) ++out_of_order;
  if (out_of_order) {
    std::vector<std::size_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return p.two_theta[a] < p.two_theta[b]; });
    std::vector<double> t(n);
    std::vector<float> y(n);
    for (std::size_t i = 0; i < n; ++i) {
      t[i] = p.two_theta[idx[i]];
      y[i] = p.intensity[idx[i]];
    }
    p.two_theta.swap(t);
    p.intensity.swap(y);
    if (report) report->repairs.push_back("sorted by 2θ (" + std::to_string(out_of_order) + " rows were out of order)");
  }
  std::size_t dups = 0, w = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    double sum = 0.0;
    while (j < n && p.two_theta[j] == p.two_theta[i]) sum += p.intensity[j++];
    dups += j - i - 1;
    p.two_theta[w] = p.two_theta[i];
    p.intensity[w] = static_cast<float>(sum / static_cast<double>(j - i));
    ++w;
    i = j;
  }
  p.two_theta.resize(w);
  p.intensity.resize(w);
  if (dups && report) report->repairs.push_back("averaged the intensities of " + std::to_string(dups) + " duplicated 2θ values");
  if (w < 2) fail(path, "only a single distinct 2θ value (need at least two)");
  std::size_t neg = 0;
  float mn = 0.0f;
  for (float v : p.intensity)
    if (v < 0.0f) {
      ++neg;
      mn = std::min(mn, v);
    }
  if (neg && report) {
    std::ostringstream os;
    os << neg << " negative intensities (min " << mn << ") kept unchanged";
    report->warnings.push_back(os.str());
  }
}

Pattern read_pattern(const std::string& path, ReadReport* report) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "is a directory, not a pattern file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open file (") + std::strerror(errno) + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  if (size > 0 && static_cast<std::uint64_t>(size) > kMaxPatternFileBytes)
    fail(path, "file is " + std::to_string(size) + " bytes, larger than the " + std::to_string(kMaxPatternFileBytes >> 20) +
                   " MiB a measured pattern may have");
  std::ostringstream ss;
  ss << in.rdbuf();
  return read_pattern_buffer(path, ss.str(), report);
}

Pattern read_pattern_buffer(const std::string& path, const std::string& content, ReadReport* report) {
  if (content.size() > kMaxPatternFileBytes)
    fail(path, "file is " + std::to_string(content.size()) + " bytes, larger than the " +
                   std::to_string(kMaxPatternFileBytes >> 20) + " MiB a measured pattern may have");
  if (trim(strip_bom(content)).empty()) fail(path, "file is empty");

  const std::string ext = lower_ext(path);
  PatternFormat format = PatternFormat::Columns;
  if (const PatternFormat* f = format_of_extension(ext)) format = *f;
  else {
    const std::string_view head = trim(strip_bom(content));
    if (head.front() == '<') format = PatternFormat::Xrdml;
    else if (head.rfind("*RAS", 0) == 0) format = PatternFormat::Ras;
    else if (starts_like_cif(head)) format = PatternFormat::Pdcif;
  }
  ReadReport local;
  ReadReport& r = report ? *report : local;
  r = ReadReport{};
  Pattern p;
  if (format == PatternFormat::Xrdml) p = read_xrdml(path, content, &r.counting_time_s);
  else if (format == PatternFormat::Ras) p = read_ras(path, content);
  else if (format == PatternFormat::Pdcif) p = read_pdcif(path, content, &r.warnings);
  else p = read_text_pattern(path, content);
  r.format = format == PatternFormat::Xrdml ? "xrdml"
             : format == PatternFormat::Ras ? "ras"
             : format == PatternFormat::Pdcif ? "pdcif"
             : content.find("##") != std::string::npos ? "rruff"
                                                       : "xy";
  validate_pattern(p, path, &r);
  return p;
}

bool is_pattern_file(const std::string& path) {
  const std::string ext = lower_ext(path);
  if (!is_pattern_extension(ext)) return false;
  if (!is_shared_extension(ext)) return true;
  // Shared extension (.cif): a pattern only if its text names powder intensities. Read in
  // chunks that overlap by a marker's length, stopping at the first find.
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  constexpr std::size_t kChunk = 1 << 16, kOverlap = kPdcifMarkerMaxLength - 1;
  std::string window;
  std::vector<char> buf(kChunk);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const std::size_t got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    window.append(buf.data(), got);
    if (mentions_powder_intensities(window)) return true;
    if (window.size() > kOverlap) window.erase(0, window.size() - kOverlap);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
double median_step(const Pattern& p) {
  if (p.size() < 2) return 0.0;
  std::vector<double> d(p.size() - 1);
  for (std::size_t i = 1; i < p.size(); ++i) d[i - 1] = p.two_theta[i] - p.two_theta[i - 1];
  std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
  return d[d.size() / 2];
}

Pattern resample(const Pattern& p, const std::vector<double>& grid) {
  Pattern out;
  out.wavelength = p.wavelength;
  out.source = p.source;
  out.two_theta = grid;
  out.intensity.assign(grid.size(), 0.0f);
  const auto& t = p.two_theta;
  if (t.empty()) return out;
  for (std::size_t k = 0; k < grid.size(); ++k) {
    const double g = grid[k];
    if (!(g >= t.front() && g <= t.back())) continue;  // also skips NaN
    auto it = std::upper_bound(t.begin(), t.end(), g);
    if (it == t.end()) {
      out.intensity[k] = p.intensity.back();
      continue;
    }
    const std::size_t j = static_cast<std::size_t>(it - t.begin());  // t[j-1] ≤ g < t[j]
    const double u = (g - t[j - 1]) / (t[j] - t[j - 1]);
    out.intensity[k] = static_cast<float>((1.0 - u) * p.intensity[j - 1] + u * p.intensity[j]);
  }
  return out;
}

Pattern convert_wavelength(const Pattern& p, double from_lambda, double to_lambda) {
  if (!(from_lambda > 0.0 && to_lambda > 0.0))
    throw std::runtime_error(p.source + ": convert_wavelength needs positive wavelengths");
  constexpr double deg = 3.14159265358979323846 / 180.0;
  const double k = to_lambda / from_lambda;
  Pattern out;
  out.source = p.source;
  out.wavelength = p.wavelength;
  out.wavelength.alpha1 = to_lambda;
  out.wavelength.alpha2 = p.wavelength.alpha2 > 0.0 ? p.wavelength.alpha2 * k : 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double s = k * std::sin(0.5 * p.two_theta[i] * deg);  // sinθ' = (λ'/λ)·sinθ
    if (std::abs(s) > 1.0) continue;  // that d-spacing is not reachable with λ'
    out.two_theta.push_back(2.0 * std::asin(s) / deg);
    out.intensity.push_back(p.intensity[i]);
  }
  return out;
}

Pattern strip_kalpha2(const Pattern& p, const Wavelength& w) {
  if (!(w.alpha1 > 0.0 && w.alpha2 > 0.0))
    throw std::runtime_error(p.source + ": Kα2 stripping needs both Kα1 and Kα2 wavelengths");
  if (!(w.ratio21 >= 0.0 && w.ratio21 < 1.0))
    throw std::runtime_error(p.source + ": Kα2/Kα1 intensity ratio must lie in [0, 1)");
  constexpr double deg = 3.14159265358979323846 / 180.0;
  const double q = w.alpha1 / w.alpha2;
  Pattern out = p;
  out.wavelength = w;
  out.wavelength.alpha2 = 0.0;
  const auto& t = p.two_theta;
  std::vector<double> i1(p.size());
  std::size_t j = 0;  // moving pointer: t[j] ≤ 2θ₁ < t[j+1]; 2θ₁ grows with 2θ
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double s = q * std::sin(0.5 * t[i] * deg);
    double sub = 0.0;
    if (s > 0.0 && s < 1.0) {
      const double t1 = 2.0 * std::asin(s) / deg;  // Kα1 position whose Kα2 line is at t[i]
      if (t1 >= t.front() && i > 0) {
        while (j + 1 < i && t[j + 1] <= t1) ++j;
        if (j + 1 < i) {  // t[j] ≤ t1 < t[j+1], both already stripped
          const double u = (t1 - t[j]) / (t[j + 1] - t[j]);
          sub = (1.0 - u) * i1[j] + u * i1[j + 1];
        } else {
          sub = i1[j];  // t1 falls between the last stripped point and t[i]
        }
      }
    }
    i1[i] = p.intensity[i] - w.ratio21 * sub;
    out.intensity[i] = static_cast<float>(i1[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

void write_columns(const std::string& path, const std::vector<std::vector<double>>& columns,
                   const std::string& header_comment) {
  if (columns.empty()) throw std::runtime_error(path + ": nothing to write");
  const std::size_t n = columns[0].size();
  for (const auto& c : columns)
    if (c.size() != n) throw std::runtime_error(path + ": columns of different lengths");
  std::string text;
  text.reserve(n * 16 * columns.size() + 128);
  if (!header_comment.empty()) {
    for (std::string_view l : split_lines(header_comment)) text += "# " + std::string(l) + "\n";
  }
  char buf[64];
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const int k = std::snprintf(buf, sizeof buf, c == 0 ? "%.10g" : " %.9g", columns[c][i]);
      text.append(buf, static_cast<std::size_t>(k));
    }
    text += '\n';
  }
  write_file_atomic(path, text);
}

void write_xy(const std::string& path, const Pattern& p) {
  std::ostringstream h;
  h << "2theta intensity";
  if (!p.source.empty()) h << "; source " << p.source;
  if (p.wavelength.known()) {
    h << "\nwavelength_alpha1=" << p.wavelength.alpha1;
    if (p.wavelength.alpha2 > 0.0) h << " wavelength_alpha2=" << p.wavelength.alpha2 << " ratio21=" << p.wavelength.ratio21;
  }
  std::vector<double> y(p.intensity.begin(), p.intensity.end());
  write_columns(path, {p.two_theta, y}, h.str());
}

}  // namespace xrdid::io
