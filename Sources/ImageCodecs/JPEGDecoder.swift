internal import CTurboJPEG
import VisionCore

/// JPEG through libjpeg-turbo's TurboJPEG API: accurate (islow) DCT and fancy upsampling, the
/// libjpeg defaults PIL decodes with. The only Swift file that touches TurboJPEG.
enum JPEGDecoder {
    static func decode(_ bytes: [UInt8], limits: ImageLimits) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw VisionError.internalError("could not initialise the JPEG decoder")
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt(bytes.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else {
            throw VisionError.unsupportedImage("JPEG image is truncated or corrupt: \(message(handle))")
        }
        try ImageDecoder.checkDimensions(width: Int(width), height: Int(height), limits: limits)
        if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
            throw VisionError.unsupportedImage("CMYK JPEG images are not supported; convert the image to RGB")
        }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
        let status = bytes.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src.baseAddress, UInt(bytes.count), dst.baseAddress, width, width * 3, height,
                              Int32(TJPF_RGB.rawValue), TJFLAG_ACCURATEDCT)
            }
        }
        guard status == 0 else {
            throw VisionError.unsupportedImage("JPEG image is truncated or corrupt: \(message(handle))")
        }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }

    private static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: text)
    }
}
