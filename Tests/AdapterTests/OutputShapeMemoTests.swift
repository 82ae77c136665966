import Testing
@testable import ONNXRuntimeAdapter

@Suite struct OutputShapeMemoTests {
    func signature(_ shape: [Int], outputs: [String] = ["y"]) -> OutputShapeMemo.Signature {
        .init(inputs: ["x"], shapes: [shape], outputs: outputs)
    }

    @Test func bindsOnlyAfterAShapeWasSeen() {
        var memo = OutputShapeMemo()
        #expect(memo.plan(for: signature([1, 3])) == .allocate)
        memo.record(signature([1, 3]), shapes: [[1, 9]])
        #expect(memo.plan(for: signature([1, 3])) == .bind([[1, 9]]))
        #expect(memo.plan(for: signature([2, 3])) == .allocate)
        #expect(memo.plan(for: signature([1, 3], outputs: ["y", "z"])) == .allocate)
    }

    @Test func aSignatureWithChangingShapesIsNeverBoundAgain() {
        var memo = OutputShapeMemo()
        memo.record(signature([4]), shapes: [[1, 2]])
        memo.record(signature([4]), shapes: [[1, 3]])
        #expect(memo.plan(for: signature([4])) == .allocate)
        memo.record(signature([4]), shapes: [[1, 3]])
        #expect(memo.plan(for: signature([4])) == .allocate)

        memo.record(signature([5]), shapes: [[1, 5]])
        memo.markDynamic(signature([5]))
        memo.record(signature([5]), shapes: [[1, 5]])
        #expect(memo.plan(for: signature([5])) == .allocate)
    }

    @Test func startsOverWhenFull() {
        var memo = OutputShapeMemo(capacity: 3)
        for n in 1...3 { memo.record(signature([n]), shapes: [[n]]) }
        #expect(memo.plan(for: signature([3])) == .bind([[3]]))
        memo.record(signature([3]), shapes: [[3]])  // known already: nothing forgotten
        #expect(memo.plan(for: signature([1])) == .bind([[1]]))
        memo.record(signature([4]), shapes: [[4]])
        #expect(memo.plan(for: signature([1])) == .allocate)
        #expect(memo.plan(for: signature([4])) == .bind([[4]]))
    }
}
