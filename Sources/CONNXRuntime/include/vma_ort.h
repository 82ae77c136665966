// Shim over the ONNX Runtime C API. The header comes from Debian's libonnxruntime-dev, fetched by
// scripts/fetch-onnxruntime.sh into .deps/ (it is not committed). The library itself is loaded at
// run time with dlopen, so a build needs only this header.
#ifndef VMA_ORT_H
#define VMA_ORT_H

#include <stddef.h>
#include "../../../.deps/onnxruntime/include/onnxruntime_c_api.h"

/// Opens the shared library at `path` and returns its `OrtApi` table for the header's
/// ORT_API_VERSION, or NULL with a message in `error` (at most `error_len` bytes).
const OrtApi *vma_ort_load(const char *path, char *error, size_t error_len);

/// Opens the library at `path`, writes its version and its execution providers (comma-separated)
/// into the buffers, and closes it again, so an idle server does not keep it mapped. Returns 1 on
/// success, 0 with a message in `error`.
int vma_ort_probe(const char *path, char *version, size_t version_len, char *providers, size_t providers_len,
                  char *error, size_t error_len);

/// The API version this build was compiled against.
unsigned int vma_ort_api_version(void);


#endif
