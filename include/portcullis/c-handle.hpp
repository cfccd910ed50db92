// SPDX-License-Identifier: GPL-2.0-or-later
// Owning a C library's handle: a unique_ptr whose deleter is the library's own free function.
// Every handle type of libnftnl, libmnl and sd-bus is held this way (nft/handles.hpp,
// bus/handles.hpp), so every early return releases what it allocated.
#pragma once

#include <memory>

namespace portcullis {

template <auto Free>
struct FreeWith {
    template <class T>
    void operator()(T* p) const noexcept {
        if (p)
            Free(p);
    }
};

// CHandle<nftnl_set, nftnl_set_free>
template <class T, auto Free>
using CHandle = std::unique_ptr<T, FreeWith<Free>>;

} // namespace portcullis
