import Foundation
import VisionCore

/// The package's GaussianAdapter settings, as the exporter writes them in config.json
/// `gaussians` (da3-giant and the nested preset's any-view branch have a Gaussian head).
struct GaussianSettings: Sendable, Equatable {
    let shDegree: Int
    let predColor: Bool
    let predOffsetDepth: Bool
    let predOffsetXY: Bool
    let scaleMin: Double
    let scaleMax: Double

    init?(_ config: Any?) {
        guard let c = config as? [String: Any] else { return nil }
        shDegree = (c["sh_degree"] as? Int) ?? 0
        predColor = (c["pred_color"] as? Bool) ?? false
        predOffsetDepth = (c["pred_offset_depth"] as? Bool) ?? false
        predOffsetXY = (c["pred_offset_xy"] as? Bool) ?? true
        scaleMin = (c["scale_min"] as? Double) ?? 1e-5
        scaleMax = (c["scale_max"] as? Double) ?? 30
    }

    /// Spherical-harmonic coefficients per colour channel.
    var shCount: Int { predColor ? 1 : (shDegree + 1) * (shDegree + 1) }
    /// Channels of `gs_raw` per pixel.
    var channels: Int { (predOffsetXY ? 2 : 0) + 3 + 4 + 3 * shCount + (predOffsetDepth ? 1 : 0) }
}

/// One view's Gaussians, one per pixel (row-major), before the export's pruning.
struct ViewGaussians: Sendable {
    let height: Int
    let width: Int
    /// xyz per pixel, world frame.
    var means: [Float]
    /// 3 per pixel, world units.
    var scales: [Float]
    /// xyzw per pixel (the package's world quaternion, as its PLY stores it).
    let rotations: [Float]
    /// The DC spherical-harmonic coefficient of each colour channel (rotation leaves it unchanged).
    let colorDC: [Float]
    /// Opacity in (0, 1).
    let opacities: [Float]
}

extension GaussianSettings {
    /// GaussianAdapter.forward on one view: `raw` (H·W·channels) and `density` from the graph,
    /// the view's depth and predicted camera (the adapter takes the network's own cameras, even
    /// with known ones). Means along each pixel's normalised ray (its centre moved by the xy
    /// offset) at depth + the depth offset; scales scale_min + range·sigmoid, times that depth and
    /// 0.1 (1/fx + 1/fy); rotations from camera to world; opacity the density (map_pdf_to_opacity
    /// at step 0).
    func gaussians(raw: [Float], density: [Float], depth: [Float], camera: CameraParameters, height: Int, width: Int)
        -> ViewGaussians {
        let n = height * width, c = channels
        let c2w = CameraConditioning.rigidInverse(camera.extrinsics)
        let k = camera.intrinsics
        let (w, h) = (Double(width), Double(height))
        let (fx, fy, cx, cy) = (k[0][0] / w, k[1][1] / h, k[0][2] / w, k[1][2] / h)
        let multiplier = 0.1 * (1 / k[0][0] + 1 / k[1][1])
        let scaleBase = predOffsetXY ? 2 : 0, rotationBase = scaleBase + 3, shBase = rotationBase + 4
        var means = [Float](repeating: 0, count: 3 * n), scales = means
        var rotations = [Float](repeating: 0, count: 4 * n), colorDC = means
        var opacities = [Float](repeating: 0, count: n)
        for i in 0..<height {
            for j in 0..<width {
                let p = i * width + j, r = p * c
                let d = Double(depth[p]) + (predOffsetDepth ? Double(raw[r + c - 1]) : 0)
                var x = (Double(j) + 0.5) / w, y = (Double(i) + 0.5) / h
                if predOffsetXY { x += Double(raw[r]) / w; y += Double(raw[r + 1]) / h }
                var ray = [(x - cx) / fx, (y - cy) / fy, 1.0]
                let length = (ray[0] * ray[0] + ray[1] * ray[1] + 1).squareRoot()
                ray = ray.map { $0 / length }
                for a in 0..<3 {
                    let world = c2w[a][0] * ray[0] + c2w[a][1] * ray[1] + c2w[a][2] * ray[2]
                    means[3 * p + a] = Float(c2w[a][3] + world * d)
                    let sigmoid = 1 / (1 + exp(-Double(raw[r + scaleBase + a])))
                    scales[3 * p + a] = Float((scaleMin + (scaleMax - scaleMin) * sigmoid) * d * multiplier)
                    colorDC[3 * p + a] = raw[r + shBase + a * shCount]
                }
                let q = (0..<4).map { Double(raw[r + rotationBase + $0]) }
                let norm = (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]).squareRoot() + 1e-8
                // The package turns xyzw into wxyz and reads that as xyzw again (its "historical
                // issue"); the PLY holds the result, so the same here.
                let cam = CameraParameters.rotation(i: q[3] / norm, j: q[0] / norm, k: q[1] / norm, r: q[2] / norm)
                let world = CameraConditioning.multiply((0..<3).map { Array(c2w[$0][0..<3]) }, cam)
                for (a, v) in CameraConditioning.quaternion(world).enumerated() { rotations[4 * p + a] = Float(v) }
                opacities[p] = density[p]
            }
        }
        return ViewGaussians(height: height, width: width, means: means, scales: scales, rotations: rotations,
                             colorDC: colorDC, opacities: opacities)
    }
}

