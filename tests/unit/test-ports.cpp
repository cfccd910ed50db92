// SPDX-License-Identifier: GPL-2.0-or-later
#include "portcullis/ports.hpp"

#include <catch2/catch.hpp>

using namespace portcullis;

TEST_CASE("port specs parse in every form the catalogue allows", "[ports]") {
    CHECK(parse_port_range("22/tcp") == PortRange{Proto::tcp, 22, 22});
    CHECK(parse_port_range("6001-6010/udp") == PortRange{Proto::udp, 6001, 6010});
    CHECK(parse_port_range("1-65535/tcp") == PortRange{Proto::tcp, 1, 65535});
    CHECK(parse_port_range("icmp") == PortRange{Proto::icmp, 0, 0});
    CHECK(parse_port_range("icmpv6") == PortRange{Proto::icmpv6, 0, 0});
}

TEST_CASE("bad port specs are refused with a reason", "[ports]") {
    auto why_of = [](const char* text) {
        std::string why;
        CHECK_FALSE(parse_port_range(text, &why));
        return why;
    };
    CHECK(why_of("22") == "expected PORT/PROTO, FIRST-LAST/PROTO, icmp or icmpv6");
    CHECK(why_of("22/sctp") == "protocol must be tcp or udp, not 'sctp'");
    CHECK(why_of("0/tcp") == "port 0 is out of range 1-65535");
    CHECK(why_of("65536/udp") == "port 65536 is out of range 1-65535");
    CHECK(why_of("99999999999999999999/udp") ==
          "port 99999999999999999999 is out of range 1-65535");
    CHECK(why_of("20-10/tcp") == "range 20-10 ends before it starts");
    CHECK(why_of("2a/tcp") == "'2a' is not a port number");
    CHECK(why_of("-5/tcp") == "missing port number");
    CHECK(why_of("5-/tcp") == "missing port number");
    CHECK(why_of("/tcp") == "missing port number");
    CHECK(why_of("+5/tcp") == "'+5' is not a port number");
    CHECK(why_of(" 5/tcp") == "' 5' is not a port number");
    CHECK(why_of("ICMP") == "expected PORT/PROTO, FIRST-LAST/PROTO, icmp or icmpv6");
}

TEST_CASE("port ranges print back in the catalogue grammar", "[ports]") {
    for (const char* s : {"22/tcp", "6001-6010/udp", "icmp", "icmpv6", "65535/udp"})
        CHECK(to_string(*parse_port_range(s)) == s);
}

TEST_CASE("interval sets merge overlapping and adjacent ranges", "[ports][intervals]") {
    IntervalSet s;
    s.add({5000, 5001});
    s.add({5001, 5001});
    CHECK(s.intervals() == std::vector<Interval>{{5000, 5001}});

    s.add({5002, 5005}); // adjacent on the right
    CHECK(s.intervals() == std::vector<Interval>{{5000, 5005}});
    s.add({4990, 4999}); // adjacent on the left
    CHECK(s.intervals() == std::vector<Interval>{{4990, 5005}});
    s.add({22, 22});
    s.add({80, 80});
    s.add({443, 443});
    CHECK(s.size() == 4);
    s.add({23, 4989}); // bridges 22 to the 5000s, swallowing 80 and 443
    CHECK(s.intervals() == std::vector<Interval>{{22, 5005}});
    s.add({100, 200}); // inside: no change
    CHECK(s.intervals() == std::vector<Interval>{{22, 5005}});
}

TEST_CASE("interval sets keep non-adjacent ranges apart and sorted", "[ports][intervals]") {
    IntervalSet s{{443, 443}, {80, 80}, {22, 22}, {82, 90}};
    CHECK(s.intervals() == std::vector<Interval>{{22, 22}, {80, 80}, {82, 90}, {443, 443}});
    s.add({81, 81});
    CHECK(s.intervals() == std::vector<Interval>{{22, 22}, {80, 90}, {443, 443}});
}

TEST_CASE("interval sets handle the edges of the port space", "[ports][intervals]") {
    IntervalSet s{{65535, 65535}, {1, 1}};
    CHECK(s.intervals() == std::vector<Interval>{{1, 1}, {65535, 65535}});
    s.add({49152, 65534});
    CHECK(s.intervals() == std::vector<Interval>{{1, 1}, {49152, 65535}});
    s.add({2, 49151});
    CHECK(s.intervals() == std::vector<Interval>{{1, 65535}});
    CHECK(s.contains(1));
    CHECK(s.contains(65535));
}

TEST_CASE("covers and contains", "[ports][intervals]") {
    IntervalSet s{{1025, 65535}, {21, 21}};
    CHECK(s.contains(21));
    CHECK_FALSE(s.contains(20));
    CHECK_FALSE(s.contains(22));
    CHECK(s.covers({55536, 55899}));
    CHECK_FALSE(s.covers({1000, 1100}));
    CHECK_FALSE(IntervalSet{}.contains(1));
}

TEST_CASE("diff works on kernel elements, not ports", "[ports][intervals]") {
    IntervalSet a{{22, 22}, {5000, 5001}};
    IntervalSet b{{22, 22}, {5000, 5010}};
    auto d = diff(a, b);
    // A grown range is a delete of the old element and an add of the new one.
    CHECK(d.del == std::vector<Interval>{{5000, 5001}});
    CHECK(d.add == std::vector<Interval>{{5000, 5010}});
    CHECK(diff(a, a).empty());
    auto d2 = diff(IntervalSet{}, a);
    CHECK(d2.add == a.intervals());
    CHECK(d2.del.empty());
}
