import VisionCore

/// Decodes JPEG, PNG and WebP into RGB with EXIF orientation applied, as PIL's
/// `ImageOps.exif_transpose(Image.open(...)).convert("RGB")` does.
public struct ImageDecoder: ImageDecoding {
    public init() {}

    public func decode(_ bytes: [UInt8], limits: ImageLimits) throws -> RGBImage {
        guard bytes.count <= limits.maxBytes else {
            throw VisionError.imageTooLarge("encoded image is \(bytes.count) bytes; the limit is \(limits.maxBytes)")
        }
        guard let format = ImageFormat(sniffing: bytes) else {
            throw VisionError.unsupportedImage("data is not a JPEG, PNG or WebP image")
        }
        let image: RGBImage
        switch format {
        case .jpeg: image = try JPEGDecoder.decode(bytes, limits: limits)
        case .png: image = try PNGDecoder.decode(bytes, limits: limits)
        case .webp: image = try WebPDecoder.decode(bytes, limits: limits)
        }
        return ExifReader.orientation(in: bytes, format: format).apply(to: image)
    }

    /// Refuses images from their header, before any pixel buffer is allocated.
    static func checkDimensions(width: Int, height: Int, limits: ImageLimits) throws {
        guard width > 0, height > 0 else { throw VisionError.unsupportedImage("image has no pixels") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw VisionError.imageTooLarge(
                "image is \(width)×\(height) pixels; the limit is \(limits.maxPixels) pixels")
        }
    }
}
