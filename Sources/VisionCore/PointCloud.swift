import Foundation

/// Coloured 3-D points: xyz as float32 triples, colours as RGB byte triples.
public struct PointCloud: Sendable, Equatable {
    public var positions: [Float] = []
    public var colors: [UInt8] = []
    public var count: Int { positions.count / 3 }

    public init() {}

    /// Per-axis minimum and maximum of the positions (nil when empty).
    public var bounds: (min: [Float], max: [Float])? {
        guard count > 0 else { return nil }
        var lo = [Float](repeating: .infinity, count: 3), hi = [Float](repeating: -.infinity, count: 3)
        for i in 0..<count {
            for a in 0..<3 {
                lo[a] = min(lo[a], positions[i * 3 + a]); hi[a] = max(hi[a], positions[i * 3 + a])
            }
        }
        return (lo, hi)
    }

    /// A depth map back-projected through a pinhole camera: pixel (u, v) at integer coordinates,
    /// `depth · K⁻¹ (u, v, 1)` in the camera frame, then camera-to-world (the inverse of the
    /// world-to-camera `extrinsics` [R | t]). Pixels without finite positive depth, or with a
    /// confidence under `minimumConfidence`, are left out.
    public static func backProject(depth: [Float], confidence: [Float]?, width: Int, height: Int,
                                   intrinsics k: [[Double]], extrinsics e: [[Double]], image: RGBImage,
                                   minimumConfidence: Float) -> PointCloud {
        var cloud = PointCloud()
        let fx = k[0][0], fy = k[1][1], cx = k[0][2], cy = k[1][2]
        for v in 0..<height {
            for u in 0..<width {
                let i = v * width + u
                let d = Double(depth[i])
                guard d.isFinite, d > 0 else { continue }
                if let confidence, confidence[i] < minimumConfidence { continue }
                let camera = [(Double(u) - cx) / fx * d, (Double(v) - cy) / fy * d, d]
                let shifted = (0..<3).map { camera[$0] - e[$0][3] }
                for a in 0..<3 {
                    // Rᵀ (x - t)
                    cloud.positions.append(Float(e[0][a] * shifted[0] + e[1][a] * shifted[1] + e[2][a] * shifted[2]))
                }
                cloud.colors.append(contentsOf: image.pixels[(i * 3)..<(i * 3 + 3)])
            }
        }
        return cloud
    }
}

/// numpy's default percentile (linear interpolation between closest ranks), `q` in 0...100.
public func percentile(_ values: [Float], _ q: Double) -> Float {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let position = Double(sorted.count - 1) * q / 100
    let lo = Int(position.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
    let fraction = position - Double(lo)
    return Float(Double(sorted[lo]) + (Double(sorted[hi]) - Double(sorted[lo])) * fraction)
}
