import Foundation
import TestSupport
import Testing
import VisionCore
@testable import ONNXRuntimeAdapter

@Suite struct ONNXRuntimeTests {
    static let runtime = Result { try ONNXRuntime() }

    func path(_ relative: String) -> String { FixtureFiles.root.appendingPathComponent(relative).path }

    @Test func loadsLibraryAndReadsModelSignature() throws {
        let rt = try Self.runtime.get()
        #expect(rt.version.split(separator: ".").count == 3)
        #expect(rt.availableDevices.contains(.cpu))
        let session = try rt.makeSession(modelPath: path("codecs/types.onnx"), options: SessionOptions(intraOpThreads: 1))
        #expect(session.inputs.map(\.name) == ["f32", "f16", "i64", "flag"])
        #expect(session.inputs.map(\.elementType) == [.float32, .float16, .int64, .bool])
        #expect(session.inputs[0].shape == [-1, 3])
        #expect(session.outputs.map(\.name) == ["f32_squared", "f16_out", "i64_out", "flag_out"])
    }

    @Test func libraryIsAtLeastAsNewAsTheCompiledAPI() throws {
        let rt = try Self.runtime.get()
        let minor = Int(rt.version.split(separator: ".")[1]) ?? 0
        #expect(ONNXRuntime.compiledAPIVersion >= 23)
        #expect(minor >= ONNXRuntime.compiledAPIVersion, "library \(rt.version) is older than API \(ONNXRuntime.compiledAPIVersion)")
    }

