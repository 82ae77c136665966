import Foundation

/// `cv2.resize` on 8-bit RGB as the `depth-anything-3` package calls it (opencv-python 4.12 wheels):
/// `INTER_AREA` exactly, `INTER_CUBIC` as the wheel's IPP path computes it (double-precision
/// coefficients, float accumulation, round half to even; equal to it on all but a few thousandths
/// of a percent of values, which then differ by one level).
public enum OpenCVResize {
    public enum Interpolation: Sendable {
        case cubic
        case area
    }

    public static func resize(_ image: RGBImage, width: Int, height: Int, interpolation: Interpolation) -> RGBImage {
        precondition(width > 0 && height > 0, "resize to an empty image")
        if width == image.width && height == image.height { return image }
        switch interpolation {
        case .cubic:
            return separable(image, width: width, height: height,
                             columns: cubicTaps(source: image.width, target: width),
                             rows: cubicTaps(source: image.height, target: height))
        case .area:
            let sx = Double(image.width) / Double(width), sy = Double(image.height) / Double(height)
            let ix = Int(sx.rounded()), iy = Int(sy.rounded())
            if abs(sx - Double(ix)) < Double.ulpOfOne && abs(sy - Double(iy)) < Double.ulpOfOne {
                return areaFast(image, width: width, height: height, factorX: ix, factorY: iy)
            }
            return separable(image, width: width, height: height,
                             columns: areaTaps(source: image.width, target: width),
                             rows: areaTaps(source: image.height, target: height))
        }
    }

    /// For each output index: the source indices and their float weights.
    struct Taps {
        var index: [[Int]]
        var weight: [[Float]]
    }

    static func cubicTaps(source: Int, target: Int) -> Taps {
        let scale = Double(source) / Double(target)
        let a = -0.75
        var taps = Taps(index: [], weight: [])
        for d in 0..<target {
            let f = (Double(d) + 0.5) * scale - 0.5
            let base = f.rounded(.down)
            let x = f - base
            let c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
            let c1 = ((a + 2) * x - (a + 3)) * x * x + 1
            let c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
            let c3 = 1 - c0 - c1 - c2
            let s = Int(base)
            taps.index.append((0..<4).map { min(max(s - 1 + $0, 0), source - 1) })
            taps.weight.append([c0, c1, c2, c3].map { Float($0) })
        }
        return taps
    }

    /// OpenCV's area table: the cells each output pixel covers, weighted by the covered fraction.
    static func areaTaps(source: Int, target: Int) -> Taps {
        let scale = Double(source) / Double(target)
        var taps = Taps(index: [], weight: [])
        for d in 0..<target {
            let f1 = Double(d) * scale, f2 = f1 + scale
            let cell = min(scale, Double(source) - f1)
            var s2 = Int(f2.rounded(.down))
            s2 = min(s2, source - 1)
            let s1 = min(Int(f1.rounded(.up)), s2)
            var index: [Int] = [], weight: [Float] = []
            if Double(s1) - f1 > 1e-3 { index.append(s1 - 1); weight.append(Float((Double(s1) - f1) / cell)) }
            for s in s1..<s2 { index.append(s); weight.append(Float(1 / cell)) }
            if f2 - Double(s2) > 1e-3 {
                index.append(s2); weight.append(Float(min(min(f2 - Double(s2), 1), cell) / cell))
            }
            taps.index.append(index)
            taps.weight.append(weight)
        }
        return taps
    }

    /// Horizontal then vertical weighted sums in float, rounded half to even and saturated.
    static func separable(_ image: RGBImage, width: Int, height: Int, columns: Taps, rows: Taps) -> RGBImage {
        let srcW = image.width, srcH = image.height
        var horizontal = [Float](repeating: 0, count: srcH * width * 3)
        image.pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { dst in
                for y in 0..<srcH {
                    let row = y * srcW * 3, out = y * width * 3
                    for x in 0..<width {
                        let idx = columns.index[x], w = columns.weight[x]
                        for c in 0..<3 {
                            var acc: Float = 0
                            for k in 0..<idx.count { acc += Float(src[row + idx[k] * 3 + c]) * w[k] }
                            dst[out + x * 3 + c] = acc
                        }
                    }
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let rowLength = width * 3
        horizontal.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let idx = rows.index[y], w = rows.weight[y], out = y * rowLength
                    for i in 0..<rowLength {
                        var acc: Float = 0
                        for k in 0..<idx.count { acc += src[idx[k] * rowLength + i] * w[k] }
                        dst[out + i] = UInt8(max(0, min(255, acc.rounded(.toNearestOrEven))))
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Integer shrink factors: block means. 2×2 rounds half up as OpenCV's vector path does; other
    /// factors multiply the sum by 1/area in float and round half to even.
    static func areaFast(_ image: RGBImage, width: Int, height: Int, factorX: Int, factorY: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let area = factorX * factorY
        let inverse = 1 / Float(area)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    var sum = 0
                    for dy in 0..<factorY {
                        let row = (y * factorY + dy) * image.width * 3
                        for dx in 0..<factorX { sum += Int(image.pixels[row + (x * factorX + dx) * 3 + c]) }
                    }
                    let value = factorX == 2 && factorY == 2
                        ? (sum + 2) >> 2 : Int((Float(sum) * inverse).rounded(.toNearestOrEven))
                    pixels[(y * width + x) * 3 + c] = UInt8(max(0, min(255, value)))
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
