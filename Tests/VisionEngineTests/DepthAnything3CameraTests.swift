import Foundation
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Known cameras for Depth Anything 3 (`extrinsics` / `intrinsics`): the package's inference with
/// them (tools/fixtures/make_depth_anything_3_fixtures.py `camera_cases`) and the camera math.
@Suite struct DepthAnything3CameraTests {
    static func cameraCases() throws -> [[String: Any]] {
        try FixtureFiles.json("depth_anything_3/manifest.json")["camera_cases"] as! [[String: Any]]
    }

    static func request(_ scene: [String: Any], views: Int? = nil, model: String = DepthAnything3ParityTests.repo,
                        extrinsics: [[[Double]]]? = nil, intrinsics: [[[Double]]]? = nil) throws -> DepthAnythingRequest {
        let all = scene["views"] as! [[String: Any]]
        let chosen = Array(all.prefix(views ?? all.count))
        let images = try chosen.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String)))) }
        return DepthAnythingRequest(images: images, modelID: model, depthFormat: .float32,
                                    extrinsics: extrinsics ?? chosen.map { $0["input_extrinsics"] as! [[Double]] },
                                    intrinsics: intrinsics ?? chosen.map { $0["input_intrinsics"] as! [[Double]] })
    }

    /// Depth and confidence within 1e-3 relative, the returned cameras (the input ones, intrinsics
    /// at the processed size) within 1e-4, for 3 and 4 views of different sizes.
    @Test func knownCamerasMatchThePackage() async throws {
        let service = try DepthAnything3ParityTests.service()
        var checked = 0
        for scene in try Self.cameraCases() {
            let name = scene["name"] as! String
            let views = scene["views"] as! [[String: Any]]
            let response = try await service.run(try Self.request(scene))
            #expect(response.results.count == views.count)
            for (i, (r, v)) in zip(response.results, views).enumerated() {
                #expect([r.height, r.width] == scene["shape"] as! [Int], "\(name) view \(i)")
                let depth = try FixtureFiles.floats("depth_anything_3/" + (v["depth"] as! String))
                let conf = try FixtureFiles.floats("depth_anything_3/" + (v["conf"] as! String))
                #expect(DepthAnything3ParityTests.maxRelative(DepthAnything3ParityTests.floats(r.encoded), depth) <= 1e-3,
                        "\(name) view \(i): depth")
                #expect(DepthAnything3ParityTests.maxRelative(
                    DepthAnything3ParityTests.floats(try #require(r.confidence).encoded), conf) <= 1e-3, "\(name) view \(i): conf")
                DepthAnything3ParityTests.expectCamera(r.camera, v, "\(name) view \(i)")
            }
            checked += 1
        }
        #expect(checked == 2)
    }

    /// The cameras change the answer (the encoder's tokens replace the learned ones), and two views,
    /// which the package refuses (evo's Umeyama needs 3 non-collinear centres), still give depth in
    /// the input's scale: the ratio of the camera distances.
    @Test func camerasConditionTheModelAndTwoViewsWork() async throws {
        let service = try DepthAnything3ParityTests.service()
        let scene = try Self.cameraCases().first { $0["name"] as? String == "three_views" }!
        let with = try await service.run(try Self.request(scene))
        var plain = try Self.request(scene)
        plain = DepthAnythingRequest(images: plain.images, modelID: DepthAnything3ParityTests.repo, depthFormat: .float32)
        let without = try await service.run(plain)
        let a = DepthAnything3ParityTests.floats(with.results[1].encoded), b = DepthAnything3ParityTests.floats(without.results[1].encoded)
        #expect(DepthAnything3ParityTests.maxRelative(a, b) > 1e-2)
        let two = try await service.run(try Self.request(scene, views: 2))
        #expect(two.results.count == 2)
        let given = (scene["views"] as! [[String: Any]])[1]["input_extrinsics"] as! [[Double]]
        #expect(two.results[1].camera?.extrinsics == Array(given[0..<3]))
        #expect(two.results.allSatisfy { r in DepthAnything3ParityTests.floats(r.encoded).allSatisfy { $0.isFinite && $0 > 0 } })
    }

    @Test func badCamerasAreA400() async throws {
        let service = try DepthAnything3ParityTests.service()
        let scene = try Self.cameraCases().first { $0["name"] as? String == "three_views" }!
        let views = scene["views"] as! [[String: Any]]
        let ext = views.map { $0["input_extrinsics"] as! [[Double]] }, ixt = views.map { $0["input_intrinsics"] as! [[Double]] }
        var skewed = ext
        skewed[1][0][0] *= 2
        var negative = ixt
        negative[2][0][0] = -5
        let cases: [(String, DepthAnythingRequest, String)] = [
            ("intrinsics alone", DepthAnythingRequest(images: try Self.request(scene).images, modelID: DepthAnything3ParityTests.repo,
                                                      intrinsics: ixt), "go together"),
            ("too few", try Self.request(scene, extrinsics: Array(ext.prefix(2))), "as many"),
            ("not a rotation", try Self.request(scene, extrinsics: skewed), "not a rotation"),
            ("3x3 extrinsics", try Self.request(scene, extrinsics: ext.map { $0.map { Array($0.prefix(3)) } }), "3×4 or 4×4"),
            ("negative focal", try Self.request(scene, intrinsics: negative), "fx, fy > 0"),
            ("monocular", try Self.request(scene, model: DepthAnything3ParityTests.metricRepo), "monocular"),
        ]
        for (name, request, message) in cases {
            let error = await #expect(throws: VisionError.self, "\(name)") { try await service.run(request) }
            #expect(error?.category == .badRequest && error?.message.contains(message) == true, "\(name): \(error?.message ?? "")")
        }
        #expect(cases.count == 6)
    }

    /// The encoding the server feeds the camera encoder inverts through the decoder's formula.
    @Test func poseEncodingRoundTrips() {
        let rotations: [[[Double]]] = [
            [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            [[0, 0, -1], [0.164399, -0.986394, 0], [-0.986394, -0.164399, 0]],
            [[-1, 0, 0], [0, -1, 0], [0, 0, 1]],  // 180° about z: the quaternion's real part is 0
            [[0.36, 0.48, -0.8], [-0.8, 0.6, 0], [0.48, 0.64, 0.6]],
        ]
        var checked = 0
        for r in rotations {
            let e = r.enumerated().map { i, row in row + [Double(i) - 0.5] } + [[0, 0, 0, 1]]
            let k: [[Double]] = [[90, 0, 40], [0, 80, 30], [0, 0, 1]]
            let p = CameraConditioning.poseEncoding(extrinsics: e, intrinsics: k, height: 56, width: 84)
            #expect(p[6] >= 0, "real part ≥ 0")
            let back = CameraParameters(poseEncoding: p, height: 56, width: 84)
            for (got, want) in zip(back.extrinsics.joined(), e[0..<3].joined()) { #expect(abs(got - want) < 1e-5) }
            #expect(abs(back.intrinsics[0][0] - 90) < 1e-3 && abs(back.intrinsics[1][1] - 80) < 1e-3)
            checked += 1
        }
        #expect(checked == 4)
    }

    @Test func normalisationPutsTheFirstViewAtTheOrigin() {
        let e0: [[Double]] = [[0, -1, 0, 2], [1, 0, 0, -1], [0, 0, 1, 3], [0, 0, 0, 1]]
        let e1: [[Double]] = [[1, 0, 0, 4], [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]]
        let e2: [[Double]] = [[1, 0, 0, -6], [0, 1, 0, 2], [0, 0, 1, 0], [0, 0, 0, 1]]
        let n = CameraConditioning.normalized([e0, e1, e2])
        for (got, want) in zip(n[0].joined(), [1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) { #expect(abs(got - want) < 1e-12) }
        // The distances from the first camera (0, d1, d2) over their median (the middle of three): that one is 1.
        let d: [Double] = n.map { e in
            let c = CameraConditioning.center(e)
            return (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).squareRoot()
        }
        #expect(abs(d.sorted()[1] - 1) < 1e-12)
    }

    @Test func umeyamaScaleIsTheSimilarityScale() {
        func camera(at c: [Double]) -> [[Double]] { [[1, 0, 0, -c[0]], [0, 1, 0, -c[1]], [0, 0, 1, -c[2]], [0, 0, 0, 1]] }
        let centres: [[Double]] = [[0, 0, 0], [1, 0, 0], [0, 2, 0], [1, 1, 3]]
        // Predicted = 0.25 · R(90° about z) · input + t.
        let predicted = centres.map { c in camera(at: [0.25 * -c[1] + 1, 0.25 * c[0] - 2, 0.25 * c[2] + 0.5]) }
        #expect(abs(CameraConditioning.umeyamaScale(from: centres.map(camera), onto: predicted) - 0.25) < 1e-9)
        // Two views (rank 1): the ratio of their distances; one view: 1.
        let pair = ([camera(at: [1, 1, 1]), camera(at: [2, 1, 1])], [camera(at: [0, 0, 0]), camera(at: [0, 3, 0])])
        #expect(abs(CameraConditioning.umeyamaScale(from: pair.0, onto: pair.1) - 3) < 1e-9)
        #expect(CameraConditioning.umeyamaScale(from: [camera(at: [0, 0, 0])], onto: [camera(at: [1, 2, 3])]) == 1)
        // evo's own rule (the Gaussian adapter's pose scale): rank 2 or more, else no scale.
        #expect(CameraConditioning.evoUmeyamaScale(from: pair.0, onto: pair.1) == nil)
        #expect(abs(CameraConditioning.evoUmeyamaScale(from: centres.map(camera), onto: predicted)! - 0.25) < 1e-9)
    }
}
