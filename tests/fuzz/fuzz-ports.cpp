// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target: the port grammars alone. The catalogue's PORT/PROTO words
// (parse_port_range) and DSM's dst.ports lists (parse_sc_ports), with the invariants their
// callers rely on: a parsed range is well formed (first <= last, ICMP without ports, no port
// 0), it prints back to a word that parses to the same range, and a .sc list comes back sorted
// and unique, with every problem's offset inside the value. A broken invariant aborts.
#include "core/import-sc.hpp"
#include "portcullis/ports.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

void check_range(const portcullis::PortRange& r) {
    using portcullis::Proto;
    bool icmp = r.proto == Proto::icmp || r.proto == Proto::icmpv6;
    check(icmp ? r.first == 0 && r.last == 0 : r.first >= 1 && r.first <= r.last);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);

    std::string why;
    if (auto r = portcullis::parse_port_range(text, &why)) {
        check_range(*r);
        std::string word = portcullis::to_string(*r);
        auto again = portcullis::parse_port_range(word);
        check(again && *again == *r);
    } else {
        check(!why.empty());
    }

    auto sc = portcullis::parse_sc_ports(text);
    for (const auto& r : sc.ports)
        check_range(r);
    check(std::is_sorted(sc.ports.begin(), sc.ports.end()));
    check(std::adjacent_find(sc.ports.begin(), sc.ports.end()) == sc.ports.end());
    for (const auto& p : sc.problems)
        check(p.offset <= text.size() && !p.message.empty());

    // The merged interval set: whatever is added is covered, and the set stays normalised.
    portcullis::IntervalSet set;
    for (const auto& r : sc.ports)
        set.add(portcullis::Interval{r.first, r.last});
    for (const auto& r : sc.ports)
        check(set.covers(portcullis::Interval{r.first, r.last}));
    const auto& ivs = set.intervals();
    for (std::size_t i = 1; i < ivs.size(); ++i)
        check(ivs[i - 1].last < ivs[i].first && ivs[i - 1].last + 1 < ivs[i].first);
    return 0;
}
