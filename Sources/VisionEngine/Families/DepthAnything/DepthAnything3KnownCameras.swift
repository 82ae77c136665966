import Foundation
import VisionCore

/// Cameras a request knows, one per view, for Depth Anything 3's camera encoder, as the package's
/// `inference(images, extrinsics=..., intrinsics=...)` takes them: world-to-camera extrinsics
/// (OpenCV axes; 3×4 or 4×4 rows) and intrinsics [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] in the
/// original image's pixels.
struct KnownCameras: Sendable, Equatable {
    /// World-to-camera, 4×4 (a 3×4 input gains [0, 0, 0, 1]).
    let extrinsics: [[[Double]]]
    /// Per view, in the original image's pixels.
    let intrinsics: [[[Double]]]

    /// Checks the request's matrices: both given, one per image, finite, rotations orthonormal with
    /// determinant 1 (within 1e-3), positive focal lengths.
    init(extrinsics: [[[Double]]]?, intrinsics: [[[Double]]]?, images: Int) throws {
        guard let extrinsics, let intrinsics else {
            throw VisionError.invalidInput(
                "extrinsics and intrinsics go together: Depth Anything 3's camera encoder takes both (the package "
                + "ignores intrinsics alone); give one 3×3 intrinsics and one 3×4 or 4×4 world-to-camera "
                + "extrinsics per image")
        }
        guard extrinsics.count == images, intrinsics.count == images else {
            throw VisionError.invalidInput(
                "\(images) image(s) need as many extrinsics and intrinsics, got \(extrinsics.count) and \(intrinsics.count)")
        }
        var full: [[[Double]]] = []
        for (i, e) in extrinsics.enumerated() {
            guard (e.count == 3 || e.count == 4), e.allSatisfy({ $0.count == 4 }), e.joined().allSatisfy(\.isFinite) else {
                throw VisionError.invalidInput("extrinsics[\(i)] must be 3×4 or 4×4 finite numbers (world-to-camera [R|t])")
            }
            if e.count == 4, zip(e[3], [0.0, 0, 0, 1]).contains(where: { abs($0 - $1) > 1e-6 }) {
                throw VisionError.invalidInput("extrinsics[\(i)]: the last row of a 4×4 rigid transform is [0, 0, 0, 1]")
            }
            let r = (0..<3).map { Array(e[$0][0..<3]) }
            var worst = 0.0
            for a in 0..<3 {
                for b in 0..<3 {
                    let dot = (0..<3).reduce(0.0) { $0 + r[$1][a] * r[$1][b] }
                    worst = max(worst, abs(dot - (a == b ? 1 : 0)))
                }
            }
            guard worst <= 1e-3, Self.determinant(r) > 0 else {
                throw VisionError.invalidInput("extrinsics[\(i)]: its 3×3 part is not a rotation (orthonormal, determinant 1)")
            }
            full.append(Array(e[0..<3]) + [[0, 0, 0, 1]])
        }
        for (i, k) in intrinsics.enumerated() {
            guard k.count == 3, k.allSatisfy({ $0.count == 3 }), k.joined().allSatisfy(\.isFinite),
                  k[0][0] > 0, k[1][1] > 0 else {
                throw VisionError.invalidInput("intrinsics[\(i)] must be 3×3 [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] with fx, fy > 0")
            }
        }
        self.extrinsics = full
        self.intrinsics = intrinsics
    }

    private init(extrinsics: [[[Double]]], intrinsics: [[[Double]]]) {
        self.extrinsics = extrinsics
        self.intrinsics = intrinsics
    }

    /// One view's cameras (a scene of one image with `scene: false`).
    func view(_ i: Int) -> KnownCameras {
        KnownCameras(extrinsics: [extrinsics[i]], intrinsics: [intrinsics[i]])
    }

    static func determinant(_ m: [[Double]]) -> Double {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    }
}

/// The package's camera steps around the network, as pure functions of the matrices.
enum CameraConditioning {
    /// The package's `affine_inverse`: [Rᵀ | -Rᵀt] (a rigid transform's inverse), 4×4, of a 3×4
    /// or 4×4 [R | t] (only its first three rows are read).
    static func rigidInverse(_ a: [[Double]]) -> [[Double]] {
        var out = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for i in 0..<3 {
            for j in 0..<3 { out[i][j] = a[j][i] }
            out[i][3] = -(0..<3).reduce(0.0) { $0 + a[$1][i] * a[$1][3] }
        }
        out[3] = [0, 0, 0, 1]
        return out
    }

    static func multiply(_ a: [[Double]], _ b: [[Double]]) -> [[Double]] {
        (0..<a.count).map { i in (0..<b[0].count).map { j in (0..<b.count).reduce(0.0) { $0 + a[i][$1] * b[$1][j] } } }
    }

    /// `_normalize_extrinsics`: every view relative to the first (ext @ inverse(ext₀)), then the
    /// translations divided by the median (torch.median: the lower middle) of the camera centres'
    /// distances from the first, at least 0.1.
    static func normalized(_ extrinsics: [[[Double]]]) -> [[[Double]]] {
        let toFirst = rigidInverse(extrinsics[0])
        var out = extrinsics.map { multiply($0, toFirst) }
        let distances = out.map { e -> Double in
            let c = rigidInverse(e)
            return (c[0][3] * c[0][3] + c[1][3] * c[1][3] + c[2][3] * c[2][3]).squareRoot()
        }.sorted()
        let median = max(distances[(distances.count - 1) / 2], 0.1)
        for v in out.indices { for r in 0..<3 { out[v][r][3] /= median } }
        return out
    }

