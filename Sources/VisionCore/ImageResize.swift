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
            let rows = current.channels * current.height, inWidth = current.width
            current = current.data.withUnsafeBufferPointer { src in
                horizontalFloatPass(rows: rows, inWidth: inWidth, width: width, filter: filter,
                                    channels: current.channels, height: current.height) { columns in
                    for row in 0..<rows {
                        for x in 0..<inWidth { columns[x * rows + row] = src[row * inWidth + x] }
                    }
                }
            }
        }
        return verticalFloatPass(current, height: height, filter: filter)
    }

    /// `PlanarImage(image, scale:)` followed by `resize`, fused: the uint8 values are converted and
    /// scaled (float32, as torch's `uint8 * float`) straight into the horizontal pass's buffer, so
    /// the full-size planar image is never built. Bit-identical to the unfused path.
    public static func resizeRescaled(_ image: RGBImage, scale: Float?, width: Int, height: Int,
                                      filter: ResampleFilter) -> PlanarImage {
        guard width != image.width else {
            return verticalFloatPass(PlanarImage(image, scale: scale), height: height, filter: filter)
        }
        let inWidth = image.width, inHeight = image.height, rows = 3 * inHeight
        let horizontal = image.pixels.withUnsafeBufferPointer { src in
            horizontalFloatPass(rows: rows, inWidth: inWidth, width: width, filter: filter,
                                channels: 3, height: inHeight) { columns in
                let factor = scale ?? 1
                // Blocks of rows keep both the reads and the column writes cache-friendly.
                let block = 16
                for y0 in stride(from: 0, to: inHeight, by: block) {
                    let y1 = min(y0 + block, inHeight)
                    for x in 0..<inWidth {
                        let d = x * rows
                        for y in y0..<y1 {
                            let s = (y * inWidth + x) * 3
                            columns[d + y] = Float(src[s]) * factor
                            columns[d + inHeight + y] = Float(src[s + 1]) * factor
                            columns[d + 2 * inHeight + y] = Float(src[s + 2]) * factor
                        }
                    }
                }
            }
        }
        return verticalFloatPass(horizontal, height: height, filter: filter)
    }

    /// One horizontal pass over `rows` rows (channel-major). `fill` writes the input column-major
    /// (`columns[x * rows + row]`), so that each output column is a weighted sum of whole input
    /// columns: contiguous, vectorisable loops, with each value's sum in torch's order (first tap
    /// times its weight, then each further tap added).
    @inline(__always)
    private static func horizontalFloatPass(rows: Int, inWidth: Int, width: Int, filter: ResampleFilter,
                                            channels: Int, height: Int,
                                            _ fill: (_ columns: UnsafeMutableBufferPointer<Float>) -> Void) -> PlanarImage {
        let axis = AxisWeights(inputSize: inWidth, outputSize: width, filter: filter)
        let weights = axis.weights.map { Float($0) }
        let columns = [Float](unsafeUninitializedCapacity: rows * inWidth) { buffer, count in
            fill(buffer)
            count = rows * inWidth
        }
        var resized = [Float](repeating: 0, count: rows * width)
        columns.withUnsafeBufferPointer { src in
            resized.withUnsafeMutableBufferPointer { dst in
                for x in 0..<width {
                    let start = axis.starts[x], base = x * axis.stride
                    let out = dst.baseAddress! + x * rows
                    let first = src.baseAddress! + start * rows
                    let w0 = weights[base]
                    for r in 0..<rows { out[r] = first[r] * w0 }
                    var k = 1
                    while k < axis.sizes[x] {
                        let column = src.baseAddress! + (start + k) * rows
                        let wk = weights[base + k]
                        for r in 0..<rows { out[r] += column[r] * wk }
                        k += 1
                    }
                }
            }
        }
        // Back to row-major planar layout.
        let out = resized.withUnsafeBufferPointer { src in
            [Float](unsafeUninitializedCapacity: rows * width) { dst, count in
                for r in 0..<rows {
                    for x in 0..<width { dst[r * width + x] = src[x * rows + r] }
                }
                count = rows * width
            }
        }
        return PlanarImage(channels: channels, height: height, width: width, data: out)
    }

    private static func verticalFloatPass(_ image: PlanarImage, height: Int, filter: ResampleFilter) -> PlanarImage {
        guard height != image.height else { return image }
        let axis = AxisWeights(inputSize: image.height, outputSize: height, filter: filter)
        let weights = axis.weights.map { Float($0) }
        let plane = image.width, inHeight = image.height
        var out = [Float](repeating: 0, count: image.channels * height * plane)
        weights.withUnsafeBufferPointer { w in
            image.data.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for c in 0..<image.channels {
                        for y in 0..<height {
                            let start = axis.starts[y], base = y * axis.stride
                            let d = (c * height + y) * plane
                            let s0 = (c * inHeight + start) * plane
                            let w0 = w[base]
                            for x in 0..<plane { dst[d + x] = src[s0 + x] * w0 }
                            var k = 1
                            while k < axis.sizes[y] {
                                let s = (c * inHeight + start + k) * plane
                                let wk = w[base + k]
                                for x in 0..<plane { dst[d + x] += src[s + x] * wk }
                                k += 1
                            }
                        }
                    }
                }
            }
        }
        return PlanarImage(channels: image.channels, height: height, width: plane, data: out)
    }
}
