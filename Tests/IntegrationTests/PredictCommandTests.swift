import Foundation
import ImageCodecs
import TestSupport
import Testing
import VisionApp
import VisionCore

/// `vision-models-api predict`: one prediction from the cache, run as a user would from the shell.
@Suite struct PredictCommandTests {
    struct Run {
        let status: Int32
        let stdout: Data
        let stderr: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: stdout)) as? [String: Any] ?? [:] }
    }

    /// Runs the binary offline (unless `environment` says otherwise) against `root`'s cache and waits for it.
    static func predict(_ arguments: [String], root: String, environment: [String: String] = [:]) async throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        process.arguments = ["predict"] + arguments
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HF_ROOT_FOLDER": root,
                               "HF_HUB_OFFLINE": "1", "INTRA_OP_THREADS": "1"].merging(environment) { _, new in new }
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdout = OutputBuffer(), stderr = OutputBuffer()
        out.fileHandleForReading.readabilityHandler = { h in let d = h.availableData; if !d.isEmpty { stdout.append(d) } }
        err.fileHandleForReading.readabilityHandler = { h in let d = h.availableData; if !d.isEmpty { stderr.append(d) } }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(120)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        try await Task.sleep(for: .milliseconds(100))
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        stdout.append(out.fileHandleForReading.readDataToEndOfFile())
        stderr.append(err.fileHandleForReading.readDataToEndOfFile())
        return Run(status: process.terminationStatus, stdout: Data(stdout.text.utf8), stderr: stderr.text)
    }

    /// The help lists every registered model type and every file a family declares, from the
    /// registry (it once went stale: no gs_ply).
    @Test func helpComesFromTheRegistry() async throws {
        let run = try await Self.predict(["--help"], root: try HubCacheBuilder.temporaryFolder("help"))
        let help = (String(decoding: run.stdout, as: UTF8.self) + run.stderr).replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ").joined(separator: " ")
        var listed = 0
        for family in AppBuilder.families {
            #expect(help.contains(family.erasedLoader.type.rawValue), "\(family.erasedLoader.type.rawValue)")
            for output in family.fileOutputs {
                #expect(help.contains("NAME.\(output.fileExtension)"), "\(output.fileExtension)")
                listed += 1
            }
        }
        #expect(AppBuilder.families.count == 8 && listed == 7 && help.contains("NAME.gs_ply"))
    }

    @Test func sam3WritesAnInstanceLabelMapAndTheJSON() async throws {
        let root = try rootWithModels()
        let manifest = try FixtureFiles.json("sam3/manifest.json")
        let first = (manifest["cases"] as! [[String: Any]])[0]
        let image = root + "/cat.jpg"
        try FixtureFiles.data("preprocessing/" + (first["image"] as! String)).write(to: URL(fileURLWithPath: image))
        let expected = ((first["results"] as! [[String: Any]]).first { $0["prompt"] as? String == "a red cat" }!["scores"]
            as! [Double]).count
        #expect(expected > 0, "the fixture finds the cat")
        let run = try await Self.predict(["sam3", image, "--prompt", "a red cat", "--model-id", "tests/sam3-tiny",
                                          "--set", "threshold=\(manifest["threshold"]!)", "--out", root + "/masks.png"],
                                         root: root)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("predict: loaded tests/sam3-tiny") && run.stderr.contains("wrote \(root)/masks.png"))
        // stdout is the route's JSON.
        let results = try #require(run.json["results"] as? [[[String: Any]]], "\(run.stdout.prefix(200))")
        let scores = (results[0][0]["result"] as? [String: Any])?["scores"] as? [Double]
        #expect(scores?.count == expected)
        // The label map: the image's size, labels 1...n (the last instance drawn is never covered).
        let png = try FixtureFiles.data("preprocessing/" + (first["image"] as! String))
        let size = try ImageDecoder().decode([UInt8](png), limits: ImageLimits())
        let map = try ImageDecoder().decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/masks.png"))),
                                            limits: ImageLimits())
        #expect(map.width == size.width && map.height == size.height)
        let labels = Set(stride(from: 0, to: map.pixels.count, by: 3).map { map.pixels[$0] })
        #expect(labels.contains(UInt8(expected)) && labels.isSubset(of: Set((0...expected).map(UInt8.init))), "\(labels)")
    }

    @Test func depthWritesA16BitPNGAndAPointCloud() async throws {
        let root = try rootWithModels()
        let image = root + "/scene.jpg"
        try FixtureFiles.data("codecs/baseline_420.jpg").write(to: URL(fileURLWithPath: image))
        let png = try await Self.predict(["depth_anything", image, "--model-id", "tests/depth-anything-3-tiny",
                                          "--out", root + "/depth.png"], root: root)
        #expect(png.status == 0, "\(png.stderr)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/depth.png")))
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] && bytes[24] == 16,
                "a 16-bit PNG")
        #expect(png.json["format"] as? String == "png16_base64")

        // Two images are one scene: one cloud of both views; with scene=false one cloud each.
        let scene = try await Self.predict(["depth_anything", image, image, "--model-id", "tests/depth-anything-3-tiny",
                                            "--out", root + "/scene.ply"], root: root)
        #expect(scene.status == 0, "\(scene.stderr)")
        let merged = try Data(contentsOf: URL(fileURLWithPath: root + "/scene.ply"))
        #expect(merged.starts(with: Data("ply\n".utf8)))
        let two = try await Self.predict(["depth_anything", image, image, "--model-id", "tests/depth-anything-3-tiny",
                                          "--set", "scene=false", "--out", root + "/cloud.ply"], root: root)
        #expect(two.status == 0, "\(two.stderr)")
        for name in ["cloud_0.ply", "cloud_1.ply"] {
            let ply = try Data(contentsOf: URL(fileURLWithPath: root + "/" + name))
            #expect(ply.starts(with: Data("ply\n".utf8)), "\(name)")
        }
        // Depth Anything V2 has no point cloud: the server's 400 detail, exit status 1.
        let v2 = try await Self.predict(["depth_anything", image, "--model-id", "tests/depth-anything-v2-tiny",
                                         "--out", root + "/v2.ply"], root: root)
        #expect(v2.status == 1 && v2.stderr.contains("HTTP 400"), "\(v2.stderr)")
    }

    @Test func mistakesAreNamedWithoutAStackTrace() async throws {
        let root = try rootWithModels()
        let image = root + "/scene.jpg"
        try FixtureFiles.data("codecs/baseline_420.jpg").write(to: URL(fileURLWithPath: image))
        let prompt = try await Self.predict(["dinov3", image, "--prompt", "cat", "--model-id", "tests/dinov3-vit-tiny"], root: root)
        #expect(prompt.status == 2 && prompt.stderr.contains("dinov3 takes no prompts"), "\(prompt.stderr)")
        let ext = try await Self.predict(["dinov3", image, "--out", root + "/x.ply"], root: root)
        #expect(ext.status == 2 && ext.stderr.contains("dinov3 writes .json"), "\(ext.stderr)")
        let type = try await Self.predict(["segformer", image], root: root)
        #expect(type.status == 1 && type.stderr.contains("unknown model type 'segformer'"), "\(type.stderr)")
        let missing = try await Self.predict(["dinov3", root + "/nope.jpg"], root: root)
        #expect(missing.status == 2 && missing.stderr.contains("cannot read image"), "\(missing.stderr)")
        // A JSON file when asked, and nothing on stdout.
        let json = try await Self.predict(["dinov3", image, "--model-id", "tests/dinov3-vit-tiny", "--set", "tensor_format=base64",
                                           "--out", root + "/features.json"], root: root)
        #expect(json.status == 0 && json.stdout.isEmpty, "\(json.stderr)")
        let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/features.json")))
        #expect((written as? [String: Any])?["model_id"] as? String == "tests/dinov3-vit-tiny")
    }

    /// A model missing from the cache is downloaded (a local mock hub), with progress on stderr and
    /// the token in no output.
    @Test func downloadsAMissingModelWithProgressOnStderr() async throws {
        let hub = try MockHub(folder: FixtureFiles.root.appendingPathComponent("models/dinov3-vit-tiny"))
        try await hub.start()
        defer { hub.stop() }
        let root = try HubCacheBuilder.temporaryFolder("root")
        let image = root + "/scene.jpg"
        try FixtureFiles.data("codecs/baseline_420.jpg").write(to: URL(fileURLWithPath: image))
        let token = "hf_predictDownloadToken_123"
        let run = try await Self.predict(["dinov3", image, "--model-id", "org/model"], root: root,
                                         environment: ["HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0", "HF_TOKEN": token])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("predict: downloading org/model/onnx/model.onnx: 100 %"), "\(run.stderr)")
        #expect(run.json["model_id"] as? String == "org/model")
        #expect(!run.stderr.contains(token) && !String(decoding: run.stdout, as: UTF8.self).contains(token))
    }
}
