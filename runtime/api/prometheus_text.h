// The Prometheus text format (version 0.0.4), written family by family:
// HELP and TYPE once, then the samples with their labels escaped. Shared
// by /metrics' parts (metrics.cc, governance_metrics.cc).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace psr::api {

using MetricLabels = std::vector<std::pair<const char *, std::string>>;

class PrometheusText {
public:
  void family(const char *name, const char *type, const char *help);
  void sample(const std::string &name, const MetricLabels &labels,
              const std::string &value);
  void sample(const std::string &name, const MetricLabels &labels, uint64_t v) {
    sample(name, labels, std::to_string(v));
  }
  void sample_double(const std::string &name, const MetricLabels &labels,
                     double v);
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

// A label value as the format wants it: backslash, quote and line feed
// escaped.
std::string escape_label(const std::string &value);

} // namespace psr::api
