internal import CONNXRuntime
import Foundation
import Synchronization
import VisionCore

/// ONNX Runtime, loaded at run time with dlopen. The only Swift file that touches the ORT C API.
///
/// At startup the library is only probed (version, execution providers) and closed again; it is
/// opened for good on the first session, so an idle server does not carry its ~15 MB.
///
/// `@unchecked Sendable`: the stored properties are immutable except `loaded`, which a Mutex guards.
public final class ONNXRuntime: InferenceRuntime, @unchecked Sendable {
    /// The library file that was probed (and is loaded on first use).
    public let libraryPath: String
    public let version: String
    public let availableDevices: [ComputeDevice]
    /// Execution providers compiled into the library, e.g. `CPUExecutionProvider`.
    public let providers: [String]
    /// The OpenVINO execution provider plugin library, when installed.
    public let openVINOPlugin: String?
    /// Whether OpenVINO may run on a CPU of another vendor than Intel, through the forwarding
    /// library `scripts/fetch-openvino-ep.sh` builds beside the plugin (`OPENVINO_ANY_CPU`).
    public let openVINOOnAnyCPU: Bool
    private let loaded = Mutex<LoadedRuntime?>(nil)

    static let openVINOMissing = "not installed (scripts/setup.sh fetches it into .deps/openvino-ep; or set OPENVINO_EP_PATH)"

    /// Where the OpenVINO plugin is looked for: `OPENVINO_EP_PATH` (the library or its folder),
    /// `openvino-ep/` next to the executable, then the project's setup folder.
    public static func openVINOPluginPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let file = "libonnxruntime_providers_openvino_plugin.so"
        var candidates: [String] = []
        if let explicit = environment["OPENVINO_EP_PATH"], !explicit.isEmpty {
            candidates = [explicit.hasSuffix(".so") ? explicit : explicit + "/" + file]
        } else {
            let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            candidates.append(executable.deletingLastPathComponent().path + "/openvino-ep/" + file)
            let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            candidates.append(project.path + "/.deps/openvino-ep/" + file)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The forwarding library built beside the plugin (native/vma_openvino_any_cpu.c): it shows
    /// the OpenVINO plugin the host's CPU as Intel's, whose vendor check would otherwise leave
    /// OpenVINO's CPU plugin unused on AMD and other x86-64 CPUs it runs on.
    static let anyCPUForwarder = "libvma_openvino_any_cpu.so"

    /// Each CPU provider and its state: OpenVINO's is known once the library is opened (with the
    /// first model); before that, whether the plugin is installed.
    public var providerAvailability: [(provider: ExecutionProvider, status: String)] {
        let openVINO = loaded.withLock { $0?.openVINO.status }
            ?? (openVINOPlugin.map { "installed at \($0); loads with the first model" } ?? Self.openVINOMissing)
        return [(.cpu, "available"), (.openvino, openVINO)]
    }

    /// The C API version this build was compiled against (the header's `ORT_API_VERSION`): the
    /// server asks the library for it, so the library must be ONNX Runtime 1.<this> or newer.
    public static var compiledAPIVersion: Int { Int(vma_ort_api_version()) }

    /// Where the library is looked for, in order: `ORT_DYLIB_PATH`, next to the executable, the
    /// project's setup folder (`.deps/onnxruntime/lib`), then the system search path.
    public static func candidatePaths(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var paths: [String] = []
        if let explicit = environment["ORT_DYLIB_PATH"], !explicit.isEmpty { return [explicit] }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        let exeDir = executable.deletingLastPathComponent().path
        paths.append(exeDir + "/libonnxruntime.so")
        // This source file lives at <project>/Sources/ONNXRuntimeAdapter/; setup puts the library
        // under <project>/.deps, so a binary built from a checkout finds it with no environment.
        let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        paths.append(project.path + "/.deps/onnxruntime/lib/libonnxruntime.so")
        paths.append("libonnxruntime.so")
        return paths
    }

    /// Probes the first library found among `candidatePaths`.
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment,
                            openVINOOnAnyCPU: Bool = true) throws {
        let candidates = Self.candidatePaths(environment: environment)
        var failures: [String] = []
        for path in candidates {
            let isBareName = !path.contains("/")
            if !isBareName && !FileManager.default.fileExists(atPath: path) {
                failures.append("\(path): not found")
                continue
            }
            do {
                try self.init(libraryPath: path, openVINOPlugin: Self.openVINOPluginPath(environment: environment),
                              openVINOOnAnyCPU: openVINOOnAnyCPU)
                return
            } catch {
                failures.append("\(path): \(error)")
                if environment["ORT_DYLIB_PATH"] != nil { break }
            }
        }
        throw VisionError.runtimeFailure(
            "could not load ONNX Runtime (run scripts/setup.sh or set ORT_DYLIB_PATH): " + failures.joined(separator: "; "))
    }

