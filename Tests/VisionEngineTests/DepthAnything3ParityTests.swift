import Foundation
import HubCache
import ImageCodecs
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Depth Anything 3 (tiny random model exported by tools/export/export.py depth_anything_3)
/// against the depth-anything-3 package's own fp32 inference on the same PNG files
/// (tools/fixtures/make_depth_anything_3_fixtures.py).
@Suite struct DepthAnything3ParityTests {
    static let repo = "tests/depth-anything-3-tiny"
    static let metricRepo = "tests/depth-anything-3-metric-tiny"
    static let monoRepo = "tests/depth-anything-3-mono-tiny"
    static let nestedRepo = "tests/depth-anything-3-nested-tiny"

    static func service() throws -> DepthAnythingService {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let manifest = try FixtureFiles.json("depth_anything_3/manifest.json")
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent(manifest["model"] as! String),
                                  repoID: repo, in: hub)
        let metric = FixtureFiles.root.appendingPathComponent(manifest["metric_model"] as! String)
        try HubCacheBuilder.place(folder: metric, repoID: metricRepo, in: hub)
        // The same weights declared the relative monocular preset (da3mono-large has the same architecture).
        let mono = URL(fileURLWithPath: try HubCacheBuilder.temporaryFolder("mono")).appendingPathComponent("model")
        try FileManager.default.copyItem(at: metric, to: mono)
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: mono.appendingPathComponent("config.json"))) as! [String: Any]
        config["model_name"] = "da3mono-large"
        config["depth_kind"] = "relative"
        try JSONSerialization.data(withJSONObject: config).write(to: mono.appendingPathComponent("config.json"))
        try HubCacheBuilder.place(folder: mono, repoID: monoRepo, in: hub)
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent(manifest["nested_model"] as! String),
                                  repoID: nestedRepo, in: hub)
        return DepthAnythingService(context: try EngineFixture.context(families: [DepthAnythingFamily.erasedLoader], hubCache: hub),
                                    encoder: PNGEncoder())
    }

    static func cases() throws -> [[String: Any]] {
        try FixtureFiles.json("depth_anything_3/manifest.json")["cases"] as! [[String: Any]]
    }

    static func floats(_ bytes: [UInt8]) -> [Float] {
        bytes.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    static func scenes() throws -> [[String: Any]] {
        try FixtureFiles.json("depth_anything_3/manifest.json")["scenes"] as! [[String: Any]]
    }

    static func expectCamera(_ camera: CameraParameters?, _ c: [String: Any], _ name: String) {
        guard let camera else { Issue.record("\(name): no camera"); return }
        for (key, got) in [("extrinsics", camera.extrinsics), ("intrinsics", camera.intrinsics)] {
            for (row, expectedRow) in zip(got, c[key] as! [[Double]]) {
                for (v, e) in zip(row, expectedRow) { #expect(abs(v - e) <= 1e-4 * max(1, abs(e)), "\(name): \(key)") }
            }
        }
    }

    static func maxRelative(_ got: [Float], _ expected: [Float]) -> Float {
        let scale = max(1, expected.map(abs).max() ?? 1)
        return (zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity) / scale
    }

    @Test func preprocessingMatchesThePackage() throws {
        let manifest = try FixtureFiles.json("depth_anything_3/manifest.json")
        let processor = DepthAnything3Preprocessor(processRes: manifest["process_res"] as! Int, patchSize: 14,
                                                   mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        for c in try Self.cases() {
            let image = try ImageDecoder().decode(try FixtureFiles.bytes("preprocessing/" + (c["image"] as! String)),
                                                  limits: ImageLimits())
            let pixels = processor.pixelValues(try processor.resized(image))
            let shape = c["shape"] as! [Int]
            #expect(pixels.shape == [1, 3] + shape, "\(c["image"]!)")
            let expected = try FixtureFiles.floats("depth_anything_3/" + (c["pixels"] as! String))
            let diffs = zip(pixels.floats, expected).map { abs($0 - $1) }
            // Equal but for IPP's rare one-level cubic differences (1/255/std ≈ 0.0175).
            #expect((diffs.max() ?? 1) < 0.02, "\(c["image"]!)")
            #expect(diffs.filter { $0 > 1e-5 }.count <= max(3, diffs.count / 1000), "\(c["image"]!)")
        }
    }

    @Test func depthConfidenceAndCameraMatchThePackage() async throws {
        let service = try Self.service()
        let cases = try Self.cases()
        let images = try cases.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String)))) }
        // Each image alone, as the package's inference on one image.
        let response = try await service.run(DepthAnythingRequest(images: images, modelID: Self.repo, depthFormat: .float32,
                                                                  scene: false))
        #expect(response.results.count == cases.count)
        for (r, c) in zip(response.results, cases) {
            let name = c["image"] as! String
            #expect([r.height, r.width] == c["shape"] as! [Int], "\(name)")
            let depth = try FixtureFiles.floats("depth_anything_3/" + (c["depth"] as! String))
            let conf = try FixtureFiles.floats("depth_anything_3/" + (c["conf"] as! String))
            #expect(Self.maxRelative(Self.floats(r.encoded), depth) <= 1e-3, "\(name): depth")
            let confidence = try #require(r.confidence)
            #expect(Self.maxRelative(Self.floats(confidence.encoded), conf) <= 1e-3, "\(name): confidence")
            let camera = try #require(r.camera)
            let expectedE = (c["extrinsics"] as! [[Double]]), expectedK = (c["intrinsics"] as! [[Double]])
            for (row, expectedRow) in zip(camera.extrinsics, expectedE) {
                for (v, e) in zip(row, expectedRow) { #expect(abs(v - e) <= 1e-4 * max(1, abs(e)), "\(name): extrinsics") }
            }
            for (row, expectedRow) in zip(camera.intrinsics, expectedK) {
                for (v, e) in zip(row, expectedRow) { #expect(abs(v - e) <= 1e-4 * max(1, abs(e)), "\(name): intrinsics") }
            }
        }
    }

    @Test func pointCloudsMatchThePackagesRules() async throws {
        let service = try Self.service()
        for c in try Self.cases().prefix(3) {
            let name = c["image"] as! String
            let input = [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + name)))]
            let expected = c["point_cloud"] as! [String: Any]
            let ply = try await service.run(DepthAnythingRequest(images: input, modelID: Self.repo, exportFormat: .ply))
            let export = try #require(ply.results.first?.export)
            let count = expected["count"] as! Int
            #expect(export.format == .ply && abs((export.points ?? 0) - count) <= max(2, count / 500), "\(name)")
            let header = String(decoding: export.data.prefix(400), as: UTF8.self)
            #expect(header.contains("element vertex \(export.points ?? -1)\n"))
            let glb = try await service.run(DepthAnythingRequest(images: input, modelID: Self.repo, exportFormat: .glb))
            let file = try #require(glb.results.first?.export)
            let jsonLength = Int(file.data[12]) | Int(file.data[13]) << 8 | Int(file.data[14]) << 16
            let json = try JSONSerialization.jsonObject(with: Data(file.data[20..<(20 + jsonLength)])) as! [String: Any]
            let position = (json["accessors"] as! [[String: Any]])[0]
            #expect(position["count"] as? Int == export.points)
            for (key, bound) in [("min", expected["min"]), ("max", expected["max"])] {
                let got = position[key] as! [Double], want = bound as! [Double]
                for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-3 * max(1, abs(w)), "\(name): \(key)") }
            }
        }
    }

    @Test func npzHoldsTheFourArrays() async throws {
        let service = try Self.service()
        let input = [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/small_37x53.png")))]
        let r = try await service.run(DepthAnythingRequest(images: input, modelID: Self.repo, exportFormat: .npz))
        let data = try #require(r.results.first?.export?.data)
        let names = ["depth.npy", "conf.npy", "extrinsics.npy", "intrinsics.npy"]
        for name in names { #expect(data.firstRange(of: Array(name.utf8)) != nil, "\(name) in the archive") }
        #expect(r.results.first?.originalShape == [37, 53])
    }

    @Test func splatFormatsAreRefused() async throws {
        let service = try Self.service()
        let input = [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/small_37x53.png")))]
        // da3-small has no Gaussian head: the 400 names the presets that have one.
        let noHead = await #expect(throws: VisionError.self) {
            try await service.run(DepthAnythingRequest(images: input, modelID: Self.repo, exportFormat: .gsPLY))
        }
        #expect(noHead?.category == .badRequest && noHead?.message.contains("da3-giant and da3nested-giant-large") == true)
        let video = await #expect(throws: VisionError.self) {
            try await service.run(DepthAnythingRequest(images: input, modelID: Self.nestedRepo, exportFormat: .gsVideo))
        }
        #expect(video?.category == .badRequest && video?.message.contains("no 3D Gaussian renderer") == true)
    }

    /// A request's images as one scene (the package's inference on the list): 2, 3 and 4 views of
    /// different sizes (center-cropped to the smallest), the reference view chosen by the graph
    /// as the package chose it (0, 2 and 2 here), every view's depth, confidence and camera.
    @Test func scenesMatchThePackage() async throws {
        let service = try Self.service()
        let scenes = try Self.scenes()
        var checked = 0
        for scene in scenes {
            let name = scene["name"] as! String
            let views = scene["views"] as! [[String: Any]]
            let images = try views.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String)))) }
            let response = try await service.run(DepthAnythingRequest(images: images, modelID: Self.repo, depthFormat: .float32))
            #expect(response.results.count == views.count, "\(name)")
            for (i, (r, v)) in zip(response.results, views).enumerated() {
                #expect([r.height, r.width] == scene["shape"] as! [Int], "\(name) view \(i)")
                let depth = try FixtureFiles.floats("depth_anything_3/" + (v["depth"] as! String))
                let conf = try FixtureFiles.floats("depth_anything_3/" + (v["conf"] as! String))
                #expect(Self.maxRelative(Self.floats(r.encoded), depth) <= 1e-3, "\(name) view \(i): depth")
                #expect(Self.maxRelative(Self.floats(try #require(r.confidence).encoded), conf) <= 1e-3, "\(name) view \(i): conf")
                Self.expectCamera(r.camera, v, "\(name) view \(i)")
            }
            checked += 1
        }
        #expect(checked == 3)
        #expect(scenes.contains { ($0["reference_view"] as! Int) != 0 }, "a scene where the package chose another reference view")
    }

    /// A scene's point cloud holds every view's points in the one world frame (one confidence
    /// threshold over all views), once, with the first view's result; npz stacks the views.
    @Test func aSceneHasOneCloudOfEveryView() async throws {
        let service = try Self.service()
        let scene = try Self.scenes().first { $0["name"] as? String == "three_views" }!
        let views = scene["views"] as! [[String: Any]]
        let images = try views.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String)))) }
        let expected = scene["point_cloud"] as! [String: Any]
        let count = expected["count"] as! Int
        let glb = try await service.run(DepthAnythingRequest(images: images, modelID: Self.repo, exportFormat: .glb))
        let file = try #require(glb.results.first?.export)
        #expect(glb.results.dropFirst().allSatisfy { $0.export == nil })
        #expect(abs((file.points ?? 0) - count) <= max(2, count / 500), "\(file.points ?? -1) points, package \(count)")
        let jsonLength = Int(file.data[12]) | Int(file.data[13]) << 8 | Int(file.data[14]) << 16
        let json = try JSONSerialization.jsonObject(with: Data(file.data[20..<(20 + jsonLength)])) as! [String: Any]
        let position = (json["accessors"] as! [[String: Any]])[0]
        for (key, bound) in [("min", expected["min"]), ("max", expected["max"])] {
            let got = position[key] as! [Double], want = bound as! [Double]
            for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-3 * max(1, abs(w)), "\(key)") }
        }
        let npz = try await service.run(DepthAnythingRequest(images: images, modelID: Self.repo, exportFormat: .npz))
        let data = try #require(npz.results.first?.export?.data)
        let shape = scene["shape"] as! [Int]
        let header = "'shape': (3, \(shape[0]), \(shape[1])"
        #expect(data.firstRange(of: Array(header.utf8)) != nil, "npz depth is [views, H, W]")
    }

    @Test func scenesAreBoundedAndCanBeTurnedOff() async throws {
        let base = try Self.service()
        let bounded = DepthAnythingService(context: base.context, encoder: PNGEncoder(), maxSceneViews: 2)
        let scene = try Self.scenes().first { $0["name"] as? String == "three_views" }!
        let images = try (scene["views"] as! [[String: Any]]).map {
            ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String))))
        }
        let error = await #expect(throws: VisionError.self) {
            try await bounded.run(DepthAnythingRequest(images: images, modelID: Self.repo))
        }
        #expect(error?.category == .badRequest && error?.message.contains("DA3_MAX_SCENE_VIEWS") == true)
        // Alone, each view is its own scene: shapes of its own, and the first differs from the scene's.
        let alone = try await bounded.run(DepthAnythingRequest(images: images, modelID: Self.repo, depthFormat: .float32,
                                                               scene: false))
        let together = try await base.run(DepthAnythingRequest(images: images, modelID: Self.repo, depthFormat: .float32))
        #expect(alone.results.count == 3 && alone.results.map(\.height) != together.results.map(\.height))
    }

    /// The metric preset (da3metric-large, DPT depth + sky heads) against the package's inference:
    /// depth after its sky handling; metres with focal_length as the package's README gives them
    /// (focal at the processed size / 300 × output); no confidence, no camera, no exports.
    @Test func metricPresetMatchesThePackage() async throws {
        let service = try Self.service()
        let cases = try FixtureFiles.json("depth_anything_3/manifest.json")["metric_cases"] as! [[String: Any]]
        var checked = 0
        for c in cases {
            let name = c["image"] as! String
            #expect((c["sky_pixels"] as! Int) > 10, "\(name): the fixture has sky for the sky handling to act on")
            let bytes = try FixtureFiles.bytes("preprocessing/" + name)
            let input = [ImageInput(source: .bytes(bytes))]
            let expected = try FixtureFiles.floats("depth_anything_3/" + (c["depth"] as! String))
            let canonical = try await service.run(DepthAnythingRequest(images: input, modelID: Self.metricRepo, depthFormat: .float32))
            let r = try #require(canonical.results.first)
            #expect([r.height, r.width] == c["shape"] as! [Int] && canonical.depthKind == "metric_canonical")
            #expect(Self.maxRelative(Self.floats(r.encoded), expected) <= 1e-3, "\(name): depth")
            #expect(r.confidence == nil && r.camera == nil)
            let image = try ImageDecoder().decode(bytes, limits: ImageLimits())
            let metres = try await service.run(DepthAnythingRequest(images: input, modelID: Self.metricRepo, depthFormat: .float32,
                                                                    focalLength: 500))
            let focal = (500 * Double(r.width) / Double(image.width) + 500 * Double(r.height) / Double(image.height)) / 2
            let scaled = expected.map { $0 * Float(focal / 300) }
            #expect(metres.depthKind == "metric" && Self.maxRelative(Self.floats(metres.results[0].encoded), scaled) <= 1e-3)
            checked += 1
        }
        #expect(checked == 2)
        let input = [ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/small_37x53.png")))]
        for (request, needle) in [
            (DepthAnythingRequest(images: input, modelID: Self.metricRepo, exportFormat: .ply), "monocular preset"),
            (DepthAnythingRequest(images: input, modelID: Self.metricRepo, focalLength: -1), "positive"),
            (DepthAnythingRequest(images: input, modelID: Self.monoRepo, focalLength: 500), "relative depth"),
            (DepthAnythingRequest(images: input, modelID: Self.repo, focalLength: 500), "relative depth"),
        ] {
            let error = await #expect(throws: VisionError.self) { try await service.run(request) }
            #expect(error?.category == .badRequest && error?.message.contains(needle) == true, "\(needle): \(error?.message ?? "")")
        }
        let mono = try await service.run(DepthAnythingRequest(images: input + input, modelID: Self.monoRepo))
        #expect(mono.depthKind == "relative" && mono.results.count == 2, "a monocular preset runs each image alone")
    }

    /// The nested preset (any-view branch in metres through the metric branch) against the
    /// package's inference: one image and a 2-view scene, after its least-squares alignment.
    @Test func nestedPresetMatchesThePackage() async throws {
        let service = try Self.service()
        let cases = try FixtureFiles.json("depth_anything_3/manifest.json")["nested_cases"] as! [[String: Any]]
        var checked = 0
        for c in cases {
            let views = c["views"] as! [[String: Any]]
            #expect(c["is_metric"] as? Int == 1)
            let images = try views.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String)))) }
            let response = try await service.run(DepthAnythingRequest(images: images, modelID: Self.nestedRepo, depthFormat: .float32))
            #expect(response.depthKind == "metric" && response.results.count == views.count)
            for (i, (r, v)) in zip(response.results, views).enumerated() {
                let name = "\(c["name"]!) view \(i)"
                #expect([r.height, r.width] == c["shape"] as! [Int], "\(name)")
                let depth = try FixtureFiles.floats("depth_anything_3/" + (v["depth"] as! String))
                let conf = try FixtureFiles.floats("depth_anything_3/" + (v["conf"] as! String))
                #expect(Self.maxRelative(Self.floats(r.encoded), depth) <= 1e-3, "\(name): depth")
                #expect(Self.maxRelative(Self.floats(try #require(r.confidence).encoded), conf) <= 1e-3, "\(name): conf")
                Self.expectCamera(r.camera, v, name)
            }
            checked += 1
        }
        #expect(checked == 2)
    }
}

