import Testing
import VisionCore

/// Mask encodings on small hand-made masks.
@Suite struct MaskEncodingTests {
    // 3×2 mask, rows: [0 1 1] [0 1 0] → column-major 0,0 | 1,1 | 1,0 → runs 2,3,1.
    static let mask = BinaryMask(width: 3, height: 2, pixels: [0, 1, 1, 0, 1, 0])

    @Test func columnMajorRunsStartWithZeros() {
        #expect(Self.mask.columnMajorRuns() == [2, 3, 1])
        #expect(BinaryMask(width: 1, height: 2, pixels: [1, 1]).columnMajorRuns() == [0, 2])
    }

    @Test func cocoStringAsPycocotools() {
        // pycocotools.mask.encode's strings for the same masks: runs 2,3,1 → "231"; from the fourth run on,
        // the run two before is subtracted: 1 × 7 row [1 0 1 1 0 0 1] runs 0,1,1,2,2,1 → "01111O" (1−2 = −1).
        #expect(MaskEncoding.cocoRLEString(Self.mask) == "231")
        #expect(MaskEncoding.cocoRLEString(BinaryMask(width: 7, height: 1, pixels: [1, 0, 1, 1, 0, 0, 1])) == "01111O")
        // Larger runs use 5-bit groups with a continuation bit.
        let wide = BinaryMask(width: 100, height: 1, pixels: [UInt8](repeating: 1, count: 100))
        #expect(MaskEncoding.cocoRLEString(wide) == "0T3")
    }

    @Test func polygonsOfSquaresRingsAndSpecks() {
        var pixels = [UInt8](repeating: 0, count: 12 * 12)
        for y in 2...5 { for x in 2...5 { pixels[y * 12 + x] = 1 } }  // a square
        pixels[10 * 12 + 10] = 1  // a speck: under 3 points, dropped
        let polygons = MaskPolygons.polygons(BinaryMask(width: 12, height: 12, pixels: pixels))
        #expect(polygons == [[[2, 2], [2, 5], [5, 5], [5, 2]]])
        // A ring with a blob inside its hole: only the ring's outer contour (RETR_EXTERNAL).
        var ring = [UInt8](repeating: 0, count: 12 * 12)
        for y in 1...9 { for x in 1...9 where y == 1 || y == 9 || x == 1 || x == 9 { ring[y * 12 + x] = 1 } }
        for y in 4...6 { for x in 4...6 { ring[y * 12 + x] = 1 } }
        #expect(MaskPolygons.polygons(BinaryMask(width: 12, height: 12, pixels: ring)) == [[[1, 1], [1, 9], [9, 9], [9, 1]]])
    }
}
