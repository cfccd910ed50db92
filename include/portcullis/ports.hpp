// SPDX-License-Identifier: GPL-2.0-or-later
// Ports, protocols and merged interval sets of ports.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

enum class Proto : std::uint8_t { tcp, udp, icmp, icmpv6 };

std::string_view to_string(Proto p);
std::optional<Proto> proto_from_string(std::string_view s);

// An inclusive range of ports. For icmp/icmpv6 both ends are 0.
struct PortRange {
    Proto proto = Proto::tcp;
    std::uint16_t first = 0;
    std::uint16_t last = 0;

    // clang-tidy 14 reports the literal 0 of the synthesized comparison as a null pointer.
    auto operator<=>(const PortRange&) const = default; // NOLINT(modernize-use-nullptr)
};

// Parses the catalogue grammar: PORT/PROTO, FIRST-LAST/PROTO (PROTO tcp|udp), or the
// bare words icmp and icmpv6. On failure returns nullopt and sets *why.
std::optional<PortRange> parse_port_range(std::string_view text, std::string* why = nullptr);

// The inverse of parse_port_range: "22/tcp", "6001-6010/udp", "icmp".
std::string to_string(const PortRange& r);
// Each range as to_string() writes it.
std::vector<std::string> port_words(const std::vector<PortRange>& ports);

struct Interval {
    std::uint16_t first = 0;
    std::uint16_t last = 0;

    // clang-tidy 14 reports the literal 0 of the synthesized comparison as a null pointer.
    auto operator<=>(const Interval&) const = default; // NOLINT(modernize-use-nullptr)
};

// A set of ports kept as sorted, disjoint, non-adjacent intervals. The kernel neither merges
// adjacent ranges nor tolerates overlapping ones in an interval set, so every set we hand to a
// backend is normalised here first.
class IntervalSet {
public:
    IntervalSet() = default;
    IntervalSet(std::initializer_list<Interval> init);

    void add(Interval iv);
    void add(const IntervalSet& other);
    // Removes the interval that holds port and returns it; nullopt when no interval does.
    std::optional<Interval> remove_containing(std::uint16_t port);
    [[nodiscard]] bool contains(std::uint16_t port) const;
    // True when every port of iv is in the set.
    [[nodiscard]] bool covers(Interval iv) const;
    [[nodiscard]] bool empty() const { return ivs_.empty(); }
    [[nodiscard]] std::size_t size() const { return ivs_.size(); }
    [[nodiscard]] const std::vector<Interval>& intervals() const { return ivs_; }
    auto begin() const { return ivs_.begin(); }
    auto end() const { return ivs_.end(); }

    bool operator==(const IntervalSet&) const = default;

private:
    std::vector<Interval> ivs_;
};

// Element-level difference between two normalised sets, as the kernel sees elements: an interval
// present in `from` but not, exactly, in `to` is deleted; one in `to` but not in `from` is added.
// Applying del then add to `from` yields `to`.
struct IntervalDiff {
    std::vector<Interval> add;
    std::vector<Interval> del;
    [[nodiscard]] bool empty() const { return add.empty() && del.empty(); }
};
IntervalDiff diff(const IntervalSet& from, const IntervalSet& to);

} // namespace portcullis
