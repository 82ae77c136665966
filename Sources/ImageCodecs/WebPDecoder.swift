internal import CWebP
import VisionCore

/// WebP through libwebp. The only Swift file that touches libwebp.
enum WebPDecoder {
    static func decode(_ bytes: [UInt8], limits: ImageLimits) throws -> RGBImage {
        var width: Int32 = 0, height: Int32 = 0
        let ok = bytes.withUnsafeBufferPointer { WebPGetInfo($0.baseAddress, $0.count, &width, &height) }
        guard ok != 0 else { throw VisionError.unsupportedImage("invalid WebP image: header not readable") }
        try ImageDecoder.checkDimensions(width: Int(width), height: Int(height), limits: limits)
        let stride = Int(width) * 3
        var pixels = [UInt8](repeating: 0, count: stride * Int(height))
        let decoded = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                WebPDecodeRGBInto(src.baseAddress, src.count, dst.baseAddress, dst.count, Int32(stride))
            }
        }
        guard decoded != nil else { throw VisionError.unsupportedImage("WebP image is truncated or corrupt") }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }
}