    /// Probes the library at `libraryPath`: it must open and offer this build's API version.
    public init(libraryPath: String, openVINOPlugin: String? = ONNXRuntime.openVINOPluginPath(),
                openVINOOnAnyCPU: Bool = true) throws {
        var version = [CChar](repeating: 0, count: 64)
        var providers = [CChar](repeating: 0, count: 1024)
        var message = [CChar](repeating: 0, count: 1024)
        guard vma_ort_probe(libraryPath, &version, version.count, &providers, providers.count, &message, message.count) == 1 else {
            throw VisionError.runtimeFailure(Self.string(message))
        }
        self.libraryPath = libraryPath
        self.openVINOPlugin = openVINOPlugin
        self.openVINOOnAnyCPU = openVINOOnAnyCPU
        self.version = Self.string(version)
        let names = Self.string(providers).split(separator: ",").map(String.init)
        self.providers = names
        availableDevices = names.contains("CUDAExecutionProvider") ? [.cpu, .cuda] : [.cpu]
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The opened library, opening it on first use.
    func runtime() throws -> LoadedRuntime {
        try loaded.withLock { current in
            if let current { return current }
            let runtime = try LoadedRuntime(libraryPath: libraryPath, openVINOPlugin: openVINOPlugin,
                                        openVINOOnAnyCPU: openVINOOnAnyCPU)
            current = runtime
            return runtime
        }
    }

    /// Turns an `OrtStatus` into a Swift error carrying ORT's own message.
    static func check(_ api: UnsafePointer<OrtApi>, _ status: OpaquePointer?) throws {
        guard let status else { return }
        let message = api.pointee.GetErrorMessage(status).map { String(cString: $0) } ?? "unknown error"
        api.pointee.ReleaseStatus(status)
        throw VisionError.runtimeFailure("ONNX Runtime: \(message)")
    }

    /// `check` for making a session from a graph file: a graph this runtime cannot run (an
    /// operator it does not implement, an invalid or unreadable graph) is the model's fault, a 422
    /// naming the file and the operator; ONNX Runtime's own text goes to the log only (through
    /// the 500 path) when the failure is anything else.
    static func checkGraph(_ api: UnsafePointer<OrtApi>, _ status: OpaquePointer?, path: String) throws {
        guard let status else { return }
        let code = api.pointee.GetErrorCode(status)
        let message = api.pointee.GetErrorMessage(status).map { String(cString: $0) } ?? "unknown error"
        api.pointee.ReleaseStatus(status)
        let file = path.split(separator: "/").suffix(2).joined(separator: "/")
        switch code {
        case ORT_NOT_IMPLEMENTED:
            let op = GraphFailure.unimplementedOperator(in: message)
            throw VisionError.unsupportedModel("the graph \(file) uses an operator this ONNX Runtime does not implement on "
                                               + "this device" + (op.map { ": \($0)" } ?? "")
                                               + "; another variant (or the full-precision graph) may run")
        case ORT_INVALID_GRAPH, ORT_INVALID_PROTOBUF, ORT_NO_MODEL, ORT_NO_SUCHFILE:
            throw VisionError.unsupportedModel("the graph \(file) is not a valid ONNX model this ONNX Runtime can load "
                                               + "(the server log has the runtime's reason)")
        default:
            throw VisionError.runtimeFailure("ONNX Runtime: \(message)")
        }
    }

    public func makeSession(modelPath: String, options: SessionOptions) throws -> any InferenceSession {
        try makeSession(modelPath: modelPath, options: options, weights: [:])
    }

    /// The initializers named in `weights` are ORT's external initializers over those buffers
    /// (`AddExternalInitializers`: no copy, the graph's own copies of them never read); the
    /// session keeps the tensors and the buffers' owners until it is released.
    ///
    /// CPU sessions go on the provider `options.provider` asks for: ONNX Runtime's CPU kernels,
    /// OpenVINO's (falling back to the CPU provider, with the reason in the session's placement,
    /// when OpenVINO is not installed, offers no device here or refuses the graph), or `auto`: a
    /// session on each, the faster kept after the first runs (`TrialSession`).
    public func makeSession(modelPath: String, options: SessionOptions, weights: [String: WeightBuffer]) throws
        -> any InferenceSession {
        if options.device == .cuda && !availableDevices.contains(.cuda) {
            throw VisionError.deviceUnavailable(
                "device 'cuda' was requested, but the loaded ONNX Runtime library (\(version)) has no CUDA "
                + "execution provider (it offers: \(providers.joined(separator: ", "))). Point ORT_DYLIB_PATH at a "
                + "CUDA-enabled libonnxruntime.so (from the onnxruntime-gpu wheel) or use device 'cpu'.")
        }
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw VisionError.modelNotFound("model file not found: \(modelPath)")
        }
        let rt = try runtime()
        guard options.device == .cpu, options.provider != .cpu else {
            let why = options.device == .cuda ? "device cuda" : "EXECUTION_PROVIDER=cpu"
            return try session(rt, modelPath, options, weights, on: nil, placement: ProviderPlacement(provider: .cpu, reason: why))
        }
        guard let openVINO = rt.openVINO.device else {
            let why = (options.provider == .auto ? "auto: " : "") + "OpenVINO unavailable: " + rt.openVINO.status
            return try session(rt, modelPath, options, weights, on: nil, placement: ProviderPlacement(provider: .cpu, reason: why))
        }
        let onOpenVINO: any InferenceSession
        do {
            let primary = try session(rt, modelPath, options, weights, on: openVINO,
                                      placement: ProviderPlacement(provider: .openvino, reason: "EXECUTION_PROVIDER=openvino"))
            onOpenVINO = EmptyInputFallbackSession(primary: primary) { [self] in
                try session(rt, modelPath, options, weights, on: nil,
                            placement: ProviderPlacement(provider: .cpu, reason: "an empty input, which OpenVINO mishandles"))
            }
        } catch {
            let why = "OpenVINO could not take this graph (\(GraphFailure.summary(of: error))): ONNX Runtime's CPU provider runs it"
            return try session(rt, modelPath, options, weights, on: nil, placement: ProviderPlacement(provider: .cpu, reason: why))
        }
        // Under `openvino` too, OpenVINO's first answers are checked against the CPU provider's (it
        // answered Depth Anything 3's graph wrongly and SAM 2's decoder with stale masks); the CPU
        // session is released once they agree.
        let onCPU = try session(rt, modelPath, options, weights, on: nil,
                                placement: ProviderPlacement(provider: .cpu, reason: options.provider == .auto ? "auto" : "checking"))
        return TrialSession(sessions: [(.cpu, onCPU), (.openvino, onOpenVINO)],
                            preferred: options.provider == .openvino ? .openvino : nil)
    }

