// SPDX-License-Identifier: GPL-2.0-or-later
#include "portcullis/ports.hpp"

#include "core/string-table.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <charconv>

namespace portcullis {

namespace {

constexpr auto proto_names = make_string_table<Proto>(
    {{Proto::tcp, "tcp"}, {Proto::udp, "udp"}, {Proto::icmp, "icmp"}, {Proto::icmpv6, "icmpv6"}});

} // namespace

std::string_view to_string(Proto p) {
    return proto_names.name(p);
}

std::optional<Proto> proto_from_string(std::string_view s) {
    return proto_names.parse(s);
}

namespace {

bool fail(std::string* why, std::string msg) {
    if (why)
        *why = std::move(msg);
    return false;
}

bool parse_port(std::string_view s, std::uint16_t& out, std::string* why) {
    if (s.empty())
        return fail(why, "missing port number");
    unsigned long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range && p == s.data() + s.size())
        v = 65536; // too many digits: report it as out of range below
    else if (ec != std::errc() || p != s.data() + s.size())
        return fail(why, "'" + printable(s) + "' is not a port number");
    if (v < 1 || v > 65535)
        return fail(why, "port " + printable(s) + " is out of range 1-65535");
    out = static_cast<std::uint16_t>(v);
    return true;
}

} // namespace

std::optional<PortRange> parse_port_range(std::string_view text, std::string* why) {
    if (text == "icmp")
        return PortRange{Proto::icmp, 0, 0};
    if (text == "icmpv6")
        return PortRange{Proto::icmpv6, 0, 0};
    auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        fail(why, "expected PORT/PROTO, FIRST-LAST/PROTO, icmp or icmpv6");
        return std::nullopt;
    }
    auto numbers = text.substr(0, slash);
    auto proto_word = text.substr(slash + 1);
    PortRange r;
    auto proto = proto_from_string(proto_word);
    if (proto != Proto::tcp && proto != Proto::udp) {
        fail(why, "protocol must be tcp or udp, not '" + printable(proto_word) + "'");
        return std::nullopt;
    }
    r.proto = *proto;
    auto dash = numbers.find('-');
    if (dash == std::string_view::npos) {
        if (!parse_port(numbers, r.first, why))
            return std::nullopt;
        r.last = r.first;
    } else {
        if (!parse_port(numbers.substr(0, dash), r.first, why) ||
            !parse_port(numbers.substr(dash + 1), r.last, why))
            return std::nullopt;
        if (r.first > r.last) {
            fail(why, "range " + printable(numbers) + " ends before it starts");
            return std::nullopt;
        }
    }
    return r;
}

std::string to_string(const PortRange& r) {
    if (r.proto == Proto::icmp || r.proto == Proto::icmpv6)
        return std::string(to_string(r.proto));
    std::string s = std::to_string(r.first);
    if (r.last != r.first)
        s += "-" + std::to_string(r.last);
    s += "/";
    s += to_string(r.proto);
    return s;
}

std::vector<std::string> port_words(const std::vector<PortRange>& ports) {
    std::vector<std::string> out;
    out.reserve(ports.size());
    for (const auto& p : ports)
        out.push_back(to_string(p));
    return out;
}

IntervalSet::IntervalSet(std::initializer_list<Interval> init) {
    for (const auto& iv : init)
        add(iv);
}

void IntervalSet::add(Interval iv) {
    if (iv.first > iv.last)
        std::swap(iv.first, iv.last);
    // First interval that could touch iv: the first whose last >= iv.first - 1.
    auto it =
        std::lower_bound(ivs_.begin(), ivs_.end(), iv, [](const Interval& a, const Interval& b) {
            return static_cast<unsigned>(a.last) + 1 < b.first;
        });
    auto end = it;
    // Absorb every interval that overlaps or is adjacent to iv.
    while (end != ivs_.end() && end->first <= static_cast<unsigned>(iv.last) + 1) {
        iv.first = std::min(iv.first, end->first);
        iv.last = std::max(iv.last, end->last);
        ++end;
    }
    it = ivs_.erase(it, end);
    ivs_.insert(it, iv);
}

void IntervalSet::add(const IntervalSet& other) {
    for (const auto& iv : other.ivs_)
        add(iv);
}

std::optional<Interval> IntervalSet::remove_containing(std::uint16_t port) {
    auto it = std::upper_bound(ivs_.begin(), ivs_.end(), port,
                               [](std::uint16_t p, const Interval& a) { return p < a.first; });
    if (it == ivs_.begin() || (--it)->last < port)
        return std::nullopt;
    Interval iv = *it;
    ivs_.erase(it);
    return iv;
}

bool IntervalSet::contains(std::uint16_t port) const {
    return covers({port, port});
}

bool IntervalSet::covers(Interval iv) const {
    auto it = std::upper_bound(ivs_.begin(), ivs_.end(), iv.first,
                               [](std::uint16_t p, const Interval& a) { return p < a.first; });
    if (it == ivs_.begin())
        return false;
    --it;
    return it->first <= iv.first && iv.last <= it->last;
}

IntervalDiff diff(const IntervalSet& from, const IntervalSet& to) {
    IntervalDiff d;
    std::set_difference(from.begin(), from.end(), to.begin(), to.end(), std::back_inserter(d.del));
    std::set_difference(to.begin(), to.end(), from.begin(), from.end(), std::back_inserter(d.add));
    return d;
}

} // namespace portcullis
