internal import CPNG
import Foundation
import VisionCore

// libpng, through its simplified `png_image` API: the only Swift file that touches libpng.

/// PNG decoding to RGBA, dropping alpha, which is what PIL's `convert("RGB")` does for grey,
/// palette and alpha images.
enum PNGDecoder {
    private static let formatRGBA: UInt32 = 3  // PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
    private static let flag16BitSRGB: UInt32 = 0x04  // PNG_IMAGE_FLAG_16BIT_sRGB

    static func decode(_ bytes: [UInt8], limits: ImageLimits) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let begun = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard begun != 0 else {
            let reason = message(&image)
            png_image_free(&image)
            throw VisionError.unsupportedImage("invalid PNG image: \(reason)")
        }
        do {
            try ImageDecoder.checkDimensions(width: Int(image.width), height: Int(image.height), limits: limits)
        } catch {
            png_image_free(&image)
            throw error
        }
        // 16-bit files: PIL keeps the high byte of colour samples and clips 16-bit grey ("I;16") to
        // 255 when converting to RGB; libpng's simplified API would rescale instead. Read the raw
        // samples and do what PIL does.
        if bytes.count > 24, bytes[24] == 16 {
            png_image_free(&image)
            return try decode16(bytes, width: Int(image.width), height: Int(image.height))
        }
        // 16-bit files without gAMA/sRGB are read as sRGB-encoded (as PIL treats them), not linear.
        image.flags |= flag16BitSRGB
        image.format = formatRGBA
        let width = Int(image.width), height = Int(image.height)
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let finished = rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard finished != 0 else {
            let reason = message(&image)
            png_image_free(&image)
            throw VisionError.unsupportedImage("PNG image is truncated or corrupt: \(reason)")
        }
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        rgba.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for p in 0..<(width * height) {
                    dst[p * 3] = src[p * 4]; dst[p * 3 + 1] = src[p * 4 + 1]; dst[p * 3 + 2] = src[p * 4 + 2]
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    private static func decode16(_ bytes: [UInt8], width: Int, height: Int) throws -> RGBImage {
        var samples = [UInt16](repeating: 0, count: width * height * 4)
        var channels: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { src in
            samples.withUnsafeMutableBufferPointer { dst in
                vma_png_read16(src.baseAddress, src.count, dst.baseAddress, dst.count, &channels, &message, message.count)
            }
        }
        guard ok != 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw VisionError.unsupportedImage("PNG image is truncated or corrupt: \(text)")
        }
        let c = Int(channels)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            switch c {
            case 1:
                let v = UInt8(min(samples[p], 255))
                rgb[p * 3] = v; rgb[p * 3 + 1] = v; rgb[p * 3 + 2] = v
            case 2:
                let v = UInt8(samples[p * 2] >> 8)
                rgb[p * 3] = v; rgb[p * 3 + 1] = v; rgb[p * 3 + 2] = v
            default:
                for k in 0..<3 { rgb[p * 3 + k] = UInt8(samples[p * c + k] >> 8) }
            }
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "unknown error" : String(decoding: bytes, as: UTF8.self)
        }
    }
}


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
