import Foundation

/// A pinhole camera as Depth Anything 3 predicts it, in processed-image pixels.
public struct CameraParameters: Sendable, Equatable {
    /// World-to-camera [R | t], 3 rows of 4 (OpenCV axes: x right, y down, z forward).
    public let extrinsics: [[Double]]
    /// [[fx, 0, cx], [0, fy, cy], [0, 0, 1]].
    public let intrinsics: [[Double]]

    /// The package's `pose_encoding_to_extri_intri` then `affine_inverse`: `poseEncoding` is
    /// (translation xyz, quaternion xyzw, fov_h, fov_w) of the camera-to-world pose.
    public init(poseEncoding p: [Float], height: Int, width: Int) {
        precondition(p.count == 9, "pose encoding has 9 values")
        let q = p[3..<7].map(Double.init)
        let rotation = Self.rotation(i: q[0], j: q[1], k: q[2], r: q[3])
        let t = p[0..<3].map(Double.init)
        // Inverse of [R | t]: [Rᵀ | -Rᵀ t].
        var extrinsics: [[Double]] = []
        for row in 0..<3 {
            let rt = (0..<3).map { rotation[$0][row] }
            let translation = -(rt[0] * t[0] + rt[1] * t[1] + rt[2] * t[2])
            extrinsics.append(rt + [translation])
        }
        let fy = (Double(height) / 2) / max(tan(Double(p[7]) / 2), 1e-6)
        let fx = (Double(width) / 2) / max(tan(Double(p[8]) / 2), 1e-6)
        self.extrinsics = extrinsics
        self.intrinsics = [[fx, 0, Double(width) / 2], [0, fy, Double(height) / 2], [0, 0, 1]]
    }

    /// The package's `quat_to_mat`: the rotation of quaternion (i, j, k, r), real part last,
    /// normalised by its squared norm.
    static func rotation(i: Double, j: Double, k: Double, r: Double) -> [[Double]] {
        let twoS = 2 / (i * i + j * j + k * k + r * r)
        return [
            [1 - twoS * (j * j + k * k), twoS * (i * j - k * r), twoS * (i * k + j * r)],
            [twoS * (i * j + k * r), 1 - twoS * (i * i + k * k), twoS * (j * k - i * r)],
            [twoS * (i * k - j * r), twoS * (j * k + i * r), 1 - twoS * (i * i + j * j)],
        ]
    }

    /// The same camera with its world-to-camera translation times `scale` (a scene's metric scale).
    public func scalingTranslation(by scale: Double) -> CameraParameters {
        CameraParameters(extrinsics: extrinsics.map { row in Array(row[0..<3]) + [row[3] * scale] }, intrinsics: intrinsics)
    }

    /// A camera as given (3 rows of 4, and 3×3).
    init(extrinsics: [[Double]], intrinsics: [[Double]]) {
        self.extrinsics = extrinsics
        self.intrinsics = intrinsics
    }
}