extension ViewGaussians {
    /// The same Gaussians with the scene scaled (positions and sizes) by `factor`.
    func scaled(by factor: Double) -> ViewGaussians {
        guard factor != 1 else { return self }
        var out = self
        out.means = means.map { Float(Double($0) * factor) }
        out.scales = scales.map { Float(Double($0) * factor) }
        return out
    }
}

/// The package's `export_to_gs_ply` (save_gaussian_ply with its defaults): per view, pixels
/// int(8/256 · H) rows and int(8/256 · W) columns from the border dropped and those deeper than
/// the view's 0.9 quantile of the final depth; then the standard 3DGS PLY (binary little-endian
/// float32: x y z, nx ny nz (0), f_dc_0..2, opacity (logit), scale_0..2 (log), rot_0..3). Where
/// that border is 0 (a side under 32 px) the package's slice keeps nothing; here nothing is
/// trimmed.
enum GaussianPLY {
    static let properties = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2", "opacity",
                             "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]

    /// The kept pixels of each view, in order.
    static func kept(_ views: [ViewGaussians], depths: [[Float]]) -> [[Int]] {
        zip(views, depths).map { view, depth in
            let far = percentile(depth, 90)
            let th = Int(8.0 / 256.0 * Double(view.height)), tw = Int(8.0 / 256.0 * Double(view.width))
            var keep: [Int] = []
            for i in th..<(view.height - th) {
                for j in tw..<(view.width - tw) where depth[i * view.width + j] <= far { keep.append(i * view.width + j) }
            }
            return keep
        }
    }

    static func file(_ views: [ViewGaussians], depths: [[Float]]) -> (data: [UInt8], count: Int) {
        let kept = kept(views, depths: depths)
        let count = kept.reduce(0) { $0 + $1.count }
        var out = Array(("ply\nformat binary_little_endian 1.0\nelement vertex \(count)\n"
                         + properties.map { "property float \($0)\n" }.joined() + "end_header\n").utf8)
        out.reserveCapacity(out.count + count * properties.count * 4)
        func put(_ v: Float) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        for (view, pixels) in zip(views, kept) {
            for p in pixels {
                for a in 0..<3 { put(view.means[3 * p + a]) }
                for _ in 0..<3 { put(0) }
                for a in 0..<3 { put(view.colorDC[3 * p + a]) }
                let o = view.opacities[p]
                put(log(o / (1 - o)))
                for a in 0..<3 { put(log(view.scales[3 * p + a])) }
                for a in 0..<4 { put(view.rotations[4 * p + a]) }
            }
        }
        return (out, count)
    }
}
