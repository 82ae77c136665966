import Foundation
import VisionCore

/// The preprocessing fixtures (tools/fixtures/make_preprocessing_fixtures.py): the decoded images
/// and the processor cases transformers ran on them, and the comparison of a processor with one.
public struct ProcessorFixtures {
    public let manifest: [String: Any]
    public let decoded: [String: RGBImage]

    public init() throws {
        manifest = try FixtureFiles.json("preprocessing/manifest.json")
        var images: [String: RGBImage] = [:]
        for entry in manifest["decoded"] as! [[String: Any]] {
            let pixels = try FixtureFiles.bytes("preprocessing/" + (entry["rgb"] as! String))
            images[entry["image"] as! String] = RGBImage(
                width: entry["width"] as! Int, height: entry["height"] as! Int, pixels: pixels)
        }
        decoded = images
    }

    /// The processor cases whose name `include` accepts.
    public func processorCases(_ include: (String) -> Bool) -> [[String: Any]] {
        (manifest["processors"] as! [[String: Any]]).filter { include($0["name"] as! String) }
    }

    /// A case's processor config as the server parses it.
    public func config(of processorCase: [String: Any]) throws -> ImageProcessorConfig {
        try ImageProcessorConfig(json: JSONSerialization.data(withJSONObject: processorCase["config"]!))
    }

    /// What `processor` gives on a case's images against transformers' tensors: whether the
    /// shape and the pixel mask (where there is one) are equal, and the largest value difference.
    public func compare(_ processor: ImageProcessor, with processorCase: [String: Any]) throws
        -> (sameShape: Bool, maxDifference: Float, sameMask: Bool) {
        let images = try (processorCase["images"] as! [String]).map { name in
            guard let image = decoded[name] else { throw FixtureError("no decoded image \(name)") }
            return image
        }
        let (values, mask) = processor.processBatch(images)
        let expected = try FixtureFiles.floats("preprocessing/" + (processorCase["pixel_values"] as! String))
        let got = values.floats
        let maxDifference = got.count == expected.count ? zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity : .infinity
        var sameMask = true
        if let maskFile = processorCase["pixel_mask"] as? String {
            let expectedMask = try FixtureFiles.int64s("preprocessing/" + maskFile)
            if case .int64(let m) = mask.storage { sameMask = m == expectedMask } else { sameMask = false }
        }
        return (values.shape == processorCase["shape"] as! [Int], maxDifference, sameMask)
    }
}

/// A fixture that is not what a test expects.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
