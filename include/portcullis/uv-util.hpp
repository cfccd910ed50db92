// SPDX-License-Identifier: GPL-2.0-or-later
// RAII for libuv handles: a handle is freed only from its close callback, after uv_close().
#pragma once

#include <memory>
#include <new>
#include <uv.h>

namespace portcullis {

template <class H>
struct UvCloser {
    void operator()(H* h) const {
        if (!h)
            return;
        auto* base = reinterpret_cast<uv_handle_t*>(h);
        if (uv_is_closing(base))
            return;
        uv_close(base, [](uv_handle_t* x) { delete reinterpret_cast<H*>(x); });
    }
};

template <class H>
using UvPtr = std::unique_ptr<H, UvCloser<H>>;

// Allocates and initialises a handle with init(loop, h, args...). Returns null (and frees the
// memory) when init fails; *err gets the libuv error.
template <class H, class Init, class... Args>
UvPtr<H> make_uv(uv_loop_t* loop, Init init, int* err, Args&&... args) {
    auto* h = new H{};
    int r = init(loop, h, std::forward<Args>(args)...);
    if (r < 0) {
        delete h;
        if (err)
            *err = r;
        return nullptr;
    }
    if (err)
        *err = 0;
    return UvPtr<H>(h);
}

} // namespace portcullis