    /// One ORT session over the graph, on OpenVINO's device when given, else the CPU provider.
    private func session(_ rt: LoadedRuntime, _ modelPath: String, _ options: SessionOptions, _ weights: [String: WeightBuffer],
                         on openVINO: OpaquePointer?, placement: ProviderPlacement) throws -> ONNXSession {
        let api = rt.api
        var sessionOptions: OpaquePointer?
        try Self.check(api, api.pointee.CreateSessionOptions(&sessionOptions))
        defer { api.pointee.ReleaseSessionOptions(sessionOptions) }
        // Unset, ONNX Runtime picks its own default (one thread per physical core).
        if let threads = options.intraOpThreads {
            try Self.check(api, api.pointee.SetIntraOpNumThreads(sessionOptions, Int32(threads)))
        }
        try Self.check(api, api.pointee.SetSessionGraphOptimizationLevel(sessionOptions, ORT_ENABLE_ALL))
        if !options.cpuMemoryArena {
            try Self.check(api, api.pointee.DisableCpuMemArena(sessionOptions))
        }
        if !options.memoryPattern {
            try Self.check(api, api.pointee.DisableMemPattern(sessionOptions))
        }
        // Idle intra-op threads sleep instead of spinning: the spin would take the cores that image
        // decoding, preprocessing and HTTP need between runs.
        try Self.check(api, api.pointee.AddSessionConfigEntry(sessionOptions, "session.intra_op.allow_spinning",
                                                              options.allowSpinning ? "1" : "0"))
        if options.device == .cuda {
            // The CUDA provider's defaults: device 0 (CUDA_VISIBLE_DEVICES picks the card).
            var cuda: OpaquePointer?
            try Self.check(api, api.pointee.CreateCUDAProviderOptions(&cuda))
            defer { api.pointee.ReleaseCUDAProviderOptions(cuda) }
            try Self.check(api, api.pointee.SessionOptionsAppendExecutionProvider_CUDA_V2(sessionOptions, cuda))
        }
        if let openVINO {
            let keys = ["load_config"], values = [OpenVINOLoadConfig.json(for: options)]
            let k = keys.map { strdup($0) }, v = values.map { strdup($0) }
            defer { (k + v).forEach { free($0) } }
            var keyPointers = k.map { UnsafePointer<CChar>($0) }, valuePointers = v.map { UnsafePointer<CChar>($0) }
            var devices: [OpaquePointer?] = [openVINO]
            try Self.check(api, api.pointee.SessionOptionsAppendExecutionProvider_V2(
                sessionOptions, rt.env, &devices, 1, &keyPointers, &valuePointers, keys.count))
        }
        let bound = try BoundWeights(rt, weights)
        if !weights.isEmpty {
            let names = bound.names.map { strdup($0) }
            defer { names.forEach { free($0) } }
            var namePointers = names.map { UnsafePointer<CChar>($0) }
            var values = bound.values.map { Optional($0) }
            try Self.check(api, api.pointee.AddExternalInitializers(sessionOptions, &namePointers, &values, bound.values.count))
        }
        var session: OpaquePointer?
        try Self.checkGraph(api, api.pointee.CreateSession(rt.env, modelPath, sessionOptions, &session), path: modelPath)
        // The runtime has made its packed and folded copies; the pages it still reads come back
        // from the file on demand.
        bound.dropMappedPages()
        return try ONNXSession(runtime: rt, session: session!, device: options.device, placement: placement, weights: bound)
    }
}

