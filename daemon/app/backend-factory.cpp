// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/backend-factory.hpp"

#include "app/kernel-probe.hpp"
#include "app/log.hpp"
#include "legacy/backend.hpp"
#include "nft/backend.hpp"

namespace portcullis {

namespace {

std::unique_ptr<Backend> open_legacy(const Config& cfg, const legacy::LegacyProbe& p,
                                     std::string* error) {
    LegacyOptions o;
    o.check_seconds = cfg.legacy.check_seconds;
    o.tools = *p.tools;
    o.translate.state_match = p.state_match;
    o.translate.ipv6 = p.ipv6;
    o.ftp_helper = p.ct_target;
    o.bitmap_port_revision = p.bitmap_port.value_or(0);
    o.hash_net_revision = p.hash_net.value_or(0);
    CommitResult err;
    auto b = LegacyBackend::open(o, &err);
    if (!b) {
        if (error)
            *error = "the legacy backend: " + err.message;
        return nullptr;
    }
    log_notice("backend legacy: ip sets pc_* and chain " + cfg.table + " (" + o.tools.v4 +
               (o.tools.v6.empty() ? "" : ", " + o.tools.v6) + "), checked every " +
               std::to_string(o.check_seconds) + " s");
    return b;
}

} // namespace

std::unique_ptr<Backend> make_backend(const Config& cfg, std::string* error,
                                      const std::vector<std::string>& hide) {
    KernelProbe k = probe_kernel(cfg.backend, hide);
    log_info(probe_summary(k));
    BackendChoice c = choose_backend(cfg.backend, k);
    if (!c.kind) {
        if (error)
            *error = c.problem;
        return nullptr;
    }
    if (*c.kind == BackendKind::legacy)
        return open_legacy(cfg, k.legacy, error);
    CommitResult err;
    auto nft = make_nft_backend(&err);
    if (!nft && error)
        *error = "nf_tables: " + err.message;
    return nft;
}

} // namespace portcullis
