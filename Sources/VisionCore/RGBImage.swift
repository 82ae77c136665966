/// An 8-bit RGB image, rows top to bottom, pixels interleaved R, G, B.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGB buffer size mismatch")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// Limits applied before pixels are allocated.
public struct ImageLimits: Sendable, Equatable {
    /// Maximum width × height.
    public var maxPixels: Int
    /// Maximum encoded size in bytes.
    public var maxBytes: Int

    public init(maxPixels: Int = 40_000_000, maxBytes: Int = 32 * 1024 * 1024) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }
}

/// Decodes encoded image bytes into RGB, applying EXIF orientation. Blocking: CPU work.
public protocol ImageDecoding: Sendable {
    func decode(_ bytes: [UInt8], limits: ImageLimits) throws -> RGBImage
}

/// Fetches image bytes for a URL given in a request, under the server's fetch policy.
public protocol ImageFetching: Sendable {
    func fetch(_ url: String) async throws -> [UInt8]
}

/// Encodes single-channel images as PNG. Blocking: CPU work.
public protocol PNGEncoding: Sendable {
    /// 8-bit greyscale PNG of `width`×`height` row-major values.
    func grey8(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8]
    /// 16-bit greyscale PNG of `width`×`height` row-major values.
    func grey16(_ pixels: [UInt16], width: Int, height: Int) throws -> [UInt8]
}

/// zlib compression (for the original server's mask RLE). Blocking: CPU work.
public protocol Deflating: Sendable {
    func deflate(_ bytes: [UInt8]) throws -> [UInt8]
}
