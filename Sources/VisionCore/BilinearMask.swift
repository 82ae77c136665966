/// A mask's logits or probabilities upsampled as torch's `interpolate(mode="bilinear",
/// align_corners=False)` (no antialiasing) and thresholded: what SAM-style post-processing does
/// before it binarises.
public enum BilinearMask {
    /// `bilinear(...) > threshold` as bytes, without the full-size float image: each source row is
    /// interpolated across the output width once, then output rows blend two of those, in the same
    /// arithmetic order as torch (horizontal, then vertical).
    public static func above(_ src: [Float], height: Int, width: Int, outHeight: Int, outWidth: Int,
                             threshold: Float) -> [UInt8] {
        let xs = taps(width, outWidth), ys = taps(height, outHeight)
        var rows = [Float](repeating: 0, count: height * outWidth)
        src.withUnsafeBufferPointer { s in
            rows.withUnsafeMutableBufferPointer { r in
                for y in 0..<height {
                    let base = y * width, out = y * outWidth
                    for (ox, (x0, x1, lx)) in xs.enumerated() {
                        r[out + ox] = (1 - lx) * s[base + x0] + lx * s[base + x1]
                    }
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: outHeight * outWidth)
        rows.withUnsafeBufferPointer { r in
            pixels.withUnsafeMutableBufferPointer { p in
                for (oy, (y0, y1, ly)) in ys.enumerated() {
                    let a = y0 * outWidth, b = y1 * outWidth, out = oy * outWidth, hy = 1 - ly
                    for x in 0..<outWidth where hy * r[a + x] + ly * r[b + x] > threshold { p[out + x] = 1 }
                }
            }
        }
        return pixels
    }

    /// For each output index: the two source indices and the weight of the second
    /// (torch's align_corners=False source index, clamped at 0 and at the edge).
    static func taps(_ inSize: Int, _ outSize: Int) -> [(Int, Int, Float)] {
        let scale = Float(inSize) / Float(outSize)
        return (0..<outSize).map { d in
            let s = max((Float(d) + 0.5) * scale - 0.5, 0)
            let i0 = min(Int(s), inSize - 1)
            return (i0, min(i0 + 1, inSize - 1), s - Float(i0))
        }
    }
}
