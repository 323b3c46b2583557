#include "api/prometheus_text.h"

#include <cstdio>

namespace psr::api {

std::string escape_label(const std::string &v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void PrometheusText::family(const char *name, const char *type,
                            const char *help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::sample(const std::string &name, const MetricLabels &labels,
                            const std::string &value) {
  out_ += name;
  if (!labels.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto &[k, v] : labels) {
      if (!first)
        out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      out_ += escape_label(v);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::sample_double(const std::string &name,
                                   const MetricLabels &labels, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  sample(name, labels, buf);
}

} // namespace psr::api
