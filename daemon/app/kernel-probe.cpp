// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/kernel-probe.hpp"

#include "core/strings.hpp"

#include <algorithm>
#include <array>
#include <cerrno>

namespace portcullis {

namespace {

constexpr std::array<std::string_view, 10> feature_names = {
    "nf_tables", "nft-interval-sets", "nft-ct-helper", "ip_set", "bitmap:port",
    "hash:net",  "iptables",          "ip6tables",     "xt_set", "CT"};

std::string missing_text(const std::vector<std::pair<std::string, std::string>>& m) {
    std::string out;
    for (const auto& [what, provide] : m)
        out += (out.empty() ? "" : "; ") + what + " (" + provide + ")";
    return out;
}

std::vector<std::pair<std::string, std::string>> legacy_missing(const legacy::LegacyProbe& p) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& m : p.missing())
        out.emplace_back(m.what, m.provide);
    return out;
}

std::string yes_no(int r) {
    return r == 0 ? "yes" : "no (" + errno_text(r) + ")";
}

} // namespace

bool known_feature(std::string_view name) {
    return std::find(feature_names.begin(), feature_names.end(), name) != feature_names.end();
}

std::string known_features_text() {
    std::vector<std::string> v(feature_names.begin(), feature_names.end());
    return join(v);
}

void hide_features(KernelProbe& k, const std::vector<std::string>& names) {
    auto hidden = [&](std::string_view n) {
        return std::find(names.begin(), names.end(), n) != names.end();
    };
    if (k.nft.probed) {
        if (hidden("nf_tables"))
            k.nft.nf_tables = -EPROTONOSUPPORT; // what a kernel without nf_tables answers
        if (hidden("nft-interval-sets"))
            k.nft.interval_sets = -EOPNOTSUPP;
        if (hidden("nft-ct-helper"))
            k.nft.ct_helper = -ENOENT;
    }
    auto& l = k.legacy;
    if (!l.probed)
        return;
    if (hidden("ip_set"))
        l.ipset = -EPROTONOSUPPORT;
    if (hidden("bitmap:port"))
        l.bitmap_port.reset();
    if (hidden("hash:net"))
        l.hash_net.reset();
    if (hidden("iptables"))
        l.iptables = -ENOPROTOOPT;
    if (hidden("ip6tables"))
        l.ip6tables = -ENOPROTOOPT;
    if (hidden("xt_set"))
        l.set_match = false;
    if (hidden("CT"))
        l.ct_target = false;
}

KernelProbe probe_kernel(BackendKind wanted, const std::vector<std::string>& hide, bool all) {
    KernelProbe k;
    if (all || wanted != BackendKind::legacy) {
        k.nft = probe_nftables();
        hide_features(k, hide);
    }
    if (all || wanted == BackendKind::legacy ||
        (wanted == BackendKind::automatic && !k.nft.complete())) {
        k.legacy = legacy::probe_legacy();
        hide_features(k, hide);
    }
    return k;
}

BackendChoice choose_backend(BackendKind wanted, const KernelProbe& k) {
    const bool nft = k.nft.complete();
    const bool leg = k.legacy.complete();
    switch (wanted) {
    case BackendKind::nftables:
        if (nft)
            return {BackendKind::nftables, ""};
        return {std::nullopt, "backend = \"nftables\", but this kernel lacks " +
                                  missing_text(k.nft.missing()) +
                                  "; load or build that, or set backend = \"auto\""};
    case BackendKind::legacy:
        if (leg)
            return {BackendKind::legacy, ""};
        return {std::nullopt, "backend = \"legacy\", but this box lacks " +
                                  missing_text(legacy_missing(k.legacy)) +
                                  "; load or install that, or set backend = \"auto\""};
    case BackendKind::automatic:
        break;
    }
    if (nft)
        return {BackendKind::nftables, ""};
    if (leg)
        return {BackendKind::legacy, ""};
    return {std::nullopt, "neither firewall backend can work here: nftables needs " +
                              missing_text(k.nft.missing()) + "; the legacy backend needs " +
                              missing_text(legacy_missing(k.legacy)) +
                              ". Load the module (modprobe NAME) or use a kernel built with the "
                              "option, then start again"};
}

std::string probe_summary(const KernelProbe& k) {
    std::string out = "kernel: ";
    if (!k.nft.probed)
        out += "nftables not probed";
    else if (k.nft.complete())
        out += "nftables complete (nf_tables, inet tables, interval sets, ct helper)";
    else
        out += "nftables incomplete, missing " + missing_text(k.nft.missing());
    out += "; ";
    if (!k.legacy.probed)
        out += "legacy not probed";
    else if (k.legacy.complete())
        out += "legacy complete (ip_set protocol " + std::to_string(k.legacy.ipset_protocol) +
               " with bitmap:port and hash:net, iptables" +
               (k.legacy.ipv6 ? " and ip6tables" : "") + ", xt_set, " + k.legacy.state_match +
               ", CT; " + k.legacy.tools->v4 + ")";
    else
        out += "legacy incomplete, missing " + missing_text(legacy_missing(k.legacy));
    return out;
}

std::string probe_report(const KernelProbe& k) {
    std::string out;
    auto line = [&](const std::string& what, const std::string& value) {
        out +=
            "  " + what + std::string(what.size() < 26 ? 26 - what.size() : 1, ' ') + value + "\n";
    };
    out += "nftables backend: " + std::string(k.nft.complete() ? "complete" : "incomplete") + "\n";
    line("nf_tables", yes_no(k.nft.nf_tables));
    if (k.nft.nf_tables == 0) {
        line("inet tables", yes_no(k.nft.inet_table));
        line("interval sets", yes_no(k.nft.interval_sets));
        line("ct helper (ftp)", yes_no(k.nft.ct_helper));
    }
    const auto& l = k.legacy;
    out += "legacy backend: " + std::string(l.complete() ? "complete" : "incomplete") + "\n";
    line("ip_set",
         l.ipset == 0 ? "yes, protocol " + std::to_string(l.ipset_protocol) : yes_no(l.ipset));
    auto rev = [](const std::optional<std::uint8_t>& r) {
        return r ? "yes, revision " + std::to_string(*r) : std::string("no");
    };
    line("bitmap:port", rev(l.bitmap_port));
    line("hash:net", rev(l.hash_net));
    line("iptables filter / raw", yes_no(l.iptables) + " / " + yes_no(l.raw));
    line("IPv6", l.ipv6 ? "yes" : "no (ip6tables not needed)");
    if (l.ipv6)
        line("ip6tables filter / raw", yes_no(l.ip6tables) + " / " + yes_no(l.raw6));
    line("set match (xt_set)", l.set_match ? "yes" : "no");
    line("state match", l.state_match.empty() ? "no" : l.state_match);
    line("CT target", l.ct_target ? "yes" : "no");
    line("iptables-restore", l.tools ? l.tools->v4 : "none: " + l.tools_problem);
    if (l.tools && l.ipv6)
        line("ip6tables-restore", l.tools->v6.empty() ? "none" : l.tools->v6);
    return out;
}

} // namespace portcullis