/// The opened library: its API table, environment and default allocator, released in `deinit`
/// (after every session, which each hold a reference).
///
/// `@unchecked Sendable`: immutable after `init`; `OrtApi` is an immutable function table and
/// `OrtEnv` is documented as safe to share between threads.
final class LoadedRuntime: @unchecked Sendable {
    let api: UnsafePointer<OrtApi>
    let env: OpaquePointer
    let allocator: UnsafeMutablePointer<OrtAllocator>
    /// Describes plain CPU memory, for tensors over Swift-owned buffers.
    let memoryInfo: OpaquePointer
    /// The OpenVINO plugin's CPU device (owned by the environment), or why there is none.
    let openVINO: (device: OpaquePointer?, status: String)

    init(libraryPath: String, openVINOPlugin: String?, openVINOOnAnyCPU: Bool) throws {
        var message = [CChar](repeating: 0, count: 1024)
        guard let api = vma_ort_load(libraryPath, &message, message.count) else {
            let bytes = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            throw VisionError.runtimeFailure(String(decoding: bytes, as: UTF8.self))
        }
        self.api = api
        var env: OpaquePointer?
        try ONNXRuntime.check(api, api.pointee.CreateEnv(ORT_LOGGING_LEVEL_ERROR, "vision-models-api", &env))
        self.env = env!
        var allocator: UnsafeMutablePointer<OrtAllocator>?
        try ONNXRuntime.check(api, api.pointee.GetAllocatorWithDefaultOptions(&allocator))
        self.allocator = allocator!
        var memoryInfo: OpaquePointer?
        try ONNXRuntime.check(api, api.pointee.CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &memoryInfo))
        self.memoryInfo = memoryInfo!
        openVINO = Self.registerOpenVINO(api, env!, plugin: openVINOPlugin, anyCPU: openVINOOnAnyCPU)
    }

    /// Registers the OpenVINO plugin library with the environment and finds its CPU device
    /// (`RegisterExecutionProviderLibrary`, `GetEpDevices`). The plugin offers devices of Intel
    /// hardware only, so on another vendor's CPU, when `anyCPU` allows and the forwarding library is
    /// installed beside the plugin, that library is registered instead (OpenVINO's CPU plugin runs
    /// on any x86-64 CPU); otherwise the status says why there is no device. The choice is made
    /// before either is loaded: the plugin keeps the API table of its first registration for the
    /// life of the process.
    private static func registerOpenVINO(_ api: UnsafePointer<OrtApi>, _ env: OpaquePointer, plugin: String?, anyCPU: Bool)
        -> (device: OpaquePointer?, status: String) {
        guard let plugin else { return (nil, ONNXRuntime.openVINOMissing) }
        let cpu = hostCPU(api, env)
        let intel = cpu.vendorID == intelVendorID
        let available = "available (CPU, \(cpu.vendor)"
            + (intel ? ")" : ", through \(ONNXRuntime.anyCPUForwarder): the plugin's Intel-only check bypassed)")
        // ONNX Runtime's environment is one per process: a second runtime object (tests make
        // several) finds the library already registered and its device listed.
        if let device = openVINODevice(api, env) { return (device, available) }
        guard !intel else {
            let direct = registerLibrary(api, env, plugin)
            if let device = direct.device { return (device, available) }
            return (nil, direct.failure ?? "the plugin offers no device on this CPU (\(cpu.vendor))")
        }
        let forwarder = URL(fileURLWithPath: plugin).deletingLastPathComponent().appendingPathComponent(ONNXRuntime.anyCPUForwarder).path
        guard anyCPU, FileManager.default.fileExists(atPath: forwarder) else {
            let why = anyCPU ? "\(ONNXRuntime.anyCPUForwarder) is not installed beside it" : "OPENVINO_ANY_CPU=false"
            return (nil, "the plugin offers no device on this CPU (\(cpu.vendor)): it serves Intel hardware only, and \(why)")
        }
        let forwarded = registerLibrary(api, env, forwarder)
        if let device = forwarded.device { return (device, available) }
        return (nil, forwarded.failure ?? "the plugin offers no device on this CPU (\(cpu.vendor)), even through \(ONNXRuntime.anyCPUForwarder)")
    }

    /// Intel's PCI vendor id: the devices the OpenVINO plugin offers by itself.
    private static let intelVendorID: UInt32 = 0x8086

    /// The environment's execution-provider devices with their hardware (empty if it lists none).
    private static func epDevices(_ api: UnsafePointer<OrtApi>, _ env: OpaquePointer)
        -> [(device: OpaquePointer, hardware: OpaquePointer)] {
        var devices: UnsafePointer<OpaquePointer?>?
        var count = 0
        if let status = api.pointee.GetEpDevices(env, &devices, &count) {
            api.pointee.ReleaseStatus(status)
            return []
        }
        return (0..<count).compactMap { i in
            guard let device = devices?[i], let hardware = api.pointee.EpDevice_Device(device) else { return nil }
            return (device, hardware)
        }
    }

    /// The OpenVINO provider's CPU device among the environment's, if a plugin offered one.
    private static func openVINODevice(_ api: UnsafePointer<OrtApi>, _ env: OpaquePointer) -> OpaquePointer? {
        epDevices(api, env).first { entry in
            api.pointee.HardwareDevice_Type(entry.hardware) == OrtHardwareDeviceType_CPU
                && api.pointee.EpDevice_EpName(entry.device).map { String(cString: $0) } == "OpenVINOExecutionProvider"
        }?.device
    }

    /// The CPU's vendor as ONNX Runtime sees it (its CPU provider's device), before any plugin.
    private static func hostCPU(_ api: UnsafePointer<OrtApi>, _ env: OpaquePointer) -> (vendor: String, vendorID: UInt32) {
        guard let cpu = epDevices(api, env).first(where: { api.pointee.HardwareDevice_Type($0.hardware) == OrtHardwareDeviceType_CPU })
        else { return ("unknown", 0) }
        let vendor = api.pointee.HardwareDevice_Vendor(cpu.hardware).map { String(cString: $0) } ?? "unknown"
        return (vendor, api.pointee.HardwareDevice_VendorId(cpu.hardware))
    }

    /// Registers one plugin library and returns its OpenVINO CPU device; without one the library
    /// is unregistered again.
    private static func registerLibrary(_ api: UnsafePointer<OrtApi>, _ env: OpaquePointer, _ path: String)
        -> (device: OpaquePointer?, failure: String?) {
        if let status = api.pointee.RegisterExecutionProviderLibrary(env, "OpenVINO", path) {
            let message = api.pointee.GetErrorMessage(status).map { String(cString: $0) } ?? "unknown error"
            api.pointee.ReleaseStatus(status)
            // The loader's own reason (a missing library, a wrong architecture): an operator's diagnosis.
            return (nil, "the plugin at \(path) did not load: \(message.split(separator: "\n").first ?? "")")
        }
        if let device = openVINODevice(api, env) { return (device, nil) }
        if let status = api.pointee.UnregisterExecutionProviderLibrary(env, "OpenVINO") { api.pointee.ReleaseStatus(status) }
        return (nil, nil)
    }

    deinit {
        api.pointee.ReleaseMemoryInfo(memoryInfo)
        api.pointee.ReleaseEnv(env)
    }
}