    /// `extri_intri_to_pose_encoding(affine_inverse(ext), K, (H, W))`: the camera-to-world
    /// translation, its rotation as a quaternion (xyzw, real part ≥ 0, the package's `mat_to_quat`),
    /// then fov_h = 2 atan(H / 2 / fy) and fov_w = 2 atan(W / 2 / fx).
    static func poseEncoding(extrinsics: [[Double]], intrinsics k: [[Double]], height: Int, width: Int) -> [Float] {
        let c2w = rigidInverse(extrinsics)
        let q = quaternion(c2w)
        let fovH = 2 * atan(Double(height) / 2 / k[1][1]), fovW = 2 * atan(Double(width) / 2 / k[0][0])
        return ([c2w[0][3], c2w[1][3], c2w[2][3]] + q + [fovH, fovW]).map(Float.init)
    }

    /// The package's `mat_to_quat` (pytorch3d's): of the four candidates the one with the largest
    /// |component|, divided by 2 max(that, 0.1); xyzw, negated when the real part is negative.
    static func quaternion(_ m: [[Double]]) -> [Double] {
        let (m00, m01, m02) = (m[0][0], m[0][1], m[0][2])
        let (m10, m11, m12) = (m[1][0], m[1][1], m[1][2])
        let (m20, m21, m22) = (m[2][0], m[2][1], m[2][2])
        let qAbs = [1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22]
            .map { max(0, $0).squareRoot() }
        let candidates: [[Double]] = [  // r, i, j, k
            [qAbs[0] * qAbs[0], m21 - m12, m02 - m20, m10 - m01],
            [m21 - m12, qAbs[1] * qAbs[1], m10 + m01, m02 + m20],
            [m02 - m20, m10 + m01, qAbs[2] * qAbs[2], m12 + m21],
            [m10 - m01, m20 + m02, m21 + m12, qAbs[3] * qAbs[3]],
        ]
        var best = 0
        for i in 1..<4 where qAbs[i] > qAbs[best] { best = i }
        let rijk = candidates[best].map { $0 / (2 * max(qAbs[best], 0.1)) }
        let xyzw = [rijk[1], rijk[2], rijk[3], rijk[0]]
        return xyzw[3] < 0 ? xyzw.map { -$0 } : xyzw
    }

    /// The Sim(3) scale evo's Umeyama alignment (`align_poses_umeyama`, without RANSAC) gives
    /// from the `source` cameras' centres onto the `target` ones: trace(D S) / σ² of the source
    /// centres, D the singular values of their cross-covariance, S flipping the smallest when its
    /// determinant is negative. The package (through evo) refuses fewer than 3 views or collinear
    /// centres (rank below 2); the scale is still defined there and is what this returns. 1 when
    /// the source centres coincide (one view).
    static func umeyamaScale(from source: [[[Double]]], onto target: [[[Double]]]) -> Double {
        umeyama(from: source, onto: target)?.scale ?? 1
    }

    /// That scale only where evo computes it (a cross-covariance of rank 2 or more), else nil.
    static func evoUmeyamaScale(from source: [[[Double]]], onto target: [[[Double]]]) -> Double? {
        guard let fit = umeyama(from: source, onto: target),
              fit.singularValues.filter({ $0 > Double.ulpOfOne }).count >= 2 else { return nil }
        return fit.scale
    }

    private static func umeyama(from source: [[[Double]]], onto target: [[[Double]]])
        -> (scale: Double, singularValues: [Double])? {
        let x = source.map(center), y = target.map(center)
        let n = Double(x.count)
        let meanX = (0..<3).map { i in x.reduce(0.0) { $0 + $1[i] } / n }
        let meanY = (0..<3).map { i in y.reduce(0.0) { $0 + $1[i] } / n }
        let sigma = x.reduce(0.0) { acc, p in acc + (0..<3).reduce(0.0) { $0 + pow(p[$1] - meanX[$1], 2) } } / n
        guard sigma > 1e-12 else { return nil }
        var cov = [[Double]](repeating: [0, 0, 0], count: 3)
        for (p, q) in zip(x, y) {
            for i in 0..<3 { for j in 0..<3 { cov[i][j] += (q[i] - meanY[i]) * (p[j] - meanX[j]) / n } }
        }
        let d = singularValues(cov)
        let flip = KnownCameras.determinant(cov) < 0
        return ((d[0] + d[1] + (flip ? -d[2] : d[2])) / sigma, d)
    }

    /// A world-to-camera transform's camera centre (the camera-to-world translation).
    static func center(_ extrinsics: [[Double]]) -> [Double] {
        let c = rigidInverse(extrinsics)
        return [c[0][3], c[1][3], c[2][3]]
    }

    /// Singular values of a 3×3 matrix, largest first: square roots of the eigenvalues of AᵀA by
    /// cyclic Jacobi rotations.
    static func singularValues(_ a: [[Double]]) -> [Double] {
        var m = multiply((0..<3).map { i in (0..<3).map { a[$0][i] } }, a)
        for _ in 0..<64 {
            let off = m[0][1] * m[0][1] + m[0][2] * m[0][2] + m[1][2] * m[1][2]
            if off < 1e-30 { break }
            for (p, q) in [(0, 1), (0, 2), (1, 2)] where m[p][q] != 0 {
                let theta = (m[q][q] - m[p][p]) / (2 * m[p][q])
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<3 {
                    let mkp = m[k][p], mkq = m[k][q]
                    m[k][p] = c * mkp - s * mkq
                    m[k][q] = s * mkp + c * mkq
                }
                for k in 0..<3 {
                    let mpk = m[p][k], mqk = m[q][k]
                    m[p][k] = c * mpk - s * mqk
                    m[q][k] = s * mpk + c * mqk
                }
            }
        }
        return [m[0][0], m[1][1], m[2][2]].map { max(0, $0).squareRoot() }.sorted(by: >)
    }
}
