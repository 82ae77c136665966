/// EXIF orientation (tag 0x0112), applied as `PIL.ImageOps.exif_transpose` does.
public enum ExifOrientation: Int, Sendable {
    case normal = 1, mirrorHorizontal, rotate180, mirrorVertical, transpose, rotate90CW, transverse, rotate90CCW

    /// Returns the image as it should be displayed.
    public func apply(to image: RGBImage) -> RGBImage {
        let w = image.width, h = image.height
        // Source coordinates for each destination pixel.
        let swapsAxes: Bool
        let map: (Int, Int) -> (Int, Int)  // (dx, dy) -> (sx, sy)
        switch self {
        case .normal: return image
        case .mirrorHorizontal: swapsAxes = false; map = { (w - 1 - $0, $1) }
        case .rotate180: swapsAxes = false; map = { (w - 1 - $0, h - 1 - $1) }
        case .mirrorVertical: swapsAxes = false; map = { ($0, h - 1 - $1) }
        case .transpose: swapsAxes = true; map = { ($1, $0) }
        case .rotate90CW: swapsAxes = true; map = { ($1, h - 1 - $0) }
        case .transverse: swapsAxes = true; map = { (w - 1 - $1, h - 1 - $0) }
        case .rotate90CCW: swapsAxes = true; map = { (w - 1 - $1, $0) }
        }
        let outW = swapsAxes ? h : w, outH = swapsAxes ? w : h
        var out = [UInt8](repeating: 0, count: outW * outH * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for dy in 0..<outH {
                    for dx in 0..<outW {
                        let (sx, sy) = map(dx, dy)
                        let s = (sy * w + sx) * 3, d = (dy * outW + dx) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }
}
