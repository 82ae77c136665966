import Foundation
import Testing
import VisionCore
@testable import VisionEngine

/// SAM3's request fields that span others (boxes, box_labels, prompts): schema-valid bodies that
/// break a rule between fields are 400s naming it, not 422s (the document cannot state them).
@Suite struct SAM3RequestTests {
    static let image = ImageInput.example

    func decode(_ fields: String) throws -> SAM3Request {
        try JSONDecoder().decode(SAM3Request.self, from: Data(#"{"images": ["\#(Self.image)"], \#(fields)}"#.utf8))
    }

    @Test func labelsWithoutBoxesOrOfTheWrongCountAre400s() {
        for (fields, text) in [(#""prompts": ["a cat"], "box_labels": [0]"#, "box_labels are given without boxes"),
                               (#""boxes": [[[1, 1, 4, 4]], null], "box_labels": [[1]]"#, "box_labels has 1 lists for 2 images")] {
            let error = #expect(throws: VisionError.self) { try decode(fields) }
            #expect(error?.category == .badRequest && error?.message.contains(text) == true, "\(error?.message ?? "none")")
        }
    }

    @Test func boxesAndPromptsTakeEachOfTheirForms() throws {
        let shared = try decode(#""boxes": [[1, 2, 5, 6]], "box_labels": [0]"#)
        #expect(shared.prompts(forImage: 0) == [SAM3Request.visualPrompt] && !shared.promptsGiven)
        #expect(shared.exemplars(forImage: 3) == BoxExemplars(boxes: [[1, 2, 5, 6]], labels: [0]))
        let perImage = try decode(#""prompts": [["a"], ["b", "c"]], "boxes": [null, [[1, 2, 5, 6]]]"#)
        #expect(perImage.prompts(forImage: 1) == ["b", "c"] && perImage.exemplars(forImage: 0) == nil)
        #expect(perImage.exemplars(forImage: 1)?.labels == [1])
        // A coordinate beyond float32 is read (as infinite) for validate to refuse by name, not
        // refused as unreadable JSON.
        let huge = try decode(#""boxes": [[1, 2, 1e300, 6]]"#)
        #expect(huge.exemplars(forImage: 0)?.boxes[0][2] == .infinity)
        #expect(throws: DecodingError.self) { try decode(#""threshold": 0.5"#) }  // neither prompts nor boxes
    }
}
