#include "vma_ort.h"
#include <dlfcn.h>
#include <stdio.h>

static const OrtApiBase *loaded_base = NULL;

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
        snprintf(error, error_len, "%s (version %s) does not provide ONNX Runtime API version %d",
                 path, base ? base->GetVersionString() : "unknown", ORT_API_VERSION);
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
        snprintf(error, error_len, "%s does not provide ONNX Runtime API version %d", path, ORT_API_VERSION);
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

const char *vma_ort_library_version(void) {
    return loaded_base ? loaded_base->GetVersionString() : NULL;
}
