#include "vma_ort.h"
#include <dlfcn.h>
#include <stdio.h>

static const OrtApiBase *loaded_base = NULL;

/// The message for a library that does not offer this build's C API version: ORT's C API is
/// append-only, so that means the library is older than the header (1.<ORT_API_VERSION>).
static void describe_missing_api(const char *path, const OrtApiBase *base, char *error, size_t error_len) {
    if (base == NULL) {
        snprintf(error, error_len, "%s: OrtGetApiBase returned nothing; it is not an ONNX Runtime library", path);
        return;
    }
    snprintf(error, error_len,
             "%s is ONNX Runtime %s, older than this build needs: it was compiled against the C API of "
             "ONNX Runtime 1.%d (API version %d), which a library older than 1.%d does not provide. "
             "Point ORT_DYLIB_PATH at ONNX Runtime 1.%d or newer, or rerun scripts/setup.sh",
             path, base->GetVersionString(), ORT_API_VERSION, ORT_API_VERSION, ORT_API_VERSION, ORT_API_VERSION);
}

const OrtApi *vma_ort_load(const char *path, char *error, size_t error_len) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_len, "%s", reason ? reason : "dlopen failed");
        return NULL;
    }
    typedef const OrtApiBase *(*get_api_base_fn)(void);
    get_api_base_fn get_base = (get_api_base_fn)dlsym(handle, "OrtGetApiBase");
    if (get_base == NULL) {
        snprintf(error, error_len, "%s has no OrtGetApiBase symbol", path);
        dlclose(handle);
        return NULL;
    }
    const OrtApiBase *base = get_base();
    const OrtApi *api = base ? base->GetApi(ORT_API_VERSION) : NULL;
    if (api == NULL) {
        describe_missing_api(path, base, error, error_len);
        dlclose(handle);
        return NULL;
    }
    // The handle stays open for the life of the process: sessions hold function pointers into it.
    loaded_base = base;
    return api;
}

int vma_ort_probe(const char *path, char *version, size_t version_len, char *providers, size_t providers_len,
                  char *error, size_t error_len) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *reason = dlerror();
        snprintf(error, error_len, "%s", reason ? reason : "dlopen failed");
        return 0;
    }
    typedef const OrtApiBase *(*get_api_base_fn)(void);
    get_api_base_fn get_base = (get_api_base_fn)dlsym(handle, "OrtGetApiBase");
    const OrtApiBase *base = get_base ? get_base() : NULL;
    const OrtApi *api = base ? base->GetApi(ORT_API_VERSION) : NULL;
    if (api == NULL) {
        describe_missing_api(path, base, error, error_len);
        dlclose(handle);
        return 0;
    }
    snprintf(version, version_len, "%s", base->GetVersionString());
    char **list = NULL;
    int count = 0;
    providers[0] = 0;
    OrtStatus *status = api->GetAvailableProviders(&list, &count);
    if (status != NULL) {
        snprintf(error, error_len, "%s", api->GetErrorMessage(status));
        api->ReleaseStatus(status);
        dlclose(handle);
        return 0;
    }
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        int written = snprintf(providers + used, providers_len - used, "%s%s", i ? "," : "", list[i]);
        if (written < 0 || (size_t)written >= providers_len - used) break;
        used += (size_t)written;
    }
    status = api->ReleaseAvailableProviders(list, count);
    if (status != NULL) api->ReleaseStatus(status);
    dlclose(handle);
    return 1;
}

unsigned int vma_ort_api_version(void) { return ORT_API_VERSION; }

