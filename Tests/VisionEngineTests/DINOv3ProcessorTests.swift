import Foundation
import TestSupport
import Testing
import VisionCore
@testable import VisionEngine

/// DINOv3's processors rescale before they resize: the DINOv3 family's rule (core parses the
/// config and knows no family), checked against transformers' tensors.
@Suite struct DINOv3ProcessorTests {
    @Test func theFamilysRuleGivesTransformersPixels() throws {
        let fixtures = try ProcessorFixtures()
        var checked = 0
        for c in fixtures.processorCases({ $0.hasPrefix("proc_dinov3") }) {
            let config = DINOv3Model.processorRules(try fixtures.config(of: c))
            #expect(config.rescaleBeforeResize)
            let result = try fixtures.compare(ImageProcessor(config: config), with: c)
            #expect(result.sameShape && result.maxDifference <= 1e-5, "\(c["name"]!): \(result.maxDifference)")
            checked += 1
        }
        #expect(checked == 3)
        let vit = try ImageProcessorConfig(json: Data(#"{"image_processor_type": "ViTImageProcessor"}"#.utf8))
        #expect(!DINOv3Model.processorRules(vit).rescaleBeforeResize)
    }
}