/// Float32 tensors over weight buffers (no copy), handed to a session as external initializers;
/// released after the session that uses them.
final class BoundWeights {
    let names: [String]
    let values: [OpaquePointer]
    private let owners: [AnyObject]
    private let runtime: LoadedRuntime

    init(_ runtime: LoadedRuntime, _ weights: [String: WeightBuffer]) throws {
        self.runtime = runtime
        let api = runtime.api
        var names: [String] = [], values: [OpaquePointer] = [], owners: [AnyObject] = []
        do {
            for (name, weight) in weights.sorted(by: { $0.key < $1.key }) {
                guard weight.bytes.count == 4 * weight.shape.reduce(1, *), let base = weight.bytes.baseAddress else {
                    throw VisionError.invalidInput("weight '\(name.prefix(120))' has \(weight.bytes.count) bytes for shape \(weight.shape)")
                }
                var shape = weight.shape.map { Int64($0) }
                var value: OpaquePointer?
                // ORT takes `void *`; it does not write to initializers (and the pages are private).
                try ONNXRuntime.check(api, api.pointee.CreateTensorWithDataAsOrtValue(
                    runtime.memoryInfo, UnsafeMutableRawPointer(mutating: base), weight.bytes.count, &shape, shape.count,
                    ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &value))
                names.append(name)
                values.append(value!)
                owners.append(weight.owner)
            }
        } catch {
            values.forEach { api.pointee.ReleaseValue($0) }
            throw error
        }
        self.names = names
        self.values = values
        self.owners = owners
    }

    deinit {
        values.forEach { runtime.api.pointee.ReleaseValue($0) }
    }

    /// Drops the resident pages of the mapped files the weights point into.
    func dropMappedPages() {
        var seen = Set<ObjectIdentifier>()
        for case let file as MappedFile in owners where seen.insert(ObjectIdentifier(file)).inserted {
            file.dropResidentPages()
        }
    }
}

