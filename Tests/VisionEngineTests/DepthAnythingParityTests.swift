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
    /// `variant: "quantized"` (dynamic int8) and `variant: "int8"` (static, calibrated) are served
    /// within a few times the error the fixture script measured against the fp32 graph.
    @Test(arguments: ["quantized", "int8"])
    func variantIsServedWithinItsMeasuredError(variant: String) async throws {
        let service = try Self.service()
        let manifest = try FixtureFiles.json("depth_anything/manifest.json")
        let variants = try FixtureFiles.json("depth_anything/variants.json")
        let measured = (variants[variant] as! [String: Any])["max_relative_error_vs_fp32_graph"] as! Double
        let cases = manifest["cases"] as! [[String: Any]]
        let b64 = try cases.map { "\"" + Data(try FixtureFiles.bytes("preprocessing/" + ($0["image"] as! String))).base64EncodedString() + "\"" }
        func request(_ variant: String?) throws -> DepthAnythingRequest {
            let v = variant.map { #", "variant": "\#($0)""# } ?? ""
            let json = #"{"images": [\#(b64.joined(separator: ","))], "depth_format": "float32", "model_id": "tests/depth-anything-v2-tiny"\#(v)}"#
            return try JSONDecoder().decode(DepthAnythingRequest.self, from: Data(json.utf8))
        }
        let quantized = try await service.run(try request(variant))
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
            #expect(Double(vsTransformers) <= max(0.02, 2 * measured), "\(c["image"]!): \(variant) is \(vsTransformers) off")
            #expect(vsPlain > 1e-6, "\(c["image"]!): the \(variant) graph gave the fp32 graph's exact output")
            checked += 1
        }
        #expect(checked == 5)
    }

    /// Records the 16-bit pixels the service hands the PNG encoder, and encodes them for real.
    final class Capturing16: PNGEncoding, @unchecked Sendable {
        var pixels: [UInt16] = []
        func grey8(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] {
            try PNGEncoder().grey8(pixels, width: width, height: height)
        }
        func grey16(_ pixels: [UInt16], width: Int, height: Int) throws -> [UInt8] {
            self.pixels = pixels
            return try PNGEncoder().grey16(pixels, width: width, height: height)
        }
    }

    /// pixel × scale + offset gives back the float depth within half a step, over the full range.
    @Test func png16KeepsValuesWithinOneStep() async throws {
        let bytes = try FixtureFiles.bytes("preprocessing/wide_90x151.png")
        let capture = Capturing16()
        let service = DepthAnythingService(context: try Self.service().context, encoder: capture)
        func run(_ format: DepthFormat) async throws -> DepthResult {
            let r = try await service.run(DepthAnythingRequest(images: [ImageInput(source: .bytes(bytes))],
                                                               modelID: "tests/depth-anything-v2-tiny", depthFormat: format))
            return try #require(r.results.first)
        }
        let exact = try await run(.float32).depth
        let result = try await run(.png16)
        #expect(Array(result.encoded.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(result.encoded[24] == 16, "IHDR bit depth")
        let scale = try #require(result.scale), offset = try #require(result.offset)
        #expect(capture.pixels.count == exact.count && exact.count == 90 * 151)
        #expect(capture.pixels.min() == 0 && capture.pixels.max() == 65535)
        let worst = zip(capture.pixels, exact).map { abs(Float($0) * scale + offset - $1) }.max() ?? .infinity
        let magnitude = exact.map(abs).max() ?? 0  // float32 rounding of pixel × scale + offset
        #expect(worst <= scale * 0.5 + 2e-7 * magnitude, "worst \(worst), step \(scale)")
    }

    /// The size-changing path on a ramp, away from the borders, against the Keys kernel with
    /// a = -0.75 (PyTorch's bicubic): a 2× upscale samples the input at k + 0.25 and k + 0.75,
    /// where that kernel gives the ramp's value + 0.046875 and - 0.046875 (it does not reproduce
    /// linear functions). The image-size parity is in depthMatchesTransformersInEveryFormat.
    @Test func bicubicMatchesTheKeysKernel() {
        let ramp = BicubicUpsample.resize((0..<40).map { Float($0 % 8) }, height: 5, width: 8, outHeight: 5, outWidth: 16)
        // Output x reads input (x + 0.5) / 2 - 0.5; columns 4...11 only read input columns 0...7.
        for y in 0..<5 {
            for x in 4...11 {
                let source = (Float(x) + 0.5) / 2 - 0.5
                let want = source + (x % 2 == 0 ? -0.046875 : 0.046875)
                #expect(abs(ramp[y * 16 + x] - want) < 1e-5, "(\(x), \(y)): \(ramp[y * 16 + x]) vs \(want)")
            }
        }
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
