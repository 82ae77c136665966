internal import CZlib
import VisionCore

/// zlib streams (RFC 1950) through libz: `compress2` / `uncompress`.
public struct Zlib: Deflating {
    public let level: Int32

    /// Level 6 is zlib's (and Python's `zlib.compress`) default.
    public init(level: Int32 = 6) { self.level = level }

    public func deflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(capacity))
        let status = out.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &capacity, src.baseAddress, uLong(bytes.count), level)
            }
        }
        guard status == Z_OK else { throw VisionError.internalError("zlib compress failed (\(status))") }
        out.removeSubrange(Int(capacity)...)
        return out
    }

    /// Inflates a zlib stream whose decompressed size is at most `limit` bytes.
    public func inflate(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        var size = uLong(limit)
        var out = [UInt8](repeating: 0, count: limit)
        let status = out.withUnsafeMutableBufferPointer { dst in
            bytes.withUnsafeBufferPointer { src in uncompress(dst.baseAddress, &size, src.baseAddress, uLong(bytes.count)) }
        }
        guard status == Z_OK else { throw VisionError.invalidInput("not a zlib stream within \(limit) bytes (\(status))") }
        out.removeSubrange(Int(size)...)
        return out
    }
}