    /// A graph file the runtime cannot load is the model's fault (422), named by its file; the
    /// runtime's own message is not in it.
    @Test func aGraphTheRuntimeCannotLoadIsAModelFault() throws {
        let rt = try Self.runtime.get()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bad-graph-\(UUID().uuidString)/onnx")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let file = folder.appendingPathComponent("model.onnx")
        try Data("not a protobuf at all".utf8).write(to: file)
        let error = try #require(#expect(throws: VisionError.self) {
            try rt.makeSession(modelPath: file.path, options: SessionOptions(intraOpThreads: 1))
        })
        #expect(error.category == .unprocessable && error.message.hasPrefix("the graph onnx/model.onnx is not a valid ONNX model"),
                "\(error.message)")
        #expect(error.publicMessage == error.message)
    }

    @Test func readsTheOperatorOfAnUnimplementedNode() {
        let message = "Could not find an implementation for MatMulNBits(1) node with name '/model/layers.0/MatMul_Q4'"
        #expect(GraphFailure.unimplementedOperator(in: message) == "MatMulNBits (opset 1)")
        #expect(GraphFailure.unimplementedOperator(in: "Load model failed") == nil)
    }

    @Test func refusesALibraryThatIsNotONNXRuntime() throws {
        let zlib = ["/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }
        let library = try #require(zlib, "no libz.so.1 to load")
        let error = #expect(throws: VisionError.self) { try ONNXRuntime(libraryPath: library) }
        #expect(String(describing: error).contains("OrtGetApiBase"))
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func everyMemorySettingGivesTheSameOutputs(arena: Bool, pattern: Bool) throws {
        let options = SessionOptions(intraOpThreads: 1, cpuMemoryArena: arena, memoryPattern: pattern)
        let session = try Self.runtime.get().makeSession(modelPath: path("codecs/types.onnx"), options: options)
        for rows in [2, 0, 3] {  // repeated and changing shapes, and an empty tensor
            let values = (0..<(rows * 3)).map { Float($0) - 1.5 }
            let out = try session.run([
                "f32": .float32(values, shape: [rows, 3]),
                "f16": Tensor(shape: [1], storage: .float16([Float16(2).bitPattern])),
                "i64": .int64([3], shape: [1]),
                "flag": .bool([true], shape: [1]),
            ], outputNames: ["f32_squared"])
            #expect(out["f32_squared"] == .float32(values.map { $0 * $0 }, shape: [rows, 3]))
        }
    }

    @Test func runsEveryElementType() throws {
        let session = try Self.runtime.get().makeSession(modelPath: path("codecs/types.onnx"), options: SessionOptions())
        let half = [Float16(1.5), Float16(-2)].map(\.bitPattern)
        let out = try session.run([
            "f32": .float32([1, 2, 3, -1, -2, 0.5], shape: [2, 3]),
            "f16": Tensor(shape: [2], storage: .float16(half)),
            "i64": .int64([Int64.max, -7], shape: [2]),
            "flag": .bool([true, false], shape: [2]),
        ], outputNames: [])
        #expect(out["f32_squared"] == .float32([1, 4, 9, 1, 4, 0.25], shape: [2, 3]))
        #expect(out["f16_out"] == Tensor(shape: [2], storage: .float16(half)))
        #expect(out["i64_out"] == .int64([Int64.max, -7], shape: [2]))
        #expect(out["flag_out"] == .bool([true, false], shape: [2]))
    }

    @Test func repeatedShapesAreWrittenStraightIntoSwiftArrays() throws {
        let session = try Self.runtime.get().makeSession(modelPath: path("codecs/types.onnx"), options: SessionOptions())
        let onnx = try #require(session as? ONNXSession)
        let half = [Float16(0.5), Float16(-3)].map(\.bitPattern)
        func feeds(_ scale: Float) -> [String: Tensor] {
            ["f32": .float32([1, 2, 3, -1, -2, 0.5].map { $0 * scale }, shape: [2, 3]),
             "f16": Tensor(shape: [2], storage: .float16(half)),
             "i64": .int64([Int64(scale), -7], shape: [2]),
             "flag": .bool([scale > 1, true], shape: [2])]
        }
        // The first run of a shape learns the output shapes; the next ones write into arrays.
        for (run, scale) in [Float(1), 2, 3].enumerated() {
            let out = try session.run(feeds(scale), outputNames: [])
            #expect(out["f32_squared"] == .float32([1, 2, 3, -1, -2, 0.5].map { $0 * scale * $0 * scale }, shape: [2, 3]))
            #expect(out["f16_out"] == Tensor(shape: [2], storage: .float16(half)))
            #expect(out["i64_out"] == .int64([Int64(scale), -7], shape: [2]))
            #expect(out["flag_out"] == .bool([scale > 1, true], shape: [2]))
            #expect(onnx.runsIntoArrays == run)
        }
        // A new input shape is learned again; asking for a subset of outputs is its own signature.
        _ = try session.run(["f32": .float32([4, 5, 6], shape: [1, 3]), "f16": Tensor(shape: [1], storage: .float16([0])),
                             "i64": .int64([1], shape: [1]), "flag": .bool([false], shape: [1])], outputNames: ["f32_squared"])
        #expect(onnx.runsIntoArrays == 2)
    }

    @Test func outputsWhoseShapeFollowsTheValuesAreStillRight() throws {
        let session = try Self.runtime.get().makeSession(modelPath: path("codecs/nonzero.onnx"), options: SessionOptions())
        let onnx = try #require(session as? ONNXSession)
        // Same input shape every time, a different number of non-zero entries.
        let cases: [([Float], [Int64])] = [([0, 1, 0, 2], [1, 3]), ([5, 6, 7, 8], [0, 1, 2, 3]), ([0, 0, 9, 0], [2]),
                                           ([1, 0, 0, 4], [0, 3]), ([0, 2, 0, 3], [1, 3])]
        for (values, indices) in cases {
            let out = try session.run(["x": .float32(values, shape: [4])], outputNames: [])
            #expect(out["indices"] == .int64(indices, shape: [1, indices.count]))
        }
        // The last case repeats the first one's shape, but the signature is dynamic by then.
        #expect(onnx.runsIntoArrays == 0)
    }

    @Test func ortErrorsCarryOrtsMessage() throws {
        let session = try Self.runtime.get().makeSession(modelPath: path("codecs/types.onnx"), options: SessionOptions())
        // Wrong rank for f32 ([n, 3] expected).
        let error = #expect(throws: VisionError.self) {
            try session.run(["f32": .float32([1, 2], shape: [2]), "f16": Tensor(shape: [1], storage: .float16([0])),
                             "i64": .int64([1], shape: [1]), "flag": .bool([true], shape: [1])], outputNames: [])
        }
        #expect(error?.message.hasPrefix("ONNX Runtime:") == true)
        #expect(error?.message.contains("f32") == true)
    }

    @Test func cudaOnCPULibraryIsAClearError() throws {
        let rt = try Self.runtime.get()
        try #require(!rt.availableDevices.contains(.cuda), "this check is for CPU-only libraries")
        let error = #expect(throws: VisionError.self) {
            try rt.makeSession(modelPath: path("codecs/types.onnx"), options: SessionOptions(device: .cuda))
        }
        #expect(error?.category == .badRequest)
        #expect(error?.message.contains("no CUDA execution provider") == true)
    }

    @Test func explicitLibraryPathThatDoesNotExistFails() {
        let error = #expect(throws: VisionError.self) {
            try ONNXRuntime(environment: ["ORT_DYLIB_PATH": "/nonexistent/libonnxruntime.so"])
        }
        #expect(error?.message.contains("/nonexistent/libonnxruntime.so") == true)
    }
}

