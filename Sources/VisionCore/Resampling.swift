import Foundation

/// Resampling filters, numbered as PIL's `Image.Resampling` (the `resample` field of
/// `preprocessor_config.json`).
public enum ResampleFilter: Int, Sendable, Equatable, Codable {
    case nearest = 0
    case lanczos = 1
    case bilinear = 2
    case bicubic = 3
    case box = 4
    case hamming = 5

    /// Half-width of the filter kernel at scale 1.
    var support: Double {
        switch self {
        case .nearest, .box: 0.5
        case .bilinear, .hamming: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }

    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest, .box:
            return (x > -0.5 && x <= 0.5) ? 1 : 0
        case .bilinear:
            let a = abs(x)
            return a < 1 ? 1 - a : 0
        case .hamming:
            let a = abs(x)
            if a == 0 { return 1 }
            if a >= 1 { return 0 }
            let px = Double.pi * x
            return sin(px) / px * (0.54 + 0.46 * cos(px))
        case .bicubic:
            // Keys cubic with a = -0.5, as PIL and torch's antialiased kernels use.
            let a = -0.5
            let t = abs(x)
            if t < 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
            if t < 2 { return (((t - 5) * t + 8) * t - 4) * a }
            return 0
        case .lanczos:
            let t = abs(x)
            if t >= 3 { return 0 }
            return sinc(x) * sinc(x / 3)
        }
    }

    private func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let px = Double.pi * x
        return sin(px) / px
    }
}

/// Precomputed antialiased resampling weights for one axis: each output position reads
/// `sizes[i]` inputs starting at `starts[i]`, weighted by `weights[i * stride ..< i * stride + sizes[i]]`.
struct AxisWeights {
    var starts: [Int]
    var sizes: [Int]
    var stride: Int
    var weights: [Double]

    /// Weights as torch's antialiased interpolation (and PIL) compute them.
    init(inputSize: Int, outputSize: Int, filter: ResampleFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let support = filter.support * (scale >= 1 ? scale : 1)
        let invScale = scale >= 1 ? 1 / scale : 1
        let maxSize = Int(ceil(support)) * 2 + 1
        starts = [Int](repeating: 0, count: outputSize)
        sizes = [Int](repeating: 0, count: outputSize)
        stride = maxSize
        weights = [Double](repeating: 0, count: outputSize * maxSize)
        for i in 0..<outputSize {
            let center = scale * (Double(i) + 0.5)
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), inputSize)
            let count = min(hi - lo, maxSize)
            var total = 0.0
            for j in 0..<count {
                let w = filter.weight((Double(j + lo) - center + 0.5) * invScale)
                weights[i * maxSize + j] = w
                total += w
            }
            if total != 0 {
                for j in 0..<count { weights[i * maxSize + j] /= total }
            }
            starts[i] = lo
            sizes[i] = count
        }
    }

    /// The weights as fixed-point int16 values with the precision torch's uint8 kernels choose:
    /// the most fractional bits (≤ 22) that keep the largest weight below 2^15.
    func fixedPoint() -> (weights: [Int32], precision: Int) {
        let maxWeight = weights.max() ?? 1
        var precision = 0
        while precision < 22 {
            let next = Int(0.5 + maxWeight * Double(1 << (precision + 1)))
            if next >= (1 << 15) { break }
            precision += 1
        }
        let factor = Double(1 << precision)
        let fixed = weights.map { w -> Int32 in
            let v = w * factor
            return Int32(v < 0 ? Int(-0.5 + v) : Int(0.5 + v))
        }
        return (fixed, precision)
    }
}
