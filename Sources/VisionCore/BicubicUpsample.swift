/// `torch.nn.functional.interpolate(x, size, mode="bicubic", align_corners=False)` on one float
/// plane, as `post_process_depth_estimation` uses it: Keys cubic with A = -0.75, source index
/// `scale * (i + 0.5) - 0.5` in float32, border samples clamped, no antialiasing, rows of the
/// width pass summed first, in torch's order.
public enum BicubicUpsample {
    struct Taps {
        var indices: [Int]  // 4 per output position
        var weights: [Float]
    }

    static func taps(inputSize: Int, outputSize: Int) -> Taps {
        let a: Float = -0.75
        let scale = Float(inputSize) / Float(outputSize)
        var indices = [Int](repeating: 0, count: outputSize * 4)
        var weights = [Float](repeating: 0, count: outputSize * 4)
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        for i in 0..<outputSize {
            let real = scale * (Float(i) + 0.5) - 0.5
            let index = min(Int(real.rounded(.down)), inputSize - 1)
            let t = min(max(real - Float(index), 0), 1)
            let w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            for j in 0..<4 {
                indices[i * 4 + j] = min(max(index - 1 + j, 0), inputSize - 1)
                weights[i * 4 + j] = w[j]
            }
        }
        return Taps(indices: indices, weights: weights)
    }

    /// Resizes a row-major `height`×`width` plane to `outHeight`×`outWidth`.
    public static func resize(_ values: [Float], height: Int, width: Int, outHeight: Int, outWidth: Int) -> [Float] {
        precondition(values.count == height * width, "plane size mismatch")
        if height == outHeight && width == outWidth { return values }
        let ty = taps(inputSize: height, outputSize: outHeight)
        let tx = taps(inputSize: width, outputSize: outWidth)
        var out = [Float](repeating: 0, count: outHeight * outWidth)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        var output: Float = 0
                        for i in 0..<4 {
                            let row = ty.indices[y * 4 + i] * width
                            var t = src[row + tx.indices[x * 4]] * tx.weights[x * 4]
                            for j in 1..<4 { t += src[row + tx.indices[x * 4 + j]] * tx.weights[x * 4 + j] }
                            if i == 0 { output = t * ty.weights[y * 4] } else { output += t * ty.weights[y * 4 + i] }
                        }
                        dst[y * outWidth + x] = output
                    }
                }
            }
        }
        return out
    }
}
