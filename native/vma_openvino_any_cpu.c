/*
 * An ONNX Runtime plugin library that forwards to the OpenVINO execution provider plugin
 * (libonnxruntime_providers_openvino_plugin.so, loaded from this library's own folder) and shows it
 * the host's CPU as an Intel one.
 *
 * Why: the plugin's factory offers a device only when ONNX Runtime reports the hardware's PCI
 * vendor id as Intel's (0x8086), though OpenVINO's CPU plugin itself runs on any x86-64 CPU with
 * SSE4.2 (AMD included, where bench/providers.py measured it). The OpenVINO plugin receives an API
 * table equal to ONNX Runtime's except that HardwareDevice_VendorId answers 0x8086 for CPU devices;
 * GPUs and NPUs keep their own ids. Nothing else changes: ONNX Runtime calls the plugin's own
 * factories. The server registers this library only when the plugin offered nothing on a CPU of
 * another vendor, and its `auto` provider still decides per graph by measurement.
 *
 * Built by scripts/fetch-openvino-ep.sh against ONNX Runtime's headers (not committed).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "onnxruntime_c_api.h"

#define INTEL_VENDOR_ID 0x8086u
#define PLUGIN_NAME "libonnxruntime_providers_openvino_plugin.so"

static void *plugin;
static CreateEpApiFactoriesFn plugin_create;
static ReleaseEpApiFactoryFn plugin_release;
static const OrtApiBase *host_base;
static const OrtApi *host_api;
/* ONNX Runtime's table grows with each version and may be longer than the header this library is
 * built with knows (the plugin asks for a newer version than the header's), so the copy is sized
 * for the longest table expected and filled from the runtime's own, up to the end of the loaded
 * segment that holds it. */
#define TABLE_SLOTS 2048
static union {
    OrtApi api;
    void (*slots[TABLE_SLOTS])(void);
} shown;
static OrtApiBase shown_base;

static uint32_t ORT_API_CALL vendor_id(const OrtHardwareDevice *device) {
    if (host_api->HardwareDevice_Type(device) == OrtHardwareDeviceType_CPU) return INTEL_VENDOR_ID;
    return host_api->HardwareDevice_VendorId(device);
}

static const OrtApi *ORT_API_CALL get_api(uint32_t version) NO_EXCEPTION {
    /* The table is the same for every version ONNX Runtime supports; refuse what it refuses. */
    return host_base->GetApi(version) ? &shown.api : NULL;
}

static const char *ORT_API_CALL version_string(void) NO_EXCEPTION { return host_base->GetVersionString(); }

struct segment_query { uintptr_t address, end; };

static int find_segment(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct segment_query *query = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[i];
        if (header->p_type != PT_LOAD) continue;
        uintptr_t start = info->dlpi_addr + header->p_vaddr;
        if (query->address >= start && query->address < start + header->p_memsz) {
            query->end = start + header->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* Copies the runtime's table into `shown`: as much of it as lies in its loaded segment. */
static void copy_table(const OrtApi *api) {
    struct segment_query query = {(uintptr_t)api, 0};
    size_t bytes = sizeof shown;
    if (dl_iterate_phdr(find_segment, &query) && query.end - query.address < bytes) bytes = query.end - query.address;
    if (bytes < sizeof(OrtApi)) bytes = sizeof(OrtApi);
    memcpy(&shown, api, bytes);
}

/* Opens the real plugin, found beside this library. Returns NULL or a message. */
static const char *open_plugin(void) {
    if (plugin) return NULL;
    Dl_info self;
    char path[PATH_MAX];
    if (!dladdr((void *)&open_plugin, &self) || !self.dli_fname) return "cannot locate the forwarding library";
    const char *slash = strrchr(self.dli_fname, '/');
    int folder = slash ? (int)(slash - self.dli_fname) : 1;
    if (snprintf(path, sizeof path, "%.*s/%s", folder, slash ? self.dli_fname : ".", PLUGIN_NAME) >= (int)sizeof path)
        return "plugin path too long";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return dlerror();
    plugin_create = (CreateEpApiFactoriesFn)dlsym(handle, "CreateEpFactories");
    plugin_release = (ReleaseEpApiFactoryFn)dlsym(handle, "ReleaseEpFactory");
    if (!plugin_create || !plugin_release) {
        dlclose(handle);
        return "the OpenVINO plugin lacks CreateEpFactories/ReleaseEpFactory";
    }
    plugin = handle;
    return NULL;
}

OrtStatus *CreateEpFactories(const char *registered_name, const OrtApiBase *ort_api_base, const OrtLogger *logger,
                             OrtEpFactory **factories, size_t max_factories, size_t *num_factories) {
    const OrtApi *api = ort_api_base->GetApi(ORT_API_VERSION);
    if (!api) return NULL;
    const char *failure = open_plugin();
    if (failure) return api->CreateStatus(ORT_FAIL, failure);
    host_base = ort_api_base;
    host_api = api;
    copy_table(api);
    shown.api.HardwareDevice_VendorId = vendor_id;
    shown_base.GetApi = get_api;
    shown_base.GetVersionString = version_string;
    return plugin_create(registered_name, &shown_base, logger, factories, max_factories, num_factories);
}

OrtStatus *ReleaseEpFactory(OrtEpFactory *factory) { return plugin_release(factory); }

__attribute__((destructor)) static void close_plugin(void) {
    if (plugin) dlclose(plugin);
}
