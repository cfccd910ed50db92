// SPDX-License-Identifier: GPL-2.0-or-later
#include "app/backend-factory.hpp"

#include "nft/backend.hpp"

namespace portcullis {

std::unique_ptr<Backend> make_backend(const Config& cfg, std::string* error) {
    if (cfg.backend == BackendKind::legacy) {
        if (error)
            *error = "the legacy (ipset/iptables) backend is not implemented yet; use "
                     "backend = \"nftables\" or \"auto\"";
        return nullptr;
    }
    CommitResult err;
    auto nft = make_nft_backend(&err);
    if (nft)
        return nft;
    if (error)
        *error = "nf_tables is not available (" + err.message + ")" +
                 (cfg.backend == BackendKind::automatic
                      ? "; the legacy backend for kernels without nf_tables is not implemented yet"
                      : "");
    return nullptr;
}

} // namespace portcullis
