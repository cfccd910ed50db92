// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/cli.hpp"
#include "app/host-setup.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace portcullis;

namespace {

std::string hex(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : s) {
        auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4U];
        out += digits[b & 0xFU];
    }
    return out;
}

std::string unhex(std::string_view h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
    return out;
}

} // namespace

TEST_CASE("host setup: the file capability value, byte for byte", "[host-setup]") {
    // What `setcap cap_net_admin=p` writes (getfattr -e hex -n security.capability).
    CHECK(hex(file_capability(cap_bit_net_admin)) == "0000000200100000000000000000000000000000");
    // cap_net_admin,cap_net_raw=p
    CHECK(hex(file_capability(cap_bit_net_admin | cap_bit_net_raw)) ==
          "0000000200300000000000000000000000000000");
}

TEST_CASE("host setup: reading a file capability back", "[host-setup]") {
    CHECK(file_capability_permitted(file_capability(cap_bit_net_admin)) == cap_bit_net_admin);
    CHECK(file_capability_permitted(file_capability(cap_bit_net_admin | cap_bit_net_raw)) ==
          (cap_bit_net_admin | cap_bit_net_raw));
    CHECK_FALSE(file_capability_permitted(""));
    // cap_net_admin=ep: the effective flag is not ours to keep.
    CHECK_FALSE(file_capability_permitted(unhex("0100000200100000000000000000000000000000")));
    // cap_net_admin=ei: inheritable.
    CHECK_FALSE(file_capability_permitted(unhex("0000000200100000001000000000000000000000")));
    // A capability above 31 (cap_sys_admin is 21, cap_bpf 39 lives in the second word).
    CHECK_FALSE(file_capability_permitted(unhex("0000000200100000000000008000000000000000")));
    // Revision 3: the initial namespace's root (0) is ours, a user namespace's root is not.
    CHECK(file_capability_permitted(unhex("000000030010000000000000000000000000000000000000")) ==
          cap_bit_net_admin);
    CHECK_FALSE(
        file_capability_permitted(unhex("0000000300100000000000000000000000000000e8030000")));
    // Revision 1 (one word), and a size that matches no revision.
    CHECK_FALSE(file_capability_permitted(unhex("000000010010000000000000")));
    CHECK_FALSE(file_capability_permitted(unhex("00000002001000000000000000000000000000")));
}

TEST_CASE("host setup: the bundle manifest names files of lib/ only", "[host-setup]") {
    CHECK(parse_bundle_manifest("# portcullis bundle\n"
                                "ld-linux-x86-64.so.2\n"
                                "  libc.so.6 \r\n"
                                "\n"
                                "../../etc/shadow\n"
                                "sub/libx.so\n"
                                ".hidden\n"
                                "libuv.so.1") ==
          std::vector<std::string>{"ld-linux-x86-64.so.2", "libc.so.6", "libuv.so.1"});
}

TEST_CASE("host setup: --configure-host on the command line", "[host-setup]") {
    std::ostringstream err;
    std::vector<const char*> argv = {"portcullisd", "--configure-host", "--config", "/x.toml"};
    auto o = parse_args(static_cast<int>(argv.size()), argv.data(), err);
    REQUIRE(o);
    CHECK(o->command == Command::configure_host);
    CHECK(o->config_path == "/x.toml");
    std::vector<const char*> both = {"portcullisd", "--configure-host", "--check-config"};
    CHECK_FALSE(parse_args(static_cast<int>(both.size()), both.data(), err));
    CHECK(usage_text().find("--configure-host") != std::string::npos);
}