/// EXECUTION_PROVIDER on a real graph: cpu stays on ONNX Runtime's kernels; openvino and auto go to
/// OpenVINO where it is offered on this CPU, answering as the CPU provider within 1e-3
/// relative, and otherwise run on the CPU provider with the plugin's reason in the placement.
@Suite struct ExecutionProviderTests {
    func path(_ relative: String) -> String { FixtureFiles.root.appendingPathComponent(relative).path }

    /// Whether `got` equals the CPU provider's `want` within 1e-3 of its largest magnitude (at least 1).
    static func agree(_ got: [Float], _ want: [Float]) -> Bool {
        let scale = max(1, want.map(abs).max() ?? 1)
        return got.count == want.count && zip(got, want).allSatisfy { abs($0 - $1) <= 1e-3 * scale }
    }

    @Test(arguments: ProviderPreference.allCases)
    func placesTheGraphAsAskedOrSaysWhyNot(preference: ProviderPreference) throws {
        let rt = try ONNXRuntimeTests.runtime.get()
        let graph = path("models/clip-tiny/onnx/vision_model.onnx")
        let session = try rt.makeSession(modelPath: graph, options: SessionOptions(intraOpThreads: 1, provider: preference))
        let reference = try rt.makeSession(modelPath: graph, options: SessionOptions(intraOpThreads: 1, provider: .cpu))
        let pixels = Tensor.float32((0..<(2 * 3 * 32 * 32)).map { Float($0 % 97) / 97 - 0.5 }, shape: [2, 3, 32, 32])
        let openVINO = try #require(rt.providerAvailability.first { $0.provider == .openvino }).status
        #expect(reference.placement == ProviderPlacement(provider: .cpu, reason: "EXECUTION_PROVIDER=cpu"))
        var answers = 0
        for _ in 0..<8 {  // auto decides within its first runs
            let got = try session.run(["pixel_values": pixels], outputNames: [])["image_embeds"]!.floats
            let want = try reference.run(["pixel_values": pixels], outputNames: [])["image_embeds"]!.floats
            #expect(Self.agree(got, want))
            answers += 1
        }
        #expect(answers == 8)
        switch preference {
        case .cpu:
            #expect(session.placement.provider == .cpu)
        case .openvino, .auto:
            if openVINO.hasPrefix("available") {
                #expect(preference == .auto || session.placement.provider == .openvino)
                #expect(!session.placement.deciding, "\(session.placement)")
            } else {
                #expect(session.placement.provider == .cpu && session.placement.reason.contains(openVINO), "\(session.placement)")
            }
        }
    }

