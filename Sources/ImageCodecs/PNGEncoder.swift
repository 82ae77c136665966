import CPNG
import VisionCore

/// Greyscale PNG encoding through libpng's simplified `png_image` write API.
public struct PNGEncoder: PNGEncoding {
    private static let formatGrey: UInt32 = 0  // PNG_FORMAT_GRAY
    private static let formatLinear: UInt32 = 0x04  // PNG_FORMAT_FLAG_LINEAR: 16-bit samples

    public init() {}

    public func grey8(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        try pixels.withUnsafeBytes { try Self.write($0, width: width, height: height, format: Self.formatGrey) }
    }

    public func grey16(_ pixels: [UInt16], width: Int, height: Int) throws -> [UInt8] {
        try pixels.withUnsafeBytes { try Self.write($0, width: width, height: height, format: Self.formatLinear) }
    }

    private static func write(_ buffer: UnsafeRawBufferPointer, width: Int, height: Int, format: UInt32) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        var size = 0
        // First call measures, second writes.
        guard png_image_write_to_memory(&image, nil, &size, 0, buffer.baseAddress, 0, nil) != 0, size > 0 else {
            png_image_free(&image)
            throw VisionError.internalError("PNG encoding failed")
        }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, buffer.baseAddress, 0, nil) }
        png_image_free(&image)
        guard ok != 0 else { throw VisionError.internalError("PNG encoding failed") }
        return Array(out.prefix(size))
    }
}
