#include "analyzer.h"

#include "analyze/detector/detector.h"

namespace psd {

namespace {

class EmbeddedAnalyzer : public Analyzer {
public:
  explicit EmbeddedAnalyzer(const psr::analyze::DetectorOptions &o)
      : detector_(o) {}
  const char *name() const override { return "embedded"; }
  std::vector<psr::analyze::Proposal>
  analyze(const AnalyzerInput &in) override {
    return detector_.analyze(*in.window, in.context);
  }

private:
  psr::analyze::EmbeddedDetector detector_;
};

} // namespace

std::unique_ptr<Analyzer>
make_embedded_analyzer(const psr::analyze::DetectorOptions &options) {
  return std::make_unique<EmbeddedAnalyzer>(options);
}

} // namespace psd
