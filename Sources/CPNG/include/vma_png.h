// Shim over libpng: the simplified png_image API (used directly from Swift) plus one function for
// 16-bit images through the low-level API, whose setjmp error handling must stay in C.
#ifndef VMA_PNG_H
#define VMA_PNG_H

#include <stddef.h>
#include <stdint.h>
#include <png.h>

/// Decodes a 16-bit PNG into `out` as raw samples (host byte order, no gamma or scaling),
/// `width * height * channels` values, channels as stored (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA).
/// Returns 1 on success; 0 with a message in `error` otherwise. `out_count` is the buffer size
/// in samples; the caller sizes it from the header.
int vma_png_read16(const uint8_t *data, size_t size, uint16_t *out, size_t out_count, int *channels,
                   char *error, size_t error_len);

#endif
