import Foundation
import TestSupport
import Testing
import VisionCore
@testable import ImageCodecs

/// Decoding equals PIL's `ImageOps.exif_transpose(Image.open(f)).convert("RGB")` on the same
/// files (tools/fixtures/make_codec_fixtures.py and make_preprocessing_fixtures.py).
@Suite struct ImageDecoderTests {
    let decoder = ImageDecoder()
    let limits = ImageLimits()

    struct Case { let file: String; let rgb: String; let width: Int; let height: Int; let note: String }

    static func cases(_ folder: String) throws -> [Case] {
        let manifest = try FixtureFiles.json("\(folder)/manifest.json")
        let entries = (manifest["cases"] ?? manifest["decoded"]) as! [[String: Any]]
        return entries.map {
            Case(file: "\(folder)/" + (($0["file"] ?? $0["image"]) as! String), rgb: "\(folder)/" + ($0["rgb"] as! String),
                 width: $0["width"] as! Int, height: $0["height"] as! Int, note: ($0["note"] as? String) ?? "png")
        }
    }

    @Test func decodesLikePIL() throws {
        let all = try Self.cases("codecs") + Self.cases("preprocessing")
        #expect(all.count == 25)
        for c in all {
            let image = try decoder.decode(try FixtureFiles.bytes(c.file), limits: limits)
            #expect(image.width == c.width && image.height == c.height, "\(c.file): size \(image.width)×\(image.height)")
            let expected = try FixtureFiles.bytes(c.rgb)
            guard image.pixels.count == expected.count else { continue }
            let diffs = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }
            let maxDiff = diffs.max() ?? 0
            // Lossless formats and JPEG (same islow IDCT and fancy upsampling) must be exact; lossy
            // WebP may differ by a level where libwebp versions round YUV→RGB differently.
            let tolerance = c.file.hasSuffix("lossy.webp") ? 2 : 0
            #expect(maxDiff <= tolerance, "\(c.file) (\(c.note)): max difference \(maxDiff)")
        }
    }

    @Test func refusesBytesThatAreNotImages() {
        #expect(throws: VisionError.unsupportedImage("data is not a JPEG, PNG or WebP image")) {
            try decoder.decode(Array("hello, world".utf8), limits: limits)
        }
    }

    @Test func refusesTruncatedJPEG() throws {
        let jpeg = try FixtureFiles.bytes("codecs/baseline_420.jpg")
        // Cut inside the headers, and inside the entropy-coded data.
        for cut in [jpeg.count / 2, jpeg.count - 20] {
            let error = #expect(throws: VisionError.self) {
                try decoder.decode(Array(jpeg.prefix(cut)), limits: limits)
            }
            #expect(error?.category == .unsupportedMediaType)
            #expect(error?.message.contains("truncated or corrupt") == true, "\(error?.message ?? "")")
        }
    }

    @Test func refusesTruncatedPNG() throws {
        let png = try FixtureFiles.bytes("preprocessing/wide_90x151.png")
        let error = #expect(throws: VisionError.self) {
            try decoder.decode(Array(png.prefix(png.count - 40)), limits: limits)
        }
        #expect(error?.category == .unsupportedMediaType)
    }

    /// A PNG whose header claims 100000×100000 pixels is refused before any pixel is allocated.
    @Test func refusesPixelBombFromHeader() throws {
        let bomb = PNGBomb.make(width: 100_000, height: 100_000)
        let error = #expect(throws: VisionError.self) { try decoder.decode(bomb, limits: limits) }
        #expect(error?.category == .payloadTooLarge)
        #expect(error?.message.contains("100000×100000") == true)
    }

    @Test func refusesOversizedEncodedBytes() throws {
        let png = try FixtureFiles.bytes("preprocessing/wide_90x151.png")
        let error = #expect(throws: VisionError.self) {
            try decoder.decode(png, limits: ImageLimits(maxPixels: 1 << 30, maxBytes: 100))
        }
        #expect(error?.category == .payloadTooLarge)
    }
}
