#include "govern/evidence_match.h"

#include <cstdio>

namespace psr::govern {

std::string short_number(double v) {
  char buf[48];
  if (v >= 100 || v <= -100)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

ShadowJudgement judge_shadow(const ShadowEvidence &e,
                             const GovernorOptions &o) {
  ShadowJudgement j;
  if (e.shadow_s > 0)
    j.shadow_pps = static_cast<double>(e.shadow_packets) / e.shadow_s;
  const std::string would =
      "it would have dropped " + short_number(j.shadow_pps) +
      " packets/s over its " + short_number(e.shadow_s) + " s in shadow";
  if (e.shadow_packets == 0) {
    j.why = "it matched nothing in its shadow period";
    return j;
  }
  if (e.cited_pps <= 0) {
    j.why = would + ", and its proposal cites no packet rate to hold that "
                    "against: nothing shows it is the traffic it was "
                    "proposed for";
    return j;
  }
  j.ratio = j.shadow_pps / e.cited_pps;
  const std::string cited =
      short_number(e.cited_pps) + " packets/s its evidence cites";
  const std::string basis =
      e.cited_basis.empty() ? "" : " (" + e.cited_basis + ")";
  if (j.ratio < o.shadow_min_ratio) {
    j.why = would + ", " + short_number(j.ratio) + " times the " + cited +
            basis + ", less than the " + short_number(o.shadow_min_ratio) +
            " required: it does not catch the traffic it was proposed for";
    return j;
  }
  if (j.ratio > o.shadow_max_ratio) {
    j.why = would + ", " + short_number(j.ratio) + " times the " + cited +
            basis + ", more than the " + short_number(o.shadow_max_ratio) +
            " allowed: it reaches traffic its evidence does not show";
    return j;
  }
  j.enforce = true;
  j.why = would + ", " + short_number(j.ratio) + " times the " + cited + basis;
  return j;
}

} // namespace psr::govern
