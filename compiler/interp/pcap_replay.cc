#include "interp/pcap_replay.h"

#include <pcap/pcap.h>

#include <memory>

namespace psl::interp {

namespace {

struct PcapCloser {
  void operator()(pcap_t *p) const { pcap_close(p); }
};

uint16_t be16(const uint8_t *b) {
  return static_cast<uint16_t>(b[0] << 8 | b[1]);
}

// Ethernet header + the payload after a cooked header.
bool synthesize(const uint8_t *addr, unsigned addr_len, uint16_t proto,
                const uint8_t *payload, size_t payload_len,
                std::vector<uint8_t> &out) {
  out.assign(14, 0);
  if (addr_len == 6)
    for (int i = 0; i < 6; ++i)
      out[6 + i] = addr[i];
  out[12] = static_cast<uint8_t>(proto >> 8);
  out[13] = static_cast<uint8_t>(proto);
  out.insert(out.end(), payload, payload + payload_len);
  return true;
}

} // namespace

std::optional<std::string>
replay_pcap(const std::string &path,
            const std::function<void(const CapturedFrame &)> &on_frame) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapCloser> pcap(
      pcap_open_offline_with_tstamp_precision(path.c_str(),
                                              PCAP_TSTAMP_PRECISION_NANO, err));
  if (!pcap)
    return "cannot open capture '" + path + "': " + err;
  const int link = pcap_datalink(pcap.get());
  if (link != DLT_EN10MB && link != DLT_LINUX_SLL && link != DLT_LINUX_SLL2) {
    const char *name = pcap_datalink_val_to_name(link);
    return "capture '" + path + "' has link type " +
           (name ? name : std::to_string(link)) +
           "; only Ethernet (EN10MB) and Linux cooked (LINUX_SLL, LINUX_SLL2) "
           "are supported";
  }
  const bool nano =
      pcap_get_tstamp_precision(pcap.get()) == PCAP_TSTAMP_PRECISION_NANO;

  CapturedFrame f;
  pcap_pkthdr *hdr = nullptr;
  const u_char *data = nullptr;
  uint64_t index = 0;
  int rc;
  while ((rc = pcap_next_ex(pcap.get(), &hdr, &data)) == 1) {
    ++index;
    const size_t cap = hdr->caplen;
    f.index = index;
    f.time_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1'000'000'000 +
                static_cast<uint64_t>(hdr->ts.tv_usec) * (nano ? 1 : 1000);
    if (link == DLT_EN10MB) {
      f.frame.assign(data, data + cap);
      f.wire_len = hdr->len;
    } else if (link == DLT_LINUX_SLL) {
      // type(2) arphrd(2) addr_len(2) addr(8) protocol(2)
      if (cap < 16)
        continue;
      synthesize(data + 6, be16(data + 4), be16(data + 14), data + 16, cap - 16,
                 f.frame);
      f.wire_len = hdr->len >= 16 ? hdr->len - 16 + 14 : 14;
    } else {
      // protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addr_len(1)
      // addr(8)
      if (cap < 20)
        continue;
      synthesize(data + 12, data[11], be16(data), data + 20, cap - 20, f.frame);
      f.wire_len = hdr->len >= 20 ? hdr->len - 20 + 14 : 14;
    }
    on_frame(f);
  }
  if (rc == -1)
    return "cannot read capture '" + path + "': " + pcap_geterr(pcap.get());
  return std::nullopt;
}

} // namespace psl::interp
