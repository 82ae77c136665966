import ImageCodecs
import Testing
import VisionCore

/// zlib through libz, and the original server's mask RLE decoded back by its rules.
@Suite struct ZlibTests {
    @Test func roundTripAndLimits() throws {
        let data = [UInt8]((0..<5000).map { UInt8($0 % 7) })
        let packed = try Zlib().deflate(data)
        #expect(packed.count < data.count && packed.first == 0x78)
        #expect(try Zlib().inflate(packed, limit: 5000) == data)
        #expect(throws: VisionError.self) { try Zlib().inflate(packed, limit: 100) }
        #expect(throws: VisionError.self) { try Zlib().inflate([1, 2, 3], limit: 100) }
    }

    @Test func originalRLEDecodesToTheMask() throws {
        let mask = BinaryMask(width: 3, height: 2, pixels: [0, 1, 1, 0, 1, 0])
        let counts = try MaskEncoding.originalRLECounts(mask, deflater: Zlib())
        let runs = try Zlib().inflate(Base64.decode(counts)!, limit: 1024)
        let values = stride(from: 0, to: runs.count, by: 4).map {
            UInt32(runs[$0]) | UInt32(runs[$0 + 1]) << 8 | UInt32(runs[$0 + 2]) << 16 | UInt32(runs[$0 + 3]) << 24
        }
        #expect(values == [2, 3, 1])
    }
}
