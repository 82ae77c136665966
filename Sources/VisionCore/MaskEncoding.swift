import Foundation

/// A binary mask, row-major, 1 byte per pixel (0 or 1).
public struct BinaryMask: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height, "mask size mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public var area: Int { pixels.reduce(0) { $0 + Int($1) } }

    /// Run lengths over the column-major mask (COCO order), starting with a run of zeros (which
    /// may be empty).
    public func columnMajorRuns() -> [UInt32] {
        var runs: [UInt32] = [], value: UInt8 = 0, count: UInt32 = 0
        pixels.withUnsafeBufferPointer { p in
            for x in 0..<width {
                var i = x
                for _ in 0..<height {
                    let v = p[i]
                    if v == value { count += 1 } else { runs.append(count); value = v; count = 1 }
                    i += width
                }
            }
        }
        runs.append(count)
        return runs
    }
}

/// The mask encodings the API offers.
public enum MaskEncoding {
    /// The original server's RLE counts: base64(zlib(uint32 little-endian column-major runs)).
    public static func originalRLECounts(_ mask: BinaryMask, deflater: some Deflating) throws -> String {
        var bytes: [UInt8] = []
        for run in mask.columnMajorRuns() { withUnsafeBytes(of: run.littleEndian) { bytes.append(contentsOf: $0) } }
        let compressed = try deflater.deflate(bytes)
        var text: [UInt8] = []
        compressed.withUnsafeBytes { Base64.append($0, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// pycocotools' compressed RLE string (`mask.encode(...)["counts"]`): each run, minus the run two
    /// before it from the third on, in 5-bit groups with a continuation bit, offset by 48.
    public static func cocoRLEString(_ mask: BinaryMask) -> String {
        let runs = mask.columnMajorRuns().map(Int64.init)
        var out: [UInt8] = []
        for (i, run) in runs.enumerated() {
            var x = run - (i > 2 ? runs[i - 2] : 0)
            var more = true
            while more {
                var c = UInt8(truncatingIfNeeded: x & 0x1F)
                x >>= 5  // arithmetic: keeps the sign
                more = (c & 0x10) != 0 ? x != -1 : x != 0
                if more { c |= 0x20 }
                out.append(c + 48)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
