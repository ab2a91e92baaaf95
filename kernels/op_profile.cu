// OpProfile (see op_profile.hpp).
#include "kernels/op_profile.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "kernels/cuda_check.hpp"

namespace xrdid::cuda {

OpProfile::~OpProfile() {
  for (auto& [label, e] : pending_) pool_.push_back(e);
  for (cudaEvent_t e : pool_) XRDID_CUDA_CHECK_NOTHROW(cudaEventDestroy(e));
}

void OpProfile::mark(const std::string& label, cudaStream_t stream) {
  cudaEvent_t e = nullptr;
  if (pool_.empty()) {
    XRDID_CUDA_CHECK(cudaEventCreate(&e));
  } else {
    e = pool_.back();
    pool_.pop_back();
  }
  XRDID_CUDA_CHECK(cudaEventRecord(e, stream));
  pending_.emplace_back(label, e);
}

void OpProfile::finish(cudaStream_t stream) {
  if (pending_.empty()) return;
  XRDID_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (std::size_t i = 0; warmed_ && i + 1 < pending_.size(); ++i) {
    float ms = 0;
    XRDID_CUDA_CHECK(cudaEventElapsedTime(&ms, pending_[i].second, pending_[i + 1].second));
    Row& r = rows_[pending_[i].first];
    r.ms += ms;
    ++r.count;
  }
  for (auto& [label, e] : pending_) pool_.push_back(e);
  pending_.clear();
  if (warmed_) ++runs_;
  warmed_ = true;
}

std::string OpProfile::report() const {
  if (runs_ == 0) return {};
  std::vector<std::pair<std::string, Row>> rows(rows_.begin(), rows_.end());
  double total = 0;
  for (const auto& [label, r] : rows) total += r.ms;
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::map<std::string, Row> kinds;
  for (const auto& [label, r] : rows) {
    const auto sp = label.find(' ');
    const auto sp2 = sp == std::string::npos ? sp : label.find(' ', sp + 1);
    Row& k = kinds[label.substr(0, sp2)];
    k.ms += r.ms;
    k.count += r.count;
  }
  std::vector<std::pair<std::string, Row>> ks(kinds.begin(), kinds.end());
  std::sort(ks.begin(), ks.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::ostringstream o;
  char line[256];
  const double per = 1.0 / static_cast<double>(runs_);
  std::snprintf(line, sizeof line, "per-op profile: %ld runs, %.3f ms per run (eager, events between ops)\n", runs_,
                total * per);
  o << line;
  std::snprintf(line, sizeof line, "  %-48s %10s %6s %7s\n", "op (direction, kind, shape)", "ms/run", "share", "calls");
  o << line;
  for (const auto& [label, r] : rows) {
    std::snprintf(line, sizeof line, "  %-48s %10.4f %5.1f%% %7.1f\n", label.c_str(), r.ms * per,
                  100.0 * r.ms / total, static_cast<double>(r.count) * per);
    o << line;
  }
  o << "  by kind:\n";
  for (const auto& [k, r] : ks) {
    std::snprintf(line, sizeof line, "  %-48s %10.4f %5.1f%% %7.1f\n", k.c_str(), r.ms * per, 100.0 * r.ms / total,
                  static_cast<double>(r.count) * per);
    o << line;
  }
  return o.str();
}

}  // namespace xrdid::cuda
