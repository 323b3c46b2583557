#include "backend/prebuilt_objects.h"

namespace psl::backend {

std::vector<LinkInput> prebuilt_link_inputs() {
  return {{"psl_parse_prebuilt.bpf.o", prebuilt_parser_object()},
          {"pso_xdp_sample_prebuilt.bpf.o", prebuilt_observation_object()}};
}

} // namespace psl::backend
