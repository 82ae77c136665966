import Foundation
import TestSupport
import Testing

/// `/inference/depth-anything` over real HTTP.
@Suite struct DepthAnythingEndpointTests {
    @Test func depthMapsInTheOriginalsShapeAndEveryFormat() async throws {
        let manifest = try FixtureFiles.json("depth_anything/manifest.json")
        let cases = manifest["cases"] as! [[String: Any]]
        let images = try cases.map { try FixtureFiles.data("preprocessing/" + ($0["image"] as! String)).base64EncodedString() }
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let model = "tests/depth-anything-v2-tiny"
            let png8 = try await server.post("/inference/depth-anything", json: ["images": images, "model_id": model])
            #expect(png8.status == 200, "\(png8.text.prefix(300))")
            let body = png8.json
            // The original's top-level fields describe the first image.
            #expect(body["format"] as? String == "png_base64")
            #expect((body["metadata"] as? [String: Any])?["shape"] as? [Int] == cases[0]["shape"] as? [Int])
            let png = try #require(Data(base64Encoded: body["depth_data"] as? String ?? ""))
            #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
            #expect((body["results"] as? [Any])?.count == 5)
            #expect(body["model_id"] as? String == model)

            let float = try await server.post("/inference/depth-anything",
                                              json: ["images": [images[1]], "model_id": model, "depth_format": "float32"])
            #expect(float.json["format"] as? String == "float32_base64")
            let data = try #require(Data(base64Encoded: float.json["depth_data"] as? String ?? ""))
            let values = data.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            let expected = try FixtureFiles.floats("depth_anything/" + (cases[1]["depth"] as! String))
            let scale = max(1, expected.map(abs).max() ?? 1)
            #expect(values.count == expected.count)
            #expect((zip(values, expected).map { abs($0 - $1) }.max() ?? .infinity) <= 1e-3 * scale)

            let png16 = try await server.post("/inference/depth-anything",
                                              json: ["images": [images[2]], "model_id": model, "depth_format": "png16"])
            let meta = try #require(png16.json["metadata"] as? [String: Any])
            #expect(png16.json["format"] as? String == "png16_base64" && meta["scale"] != nil && meta["offset"] != nil)

            let ply = try await server.post("/inference/depth-anything",
                                            json: ["images": [images[0]], "model_id": model, "export_format": "ply"])
            #expect(ply.status == 400 && (ply.json["detail"] as? String ?? "").contains("not offered"))
            let da3 = try await server.post("/inference/depth-anything", json: ["images": [images[0]]])
            #expect(da3.status == 404, "the original's default, depth-anything/da3-base, is not in this cache")
            let badFormat = try await server.post("/inference/depth-anything",
                                                  json: ["images": [images[0]], "model_id": model, "depth_format": "jpeg"])
            #expect(badFormat.status == 422)
        }
    }

    @Test func depthAnything3DepthCameraAndPointClouds() async throws {
        let manifest = try FixtureFiles.json("depth_anything_3/manifest.json")
        let first = (manifest["cases"] as! [[String: Any]])[0]
        let image = try FixtureFiles.data("preprocessing/" + (first["image"] as! String)).base64EncodedString()
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let model = "tests/depth-anything-3-tiny"
            let r = try await server.post("/inference/depth-anything",
                                          json: ["images": [image], "model_id": model, "depth_format": "float32"])
            #expect(r.status == 200, "\(r.text.prefix(300))")
            let meta = try #require(r.json["metadata"] as? [String: Any])
            #expect(meta["shape"] as? [Int] == first["shape"] as? [Int])
            #expect(meta["original_shape"] as? [Int] == [90, 151])
            let intrinsics = try #require(meta["intrinsics"] as? [[Double]])
            let expectedK = first["intrinsics"] as! [[Double]]
            #expect(abs(intrinsics[0][0] - expectedK[0][0]) <= 1e-3 * expectedK[0][0])
            #expect((meta["extrinsics"] as? [[Double]])?.map(\.count) == [4, 4, 4])
            let confidence = try #require(r.json["confidence"] as? [String: Any])
            #expect(confidence["format"] as? String == "float32_base64")

            // Coloured point cloud as binary PLY: the header's vertex count and the body's size agree.
            let ply = try await server.post("/inference/depth-anything",
                                            json: ["images": [image], "model_id": model, "export_format": "ply",
                                                   "include_confidence": false])
            #expect(ply.status == 200 && ply.json["confidence"] == nil)
            let export = try #require(ply.json["export"] as? [String: Any])
            #expect(export["media_type"] as? String == "application/x-ply")
            let file = try #require(Data(base64Encoded: export["data"] as? String ?? ""))
            let points = try #require(export["points"] as? Int)
            let headerEnd = try #require(file.range(of: Data("end_header\n".utf8)))
            let header = String(decoding: file[..<headerEnd.upperBound], as: UTF8.self)
            #expect(header.contains("element vertex \(points)\n"))
            #expect(file.count - headerEnd.upperBound == points * 15)
            let expectedPoints = (first["point_cloud"] as! [String: Any])["count"] as! Int
            #expect(abs(points - expectedPoints) <= 20)

            let glb = try await server.post("/inference/depth-anything",
                                            json: ["images": [image], "model_id": model, "export_format": "glb"])
            let glbFile = try #require(Data(base64Encoded: (glb.json["export"] as? [String: Any])?["data"] as? String ?? ""))
            #expect(glbFile.prefix(4) == Data("glTF".utf8))
            let splat = try await server.post("/inference/depth-anything",
                                              json: ["images": [image], "model_id": model, "export_format": "gs_video"])
            #expect(splat.status == 400 && (splat.json["detail"] as? String ?? "").contains("offered: ply, glb, npz"))
            let unknown = try await server.post("/inference/depth-anything",
                                                json: ["images": [image], "model_id": model, "export_format": "obj"])
            #expect(unknown.status == 422 && (unknown.json["detail"] as? String ?? "").contains("export_format: expected one of"))
        }
    }

    /// Two images of one request are one scene over HTTP: every view's depth and camera as the
    /// package's inference on the pair gives them, one point cloud of both views.
    @Test func twoViewSceneOverHTTP() async throws {
        let manifest = try FixtureFiles.json("depth_anything_3/manifest.json")
        let scene = (manifest["scenes"] as! [[String: Any]]).first { $0["name"] as? String == "two_views" }!
        let views = scene["views"] as! [[String: Any]]
        let images = try views.map { try FixtureFiles.data("preprocessing/" + ($0["image"] as! String)).base64EncodedString() }
        try await ServerProcess.with(root: try rootWithModels()) { server in
            let r = try await server.post("/inference/depth-anything", json: [
                "images": images, "model_id": "tests/depth-anything-3-tiny", "depth_format": "float32", "export_format": "ply"])
            #expect(r.status == 200, "\(r.text.prefix(300))")
            let results = try #require(r.json["results"] as? [[String: Any]])
            #expect(results.count == 2)
            for (i, (result, view)) in zip(results, views).enumerated() {
                try expectDepthAndCamera(result, equal: view, "view \(i)")
                #expect((result["export"] != nil) == (i == 0), "the scene's one export goes with the first view")
            }
            let points = try #require((r.json["export"] as? [String: Any])?["points"] as? Int)
            let expected = (scene["point_cloud"] as! [String: Any])["count"] as! Int
            #expect(abs(points - expected) <= max(2, expected / 500), "\(points) points, the package's rules give \(expected)")
            let alone = try await server.post("/inference/depth-anything", json: [
                "images": images, "model_id": "tests/depth-anything-3-tiny", "scene": false, "export_format": "ply"])
            #expect(((alone.json["results"] as? [[String: Any]]) ?? []).filter { $0["export"] != nil }.count == 2)
        }
    }
}

/// One view of a float32 depth answer against the package's outputs recorded in the Depth Anything 3
/// manifest: depth within 1e-3 of its scale, extrinsics within 1e-4.
func expectDepthAndCamera(_ result: [String: Any], equal view: [String: Any], _ what: String) throws {
    let data = try #require(Data(base64Encoded: result["depth_data"] as? String ?? ""))
    let depth = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    let expected = try FixtureFiles.floats("depth_anything_3/" + (view["depth"] as! String))
    let scale = max(1, expected.map(abs).max() ?? 1)
    #expect(depth.count == expected.count && zip(depth, expected).allSatisfy { abs($0 - $1) <= 1e-3 * scale }, "\(what)")
    let extrinsics = try #require((result["metadata"] as? [String: Any])?["extrinsics"] as? [[Double]])
    for (row, want) in zip(extrinsics, view["extrinsics"] as! [[Double]]) {
        for (g, w) in zip(row, want) { #expect(abs(g - w) <= 1e-4 * max(1, abs(w)), "\(what) extrinsics") }
    }
}