/// One ONNX Runtime session.
///
/// `@unchecked Sendable`: ORT documents `OrtSession::Run` as safe to call concurrently; the Swift
/// fields are immutable after `init` or behind a lock / atomic.
final class ONNXSession: InferenceSession, @unchecked Sendable {
    private let runtime: LoadedRuntime
    private let session: OpaquePointer
    let inputs: [TensorInfo]
    let outputs: [TensorInfo]
    let device: ComputeDevice
    let placement: ProviderPlacement
    private let shapeMemo = Mutex(OutputShapeMemo())
    private let boundRuns = Atomic<Int>(0)

    /// Weights bound at creation, kept for the session's life.
    private let weights: BoundWeights?

    init(runtime: LoadedRuntime, session: OpaquePointer, device: ComputeDevice, placement: ProviderPlacement,
         weights: BoundWeights? = nil) throws {
        self.runtime = runtime
        self.session = session
        self.device = device
        self.placement = placement
        self.weights = weights
        do {
            inputs = try Self.describe(runtime, session, input: true)
            outputs = try Self.describe(runtime, session, input: false)
        } catch {
            runtime.api.pointee.ReleaseSession(session)
            throw error
        }
    }

    deinit {
        runtime.api.pointee.ReleaseSession(session)
    }

    private static func describe(_ rt: LoadedRuntime, _ session: OpaquePointer, input: Bool) throws -> [TensorInfo] {
        let api = rt.api
        var count = 0
        try ONNXRuntime.check(api, input ? api.pointee.SessionGetInputCount(session, &count)
                                         : api.pointee.SessionGetOutputCount(session, &count))
        var result: [TensorInfo] = []
        for i in 0..<count {
            var namePtr: UnsafeMutablePointer<CChar>?
            try ONNXRuntime.check(api, input ? api.pointee.SessionGetInputName(session, i, rt.allocator, &namePtr)
                                             : api.pointee.SessionGetOutputName(session, i, rt.allocator, &namePtr))
            let name = String(cString: namePtr!)
            _ = api.pointee.AllocatorFree(rt.allocator, namePtr)
            var typeInfo: OpaquePointer?
            try ONNXRuntime.check(api, input ? api.pointee.SessionGetInputTypeInfo(session, i, &typeInfo)
                                             : api.pointee.SessionGetOutputTypeInfo(session, i, &typeInfo))
            defer { api.pointee.ReleaseTypeInfo(typeInfo) }
            var tensorInfo: OpaquePointer?
            try ONNXRuntime.check(api, api.pointee.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo))
            guard let tensorInfo else {
                result.append(TensorInfo(name: name, elementType: .other, shape: []))
                continue
            }
            let (type, shape) = try shapeAndType(api, tensorInfo)
            result.append(TensorInfo(name: name, elementType: type, shape: shape))
        }
        return result
    }

    private static func shapeAndType(_ api: UnsafePointer<OrtApi>, _ info: OpaquePointer) throws -> (TensorElementType, [Int]) {
        var elementType = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
        try ONNXRuntime.check(api, api.pointee.GetTensorElementType(info, &elementType))
        var rank = 0
        try ONNXRuntime.check(api, api.pointee.GetDimensionsCount(info, &rank))
        var dims = [Int64](repeating: 0, count: rank)
        try ONNXRuntime.check(api, api.pointee.GetDimensions(info, &dims, rank))
        return (elementTypeFrom(elementType), dims.map { Int($0) })
    }

    private static func elementTypeFrom(_ t: ONNXTensorElementDataType) -> TensorElementType {
        switch t {
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT: .float32
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: .float16
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64: .int64
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32: .int32
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL: .bool
        case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8: .uint8
        default: .other
        }
    }

    private static func onnxType(_ type: TensorElementType) -> ONNXTensorElementDataType {
        switch type {
        case .float32: ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT
        case .float16: ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16
        case .int64: ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64
        case .int32: ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32
        case .bool: ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL
        case .uint8: ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8
        case .other: ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED
        }
    }

    /// Calls `body` with the tensor's bytes in place (no copy; bools as one 0/1 byte each, which
    /// is ONNX's layout and Swift's).
    private static func withBytes<R>(_ tensor: Tensor, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch tensor.storage {
        case .float32(let v): try v.withUnsafeBytes(body)
        case .float16(let v): try v.withUnsafeBytes(body)
        case .int64(let v): try v.withUnsafeBytes(body)
        case .int32(let v): try v.withUnsafeBytes(body)
        case .bool(let v): try v.withUnsafeBytes(body)
        }
    }

    /// An OrtValue over `bytes` without copying them: valid only while `bytes` is.
    private func borrowValue(_ tensor: Tensor, bytes: UnsafeRawBufferPointer) throws -> OpaquePointer {
        let api = runtime.api
        let shape = tensor.shape.map { Int64($0) }
        // ORT wants a non-null pointer even for an empty tensor.
        var placeholder: UInt8 = 0
        var value: OpaquePointer?
        try withUnsafeMutablePointer(to: &placeholder) { fallback in
            let data = UnsafeMutableRawPointer(mutating: bytes.baseAddress) ?? UnsafeMutableRawPointer(fallback)
            try ONNXRuntime.check(api, api.pointee.CreateTensorWithDataAsOrtValue(
                runtime.memoryInfo, data, bytes.count, shape, shape.count, Self.onnxType(tensor.elementType), &value))
        }
        return value!
    }

    /// Borrows every feed's storage (nested, so each stays valid) and then calls `body` with the
    /// values, released before returning.
    private func withBorrowedValues<R>(_ tensors: ArraySlice<Tensor>, _ values: [OpaquePointer?],
                                       _ body: ([OpaquePointer?]) throws -> R) throws -> R {
        guard let tensor = tensors.first else { return try body(values) }
        return try Self.withBytes(tensor) { bytes in
            let value = try borrowValue(tensor, bytes: bytes)
            defer { runtime.api.pointee.ReleaseValue(value) }
            return try withBorrowedValues(tensors.dropFirst(), values + [value], body)
        }
    }

    private func readValue(_ value: OpaquePointer, name: String) throws -> Tensor {
        let api = runtime.api
        var info: OpaquePointer?
        try ONNXRuntime.check(api, api.pointee.GetTensorTypeAndShape(value, &info))
        defer { api.pointee.ReleaseTensorTypeAndShapeInfo(info) }
        let (type, shape) = try Self.shapeAndType(api, info!)
        let count = shape.reduce(1, *)
        var raw: UnsafeMutableRawPointer?
        try ONNXRuntime.check(api, api.pointee.GetTensorMutableData(value, &raw))
        guard let raw else { return Tensor(shape: shape, storage: .float32([])) }
        switch type {
        case .float32:
            return Tensor(shape: shape, storage: .float32(Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Float.self), count: count))))
        case .float16:
            return Tensor(shape: shape, storage: .float16(Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt16.self), count: count))))
        case .int64:
            return Tensor(shape: shape, storage: .int64(Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int64.self), count: count))))
        case .bool, .uint8:
            let bytes = UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: count)
            return Tensor(shape: shape, storage: .bool(bytes.map { $0 != 0 }))
        case .int32:
            let v = UnsafeBufferPointer(start: raw.assumingMemoryBound(to: Int32.self), count: count)
            return Tensor(shape: shape, storage: .int64(v.map { Int64($0) }))
        case .other:
            throw VisionError.runtimeFailure("output '\(name)' has an element type this server does not read")
        }
    }

    func run(_ feeds: [String: Tensor], outputNames: [String]) throws -> [String: Tensor] {
        for info in inputs where feeds[info.name] == nil {
            throw VisionError.internalError("missing input '\(info.name)' for the model")
        }
        let names = inputs.map(\.name).filter { feeds[$0] != nil }
        let wanted = outputNames.isEmpty ? outputs.map(\.name) : outputNames
        var tensors: [Tensor] = []
        for name in names {
            let tensor = feeds[name]!
            if let info = inputs.first(where: { $0.name == name }), info.elementType != tensor.elementType {
                throw VisionError.internalError(
                    "input '\(name)' expects \(info.elementType) but got \(tensor.elementType)")
            }
            tensors.append(tensor)
        }
        let signature = OutputShapeMemo.Signature(inputs: names, shapes: tensors.map(\.shape), outputs: wanted)
        if case .bind(let shapes) = shapeMemo.withLock({ $0.plan(for: signature) }),
           let types = bindableTypes(wanted, shapes) {
            do {
                let result = try runIntoArrays(names, tensors, wanted, types, shapes)
                boundRuns.add(1, ordering: .relaxed)
                return result
            } catch {
                // The shapes changed with the values (or the run failed): run again the plain way,
                // which reports the real error if there is one.
                shapeMemo.withLock { $0.markDynamic(signature) }
            }
        }
        let result = try runAllocating(names, tensors, wanted)
        if wanted.allSatisfy({ result[$0] != nil }) {
            shapeMemo.withLock { $0.record(signature, shapes: wanted.map { result[$0]!.shape }) }
        }
        return result
    }

    /// Runs whose outputs ONNX Runtime wrote straight into Swift arrays (for tests and metrics).
    var runsIntoArrays: Int { boundRuns.load(ordering: .relaxed) }

    /// The element types of `wanted` when every one can be written into a Swift array as is
    /// (float32, float16, int64, bool) and none is empty; else nil.
    private func bindableTypes(_ wanted: [String], _ shapes: [[Int]]) -> [TensorElementType]? {
        guard shapes.count == wanted.count, shapes.allSatisfy({ $0.reduce(1, *) > 0 }) else { return nil }
        var types: [TensorElementType] = []
        for name in wanted {
            guard let type = outputs.first(where: { $0.name == name })?.elementType,
                  [.float32, .float16, .int64, .bool].contains(type) else { return nil }
            types.append(type)
        }
        return types
    }

    /// Calls `body` with C strings for `names`, freed afterwards.
    private static func withCNames<R>(_ names: [String], _ body: (inout [UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        let owned = names.map { strdup($0) }
        defer { owned.forEach { free($0) } }
        var pointers = owned.map { UnsafePointer($0) }
        return try body(&pointers)
    }

    /// One run with the outputs allocated by ONNX Runtime and copied into Swift arrays.
    private func runAllocating(_ names: [String], _ tensors: [Tensor], _ wanted: [String]) throws -> [String: Tensor] {
        let api = runtime.api
        var outputValues = [OpaquePointer?](repeating: nil, count: wanted.count)
        defer { for v in outputValues where v != nil { api.pointee.ReleaseValue(v) } }
        try invoke(names, tensors, wanted, &outputValues)
        var result: [String: Tensor] = [:]
        for (i, name) in wanted.enumerated() {
            guard let value = outputValues[i] else { continue }
            result[name] = try readValue(value, name: name)
        }
        return result
    }

    /// One run with every output written by ONNX Runtime into a Swift array allocated beforehand
    /// with the shape the memo expects: the arrays become the result, with no copy.
    private func runIntoArrays(_ names: [String], _ tensors: [Tensor], _ wanted: [String],
                               _ types: [TensorElementType], _ shapes: [[Int]]) throws -> [String: Tensor] {
        let api = runtime.api
        let storages = try Self.withUninitializedArrays(Array(zip(types, shapes))[...], []) { buffers in
            var outputValues: [OpaquePointer?] = []
            defer { for v in outputValues { api.pointee.ReleaseValue(v) } }
            for (buffer, (type, shape)) in zip(buffers, zip(types, shapes)) {
                var value: OpaquePointer?
                let dims = shape.map { Int64($0) }
                try ONNXRuntime.check(api, api.pointee.CreateTensorWithDataAsOrtValue(
                    runtime.memoryInfo, buffer.baseAddress, buffer.count, dims, dims.count, Self.onnxType(type), &value))
                outputValues.append(value)
            }
            try invoke(names, tensors, wanted, &outputValues)
        }
        var result: [String: Tensor] = [:]
        for (name, (storage, shape)) in zip(wanted, zip(storages, shapes)) {
            result[name] = Tensor(shape: shape, storage: storage)
        }
        return result
    }

    /// `OrtSession::Run` with the feeds borrowed in place and `outputValues` either empty slots (ONNX
    /// Runtime allocates) or values over buffers to write into.
    private func invoke(_ names: [String], _ tensors: [Tensor], _ wanted: [String],
                        _ outputValues: inout [OpaquePointer?]) throws {
        let api = runtime.api
        try Self.withCNames(names) { inNames in
            try Self.withCNames(wanted) { outNames in
                // Inputs are handed to ONNX Runtime in place: the request's tensors are not copied again.
                try withBorrowedValues(tensors[...], []) { inputValues in
                    var inputValues = inputValues
                    try ONNXRuntime.check(api, api.pointee.Run(
                        session, nil, &inNames, &inputValues, names.count, &outNames, wanted.count, &outputValues))
                }
            }
        }
    }

    /// Allocates one uninitialised Swift array per (type, shape), nested so that all stay valid,
    /// and calls `body` with their bytes. `body` must fill every byte; the arrays are returned.
    private static func withUninitializedArrays(_ specs: ArraySlice<(TensorElementType, [Int])>,
                                                _ buffers: [UnsafeMutableRawBufferPointer],
                                                _ body: ([UnsafeMutableRawBufferPointer]) throws -> Void) throws -> [Tensor.Storage] {
        guard let (type, shape) = specs.first else {
            try body(buffers)
            return []
        }
        let count = shape.reduce(1, *)
        var rest: [Tensor.Storage] = []
        func fill<T>(_: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                rest = try withUninitializedArrays(specs.dropFirst(), buffers + [UnsafeMutableRawBufferPointer(buffer)], body)
                initialized = count
            }
        }
        let storage: Tensor.Storage = switch type {
        case .float32: .float32(try fill(Float.self))
        case .float16: .float16(try fill(UInt16.self))
        case .int64: .int64(try fill(Int64.self))
        case .bool: .bool(try fill(Bool.self))  // ONNX bools are one 0/1 byte, as Swift's
        default: throw VisionError.internalError("no Swift array for output type \(type)")
        }
        return [storage] + rest
    }
}