    /// The CPU's vendor as the kernel reports it (`GenuineIntel`, `AuthenticAMD`, ...).
    static let cpuVendor: String = {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = info.split(separator: "\n").first { $0.hasPrefix("vendor_id") }
        return line.map { String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
    }()

    /// With the plugin installed, OpenVINO is offered on this CPU whatever its vendor: directly on
    /// Intel's, through the forwarding library elsewhere (which the setup builds beside the plugin).
    @Test(.enabled(if: ONNXRuntime.openVINOPluginPath() != nil, "the OpenVINO plugin is not installed (SKIP_OPENVINO_EP=1)"))
    func openVINOIsOfferedOnThisCPU() throws {
        let rt = try ONNXRuntimeTests.runtime.get()
        _ = try rt.makeSession(modelPath: path("codecs/types.onnx"), options: SessionOptions(intraOpThreads: 1, provider: .cpu))
        let status = try #require(rt.providerAvailability.first { $0.provider == .openvino }).status
        #expect(status.hasPrefix("available (CPU, "), "\(status)")
        if Self.cpuVendor == "GenuineIntel" {
            #expect(!status.contains(ONNXRuntime.anyCPUForwarder), "\(status)")
        } else {
            #expect(status.contains("through \(ONNXRuntime.anyCPUForwarder)"), "\(status)")
        }
    }

    /// OpenVINO runs one request per stream: each inference worker gets its own stream and its
    /// INTRA_OP_THREADS threads; one worker keeps OpenVINO's latency default (one stream).
    @Test func openVINOGetsAStreamPerInferenceWorker() throws {
        func properties(_ options: SessionOptions) throws -> [String: String] {
            let object = try JSONSerialization.jsonObject(with: Data(OpenVINOLoadConfig.json(for: options).utf8))
            return try #require((object as? [String: [String: String]])?["CPU"])
        }
        #expect(try properties(SessionOptions()) == ["INFERENCE_PRECISION_HINT": "f32"])
        #expect(try properties(SessionOptions(intraOpThreads: 2)) == ["INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": "2"])
        #expect(try properties(SessionOptions(intraOpThreads: 1, concurrentRuns: 2))
                == ["INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "2", "INFERENCE_NUM_THREADS": "2"])
        #expect(try properties(SessionOptions(concurrentRuns: 3)) == ["INFERENCE_PRECISION_HINT": "f32", "NUM_STREAMS": "3"])
    }

    /// Two workers running one OpenVINO session at once each get their own input's answer.
    @Test(.enabled(if: ONNXRuntime.openVINOPluginPath() != nil, "the OpenVINO plugin is not installed (SKIP_OPENVINO_EP=1)"))
    func concurrentOpenVINORunsAnswerTheirOwnInputs() async throws {
        let rt = try ONNXRuntimeTests.runtime.get()
        let graph = path("models/clip-tiny/onnx/vision_model.onnx")
        let session = try rt.makeSession(modelPath: graph, options: SessionOptions(intraOpThreads: 1, provider: .openvino, concurrentRuns: 2))
        guard session.placement.provider == .openvino else {
            Issue.record("OpenVINO was not used: \(session.placement)")
            return
        }
        let reference = try rt.makeSession(modelPath: graph, options: SessionOptions(intraOpThreads: 1, provider: .cpu))
        let inputs = (0..<2).map { k in
            Tensor.float32((0..<(3 * 32 * 32)).map { Float(($0 * (k + 3)) % 97) / 97 - 0.5 }, shape: [1, 3, 32, 32])
        }
        let want = try inputs.map { try reference.run(["pixel_values": $0], outputNames: [])["image_embeds"]!.floats }
        let compared = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<2 {
                group.addTask {
                    var n = 0
                    for _ in 0..<10 {
                        let got = try session.run(["pixel_values": inputs[worker]], outputNames: [])["image_embeds"]!.floats
                        #expect(Self.agree(got, want[worker]), "worker \(worker)")
                        n += 1
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(compared == 20)
    }

    @Test func healthSaysWhetherOpenVINOIsInstalled() throws {
        let missing = try ONNXRuntime(libraryPath: try ONNXRuntimeTests.runtime.get().libraryPath, openVINOPlugin: nil)
        #expect(missing.providerAvailability.map(\.provider) == [.cpu, .openvino])
        #expect(missing.providerAvailability[1].status.hasPrefix("not installed"))
        let session = try missing.makeSession(modelPath: path("models/clip-tiny/onnx/vision_model.onnx"),
                                              options: SessionOptions(intraOpThreads: 1, provider: .openvino))
        #expect(session.placement.provider == .cpu && session.placement.reason.contains("not installed"))
    }
}
