// SPDX-License-Identifier: GPL-2.0-or-later
// The ipset netlink protocol (NFNL_SUBSYS_IPSET), both ways: requests built into a buffer of
// netlink messages, and the kernel's list, type and protocol replies parsed back. Pure: no
// socket and no kernel, so the unit tests build a message, parse it back and compare, as they do
// for the nftables batches.
#pragma once

#include "portcullis/net.hpp"
#include "portcullis/ports.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct nlmsghdr;

namespace portcullis::legacy {

// Protocol 6 is the oldest one every ip_set since Linux 3.x accepts, and DSM's 4.4 kernels
// accept nothing else; newer kernels accept 6 and 7. Nothing we send needs 7.
inline constexpr std::uint8_t ipset_protocol = 6;
// IPSET_MAXNAMELEN less the terminating NUL.
inline constexpr std::size_t ipset_name_max = 31;

enum class IpSetType : std::uint8_t { bitmap_port, hash_net };
std::string_view type_name(IpSetType t); // "bitmap:port", "hash:net"

struct IpSetDef {
    std::string name;
    IpSetType type = IpSetType::bitmap_port;
    int family = 0; // AF_INET or AF_INET6 for hash:net; 0 for bitmap:port, which serves both

    bool operator==(const IpSetDef&) const = default;
};

// What a set holds. Ports as merged intervals (the kernel lists a bitmap port by port), networks
// sorted and unique (a hash lists in hash order): two equal contents compare equal.
struct IpSetMembers {
    std::vector<Interval> ports;
    std::vector<Cidr> nets;

    [[nodiscard]] bool empty() const { return ports.empty() && nets.empty(); }
    // Elements as the kernel counts add/del operations: one per port range or network.
    [[nodiscard]] std::size_t size() const { return ports.size() + nets.size(); }
    bool operator==(const IpSetMembers&) const = default;
};

// Sorts and merges (ports) or sorts and deduplicates (networks).
void normalize(IpSetMembers& m);

// One set as IPSET_CMD_LIST describes it. A names-only listing fills only the name.
struct ListedSet {
    std::string name;
    std::string type; // "bitmap:port", ...; empty when only names were listed
    int family = 0;
    int revision = 0;
    std::optional<Interval> range; // bitmap:port: the ports it can hold
    std::uint32_t references = 0;  // iptables rules (and list:set sets) using it
    IpSetMembers members;          // normalised once the listing is complete (see parse_list)
};

// One message of a request, for error reports and for matching acks.
struct IpsetPart {
    std::uint32_t seq = 0;
    std::string what; // "IPSET_CMD_ADD pc_lan_tcp"
    bool dump = false;
};

// A request: one or more ipset messages back to back, each with NLM_F_ACK (or NLM_F_DUMP),
// sequence numbers counting up from first_seq.
class IpsetRequest {
public:
    explicit IpsetRequest(std::uint32_t first_seq) : seq_(first_seq) {}

    void protocol();
    void type(IpSetType t, int family);
    // With NLM_F_EXCL: a set of that name already there is an error, never silently reused.
    void create(const IpSetDef& d, std::uint8_t revision);
    void destroy(std::string_view name);
    // Exchanges the two sets' contents and names in one step: iptables rules that name `a` see
    // the new members at once.
    void swap_sets(std::string_view a, std::string_view b);
    // A dump of one set (or of every set when name is empty), members included unless
    // names_only.
    void list(std::string_view name, bool names_only);
    // ADD or DEL of every member, as few messages as fit in `max_message` bytes each (the
    // IPSET_ATTR_ADT list of a restore). Nothing for no members. Adding what is there, or
    // deleting what is not, is no error (no NLM_F_EXCL).
    void change(bool add, const IpSetDef& d, const IpSetMembers& m,
                std::size_t max_message = default_max_message);

    [[nodiscard]] std::span<const std::uint8_t> data() const { return buf_; }
    [[nodiscard]] const std::vector<IpsetPart>& parts() const { return parts_; }
    [[nodiscard]] const IpsetPart* find(std::uint32_t seq) const;
    [[nodiscard]] std::uint32_t next_seq() const { return seq_; }
    // Each message, as its header (for parsing back in tests).
    [[nodiscard]] std::vector<const nlmsghdr*> headers() const;

    static constexpr std::size_t default_max_message = std::size_t{16} * 1024;

private:
    nlmsghdr* begin(std::uint8_t cmd, std::uint16_t flags, std::size_t room);
    void end(std::string what, bool dump = false);

    std::vector<std::uint8_t> buf_;
    std::vector<IpsetPart> parts_;
    std::uint32_t seq_;
    std::size_t open_ = 0;
};

// The ipset command of a message (IPSET_CMD_*), or 0 when it is not an ipset message.
std::uint8_t ipset_cmd(const nlmsghdr* nlh);

// Adds what one IPSET_CMD_LIST reply message says to `sets` (a set's members may come in several
// messages; a message about the set listed last continues it). 0, or -EINVAL for a message we
// cannot read. Call finish_list() once the dump is done.
int parse_list(const nlmsghdr* nlh, std::vector<ListedSet>& sets);
void finish_list(std::vector<ListedSet>& sets);

struct TypeInfo {
    std::uint8_t revision_max = 0;
    std::uint8_t revision_min = 0;
};
int parse_type_reply(const nlmsghdr* nlh, TypeInfo* out);
// The kernel's protocol version and the oldest one it accepts (the same on old kernels).
int parse_protocol_reply(const nlmsghdr* nlh, std::uint8_t* protocol, std::uint8_t* min);

// The kernel's words for an error an ipset ack carries (ipset's own codes above 4096, or an
// errno), and the errno closest to it for callers that speak errno.
std::string ipset_error_text(int negative_error);
int errno_of_ipset(int negative_error);

// What a request message parses back to, for the unit tests and for error reports.
struct ParsedRequest {
    std::uint8_t cmd = 0;
    std::uint16_t flags = 0;
    std::uint8_t protocol = 0;
    std::string name;  // IPSET_ATTR_SETNAME
    std::string name2; // IPSET_ATTR_TYPENAME / SETNAME2
    int family = -1;
    int revision = -1;
    std::optional<Interval> range; // create bitmap:port
    std::uint32_t list_flags = 0;
    IpSetMembers members; // ADD / DEL, in message order (not normalised)
};
int parse_request(const nlmsghdr* nlh, ParsedRequest* out);

} // namespace portcullis::legacy
