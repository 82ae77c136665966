import Foundation
import TestSupport
import Testing
@testable import VisionCore

/// Compares preprocessing with tensors transformers (torchvision backend) produced on the same
/// PNG images: tools/fixtures/make_preprocessing_fixtures.py.
@Suite struct PreprocessingParityTests {
    let manifest: [String: Any]
    let decoded: [String: RGBImage]

    init() throws {
        let fixtures = try ProcessorFixtures()
        manifest = fixtures.manifest
        decoded = fixtures.decoded
    }

    @Test func uint8ResizesEqualTorchvision() throws {
        var checked = 0
        for c in manifest["resizes"] as! [[String: Any]] where c["float"] == nil {
            let image = try #require(decoded[c["image"] as! String])
            let filter = try #require(ResampleFilter(rawValue: c["filter"] as! Int))
            let out = ImageResize.resize(image, width: c["width"] as! Int, height: c["height"] as! Int, filter: filter)
            let expected = try FixtureFiles.bytes("preprocessing/" + (c["output"] as! String))
            let mismatches = zip(out.pixels, expected).filter { $0 != $1 }.count
            #expect(out.pixels.count == expected.count)
            #expect(mismatches == 0, "\(c["output"]!): \(mismatches) of \(expected.count) bytes differ")
            checked += 1
        }
        #expect(checked == 36)
    }

    @Test func floatResizesMatchTorchvision() throws {
        var checked = 0
        for c in manifest["resizes"] as! [[String: Any]] where c["float"] != nil {
            let image = try #require(decoded[c["image"] as! String])
            let planar = PlanarImage(image, scale: Float(1.0 / 255.0))
            let out = ImageResize.resize(planar, width: c["width"] as! Int, height: c["height"] as! Int, filter: .bilinear)
            let expected = try FixtureFiles.floats("preprocessing/" + (c["output"] as! String))
            #expect(out.data.count == expected.count)
            let maxDiff = zip(out.data, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(maxDiff <= 1e-6, "\(c["output"]!): max difference \(maxDiff)")
            checked += 1
        }
        #expect(checked == 6)
    }

    /// Every processor but DINOv3's, whose rule (rescale before resize) is its family's
    /// (VisionEngineTests' DINOv3ProcessorTests).
    @Test func processorsEqualTransformers() throws {
        let fixtures = try ProcessorFixtures()
        var checked = 0
        for c in fixtures.processorCases({ !$0.hasPrefix("proc_dinov3") }) {
            let name = c["name"] as! String
            let result = try fixtures.compare(ImageProcessor(config: try fixtures.config(of: c)), with: c)
            #expect(result.sameShape && result.sameMask, "\(name): shape or pixel_mask")
            #expect(result.maxDifference <= 1e-5, "\(name): max difference \(result.maxDifference)")
            checked += 1
        }
        #expect(checked == 12)
    }
}

@Suite struct ResizeRuleTests {
    @Test func shortestLongestTruncatesTheLongSide() {
        // 300×451 → 800×1202 (int(800 × 451 / 300) = 1202).
        #expect(ResizeRule.shortestLongest(shortest: 800, longest: 1333).outputSize(height: 300, width: 451) == (800, 1202))
        // A very wide image is bounded by the longest edge.
        let s = ResizeRule.shortestLongest(shortest: 800, longest: 1333).outputSize(height: 100, width: 1000)
        #expect(s == (133, 1333))
    }

    @Test func keepAspectRatioScalesAsLittleAsPossible() {
        // 300×451 with 518 and multiples of 14 → 350×518 (long side to 518).
        #expect(ResizeRule.keepAspectMultiple(height: 518, width: 518, multiple: 14).outputSize(height: 300, width: 451) == (350, 518))
    }

    @Test func shortestEdgeKeepsAspect() {
        #expect(ResizeRule.shortestEdge(256).outputSize(height: 480, width: 640) == (256, 341))
        #expect(ResizeRule.shortestEdge(256).outputSize(height: 640, width: 480) == (341, 256))
    }

    /// SigLIP 2 NaFlex's patch budget: transformers' `get_image_size_for_max_num_patches` on the same
    /// inputs (tools venv, transformers 5.24), tiny, huge, extreme aspect and square images.
    @Test(arguments: [
        ((90, 151, 8, 24), (32, 48)), ((160, 96, 8, 24), (48, 32)), ((37, 53, 8, 24), (32, 48)),
        ((480, 640, 16, 256), (224, 288)), ((1080, 1920, 16, 1024), (384, 672)), ((10, 3000, 16, 256), (16, 4096)),
        ((224, 224, 16, 196), (224, 224)), ((5, 5, 16, 256), (256, 256)),
    ])
    func patchBudgetSizesEqualTransformers(input: (Int, Int, Int, Int), want: (Int, Int)) {
        let rule = ResizeRule.maxPatches(patchSize: input.2, maxPatches: input.3)
        #expect(rule.outputSize(height: input.0, width: input.1) == want)
    }

    @Test func parsesNaFlexProcessorConfig() throws {
        let json = #"{"image_processor": {"image_processor_type": "Siglip2ImageProcessorFast", "max_num_patches": 256, "patch_size": 16}}"#
        let config = try ImageProcessorConfig(json: Data(json.utf8))
        #expect(config.resize == .maxPatches(patchSize: 16, maxPatches: 256) && config.imageMean == [0.5, 0.5, 0.5])
    }

    @Test func parsesNestedProcessorConfig() throws {
        let json = #"{"image_processor": {"image_processor_type": "DINOv3ViTImageProcessorFast", "size": {"height": 112, "width": 96}, "resample": 3}}"#
        let config = try ImageProcessorConfig(json: Data(json.utf8))
        #expect(config.resize == .exact(height: 112, width: 96))
        #expect(config.resample == .bicubic)
        #expect(config.processorClass == "DINOv3ViTImageProcessorFast")
        #expect(!config.rescaleBeforeResize)  // the DINOv3 family's rule, not the parser's
    }

    @Test func rejectsMalformedConfig() {
        #expect(throws: VisionError.self) { try ImageProcessorConfig(json: Data("[1,2]".utf8)) }
        #expect(throws: VisionError.self) { try ImageProcessorConfig(json: Data(#"{"size": {"foo": 3}}"#.utf8)) }
    }
}
