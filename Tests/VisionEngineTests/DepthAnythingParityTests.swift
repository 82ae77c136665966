import Foundation
import HubCache
import ImageCodecs
import Logging
import ONNXRuntimeAdapter
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// Depth Anything V2 (tiny random export) against transformers' `post_process_depth_estimation`
/// on the same PNG files (tools/fixtures/make_depth_anything_fixtures.py).
@Suite struct DepthAnythingParityTests {
    static func service() throws -> DepthAnythingService {
        let hub = try HubCacheBuilder.temporaryFolder("hub")
        let manifest = try FixtureFiles.json("depth_anything/manifest.json")
        try HubCacheBuilder.place(folder: FixtureFiles.root.appendingPathComponent(manifest["model"] as! String),
                                  repoID: "tests/depth-anything-v2-tiny", in: hub)
        return DepthAnythingService(context: try EngineFixture.context(families: [DepthAnythingFamily.erasedLoader], hubCache: hub),
                                    encoder: PNGEncoder())
    }

    @Test func depthMatchesTransformersInEveryFormat() async throws {
        let service = try Self.service()
        let manifest = try FixtureFiles.json("depth_anything/manifest.json")
        let cases = manifest["cases"] as! [[String: Any]]
        let images = try cases.map { ImageInput(source: .bytes(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String)))) }
        let float = try await service.run(DepthAnythingRequest(images: images, modelID: "tests/depth-anything-v2-tiny",
                                                                depthFormat: .float32))
        let png8 = try await service.run(DepthAnythingRequest(images: images, modelID: "tests/depth-anything-v2-tiny"))
        #expect(float.results.count == 5 && png8.results.count == 5)
        for (i, c) in cases.enumerated() {
            let expected = try FixtureFiles.floats("depth_anything/" + (c["depth"] as! String))
            let r = float.results[i]
            #expect([r.height, r.width] == c["shape"] as! [Int])
            let decoded = r.encoded.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            let scale = max(1, expected.map(abs).max() ?? 1)
            let maxDiff = zip(decoded, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(decoded.count == expected.count)
            #expect(maxDiff <= 1e-3 * scale, "\(c["image"]!): max difference \(maxDiff) at scale \(scale)")
            // png8: decode the PNG back and compare with the pipeline's uint8 map.
            let image = try ImageDecoder().decode(png8.results[i].encoded, limits: ImageLimits())
            let grey = stride(from: 0, to: image.pixels.count, by: 3).map { image.pixels[$0] }
            let expected8 = try FixtureFiles.bytes("depth_anything/" + (c["png8"] as! String))
            let off = zip(grey, expected8).map { abs(Int($0) - Int($1)) }
            #expect((off.max() ?? 9) <= 1, "\(c["image"]!): png8 differs by \(off.max() ?? -1)")
            #expect(Double(off.filter { $0 > 0 }.count) <= Double(off.count) * 0.01, "png8 levels off by one on >1% of pixels")
        }
    }

    /// `variant: "quantized"` serves onnx/model_quantized.onnx (attention fused, int8 MatMuls;
    /// tools/fixtures/make_variant_fixtures.py): near transformers, but not equal to the fp32 graph.
    @Test func quantizedVariantIsServedWithinItsMeasuredError() async throws {
        let service = try Self.service()
        let manifest = try FixtureFiles.json("depth_anything/manifest.json")
        let variants = try FixtureFiles.json("depth_anything/variants.json")
        let measured = (variants["quantized"] as! [String: Any])["max_relative_error_vs_fp32_graph"] as! Double
        let cases = manifest["cases"] as! [[String: Any]]
        let b64 = try cases.map { "\"" + Data(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String))).base64EncodedString() + "\"" }
        func request(_ variant: String?) throws -> DepthAnythingRequest {
            let v = variant.map { #", "variant": "\#($0)""# } ?? ""
            let json = #"{"images": [\#(b64.joined(separator: ","))], "depth_format": "float32", "model_id": "tests/depth-anything-v2-tiny"\#(v)}"#
            return try JSONDecoder().decode(DepthAnythingRequest.self, from: Data(json.utf8))
        }
        let quantized = try await service.run(try request("quantized"))
        let plain = try await service.run(try request(nil))
        #expect(quantized.results.count == cases.count && cases.count == 5)
        var checked = 0
        for (i, c) in cases.enumerated() {
            let expected = try FixtureFiles.floats("depth_anything/" + (c["depth"] as! String))
            let q = quantized.results[i].depth, p = plain.results[i].depth
            #expect(q.count == expected.count)
            let scale = expected.map(abs).max() ?? 1
            let vsTransformers = zip(q, expected).map { abs($0 - $1) }.max()! / scale
            let vsPlain = zip(q, p).map { abs($0 - $1) }.max()! / scale
            #expect(Double(vsTransformers) <= max(0.02, 8 * measured), "\(c["image"]!): quantized is \(vsTransformers) off")
            #expect(vsPlain > 1e-6, "\(c["image"]!): the quantized graph gave the fp32 graph's exact output")
            checked += 1
        }
        #expect(checked == 5)
    }

    @Test func png16KeepsValuesWithinOneStep() async throws {
        let service = try Self.service()
        let bytes = try FixtureFiles.bytes("preprocessing/wide_90x151.png")
        let r = try await service.run(DepthAnythingRequest(images: [ImageInput(source: .bytes(bytes))],
                                                           modelID: "tests/depth-anything-v2-tiny", depthFormat: .png16))
        let result = try #require(r.results.first)
        #expect(Array(result.encoded.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(result.encoded[24] == 16, "IHDR bit depth")
        #expect(result.scale != nil && result.offset == result.depth.min())
    }

    @Test func bicubicIdentityAndConstant() {
        let plane: [Float] = (0..<12).map(Float.init)
        #expect(BicubicUpsample.resize(plane, height: 3, width: 4, outHeight: 3, outWidth: 4) == plane)
        let constant = BicubicUpsample.resize([Float](repeating: 2.5, count: 6), height: 2, width: 3, outHeight: 5, outWidth: 7)
        #expect(constant.allSatisfy { abs($0 - 2.5) < 1e-5 }, "\(constant)")
    }

    @Test func exportFormatsAreRefusedWithWhatIsOffered() async throws {
        let service = try Self.service()
        let bytes = try FixtureFiles.bytes("preprocessing/small_37x53.png")
        let json = #"{"images": ["\#(Data(bytes).base64EncodedString())"], "export_format": "ply", "model_id": "tests/depth-anything-v2-tiny"}"#
        let request = try JSONDecoder().decode(DepthAnythingRequest.self, from: Data(json.utf8))
        let error = await #expect(throws: VisionError.self) { try await service.run(request) }
        #expect(error?.category == .badRequest)
        #expect(error?.message.contains("Depth Anything 3") == true && error?.message.contains("ply, glb, npz") == true)
    }
}
