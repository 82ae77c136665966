/// Planar float image (channels × height × width), the layout models take.
public struct PlanarImage: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public var data: [Float]

    public init(channels: Int, height: Int, width: Int, data: [Float]) {
        precondition(data.count == channels * height * width, "planar buffer size mismatch")
        self.channels = channels
        self.height = height
        self.width = width
        self.data = data
    }

    /// The RGB values as floats, optionally multiplied by `scale` (rounded to float32 first, as
    /// torch does when it multiplies a uint8 tensor by a Python float).
    public init(_ image: RGBImage, scale: Float? = nil) {
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: plane * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for p in 0..<plane {
                    for c in 0..<3 {
                        let v = Float(src[p * 3 + c])
                        dst[c * plane + p] = scale.map { v * $0 } ?? v
                    }
                }
            }
        }
        self.init(channels: 3, height: image.height, width: image.width, data: out)
    }
}

/// Image resizing that reproduces torch's `interpolate(..., antialias=True)` as torchvision's
/// `resize` calls it: on uint8 with torch's fixed-point kernels, on float32 in float arithmetic.
public enum ImageResize {
    /// Resizes an 8-bit image. Nearest uses torch's `nearest-exact`; every other filter is
    /// antialiased and computed in fixed point, horizontal pass first, rounded to uint8 per pass.
    public static func resize(_ image: RGBImage, width: Int, height: Int, filter: ResampleFilter) -> RGBImage {
        if width == image.width && height == image.height { return image }
        if filter == .nearest { return nearestExact(image, width: width, height: height) }
        var current = image
        if width != current.width {
            current = horizontalPass(current, width: width, filter: filter)
        }
        if height != current.height {
            current = verticalPass(current, height: height, filter: filter)
        }
        return current
    }

    private static func nearestExact(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        let sx = Float(image.width) / Float(width)
        let sy = Float(image.height) / Float(height)
        let xs = (0..<width).map { min(Int((Float($0) + 0.5) * sx), image.width - 1) }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let srcY = min(Int((Float(y) + 0.5) * sy), image.height - 1)
                    for x in 0..<width {
                        let s = (srcY * image.width + xs[x]) * 3
                        let d = (y * width + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    @inline(__always)
    private static func clampToByte(_ value: Int32, precision: Int) -> UInt8 {
        let v = value >> Int32(precision)
        return UInt8(clamping: v)
    }

    private static func horizontalPass(_ image: RGBImage, width: Int, filter: ResampleFilter) -> RGBImage {
        let axis = AxisWeights(inputSize: image.width, outputSize: width, filter: filter)
        let (weights, precision) = axis.fixedPoint()
        let rounding = Int32(1) << Int32(max(precision - 1, 0))
        var out = [UInt8](repeating: 0, count: width * image.height * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<image.height {
                    let row = y * image.width * 3
                    for x in 0..<width {
                        var r = rounding, g = rounding, b = rounding
                        let start = axis.starts[x], base = x * axis.stride
                        for k in 0..<axis.sizes[x] {
                            let w = weights[base + k]
                            let s = row + (start + k) * 3
                            r &+= Int32(src[s]) &* w
                            g &+= Int32(src[s + 1]) &* w
                            b &+= Int32(src[s + 2]) &* w
                        }
                        let d = (y * width + x) * 3
                        dst[d] = clampToByte(r, precision: precision)
                        dst[d + 1] = clampToByte(g, precision: precision)
                        dst[d + 2] = clampToByte(b, precision: precision)
                    }
                }
            }
        }
        return RGBImage(width: width, height: image.height, pixels: out)
    }

    private static func verticalPass(_ image: RGBImage, height: Int, filter: ResampleFilter) -> RGBImage {
        let axis = AxisWeights(inputSize: image.height, outputSize: height, filter: filter)
        let (weights, precision) = axis.fixedPoint()
        let rounding = Int32(1) << Int32(max(precision - 1, 0))
        let rowLength = image.width * 3
        var out = [UInt8](repeating: 0, count: rowLength * height)
        var accumulator = [Int32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<height {
                        for i in 0..<rowLength { acc[i] = rounding }
                        let start = axis.starts[y], base = y * axis.stride
                        for k in 0..<axis.sizes[y] {
                            let w = weights[base + k]
                            let row = (start + k) * rowLength
                            for i in 0..<rowLength { acc[i] &+= Int32(src[row + i]) &* w }
                        }
                        let d = y * rowLength
                        for i in 0..<rowLength { dst[d + i] = clampToByte(acc[i], precision: precision) }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: height, pixels: out)
    }

    /// Resizes a float image with antialiasing (bilinear, bicubic, ...) in float32 arithmetic,
    /// width first, as torch's generic separable kernel does.
    public static func resize(_ image: PlanarImage, width: Int, height: Int, filter: ResampleFilter) -> PlanarImage {
        var current = image
        if width != current.width {
            let axis = AxisWeights(inputSize: current.width, outputSize: width, filter: filter)
            let w = axis.weights.map { Float($0) }
            var out = [Float](repeating: 0, count: current.channels * current.height * width)
            let inWidth = current.width
            current.data.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<(current.channels * current.height) {
                        let s = row * inWidth, d = row * width
                        for x in 0..<width {
                            let start = axis.starts[x], base = x * axis.stride
                            var t = src[s + start] * w[base]
                            for k in 1..<max(axis.sizes[x], 1) { t += src[s + start + k] * w[base + k] }
                            dst[d + x] = t
                        }
                    }
                }
            }
            current = PlanarImage(channels: current.channels, height: current.height, width: width, data: out)
        }
        if height != current.height {
            let axis = AxisWeights(inputSize: current.height, outputSize: height, filter: filter)
            let w = axis.weights.map { Float($0) }
            let plane = current.width
            var out = [Float](repeating: 0, count: current.channels * height * plane)
            let inHeight = current.height
            current.data.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for c in 0..<current.channels {
                        for y in 0..<height {
                            let start = axis.starts[y], base = y * axis.stride
                            let d = (c * height + y) * plane
                            let s0 = (c * inHeight + start) * plane
                            for x in 0..<plane { dst[d + x] = src[s0 + x] * w[base] }
                            for k in 1..<max(axis.sizes[y], 1) {
                                let s = (c * inHeight + start + k) * plane
                                let wk = w[base + k]
                                for x in 0..<plane { dst[d + x] += src[s + x] * wk }
                            }
                        }
                    }
                }
            }
            current = PlanarImage(channels: current.channels, height: height, width: plane, data: out)
        }
        return current
    }
}
