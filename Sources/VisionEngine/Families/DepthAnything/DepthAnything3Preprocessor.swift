import VisionCore

/// The `depth-anything-3` package's InputProcessor ("upper_bound_resize"): the longest side to
/// `processRes` with OpenCV (cubic when enlarging, area when shrinking), each side to the nearest
/// multiple of the patch size (a second small OpenCV resize), then ToTensor + ImageNet
/// normalisation in float32.
struct DepthAnything3Preprocessor: Sendable {
    let processRes: Int
    let patchSize: Int
    let mean: [Float]
    let std: [Float]

    /// The resized uint8 image the model sees (also the point cloud's colours).
    func resized(_ image: RGBImage) throws -> RGBImage {
        let (first, final) = try sizes(width: image.width, height: image.height)
        var current = image
        if first != (image.width, image.height) {
            let enlarge = max(first.0, first.1) > max(image.width, image.height)
            current = OpenCVResize.resize(image, width: first.0, height: first.1, interpolation: enlarge ? .cubic : .area)
        }
        if final != first {
            let upscale = final.0 > first.0 || final.1 > first.1
            current = OpenCVResize.resize(current, width: final.0, height: final.1, interpolation: upscale ? .cubic : .area)
        }
        return current
    }

    /// The two resizes' sizes (width, height): the longest side to `processRes` (Python's round,
    /// half to even), then each side to its nearest multiple of the patch size.
    func sizes(width: Int, height: Int) throws -> (first: (Int, Int), final: (Int, Int)) {
        var first = (width, height)
        let longest = max(width, height)
        if longest != processRes {
            let scale = Double(processRes) / Double(longest)
            first = (max(1, Int((Double(width) * scale).rounded(.toNearestOrEven))),
                     max(1, Int((Double(height) * scale).rounded(.toNearestOrEven))))
        }
        let final = (max(1, nearestMultiple(first.0)), max(1, nearestMultiple(first.1)))
        guard final.0 % patchSize == 0, final.1 % patchSize == 0 else {
            throw VisionError.invalidInput(
                "image \(width)x\(height) is too elongated for Depth Anything 3: at processing size "
                + "\(processRes) a side would be under \(patchSize) pixels")
        }
        return (first, final)
    }

    /// Intrinsics of the original image at the processed size, as the package's InputProcessor
    /// scales them with each resize (fx, cx by the width's ratio; fy, cy by the height's).
    func intrinsics(_ k: [[Double]], width: Int, height: Int) throws -> [[Double]] {
        let (first, final) = try sizes(width: width, height: height)
        var out = k
        for (from, to) in [((width, height), first), (first, final)] {
            for j in 0..<3 {
                out[0][j] *= Double(to.0) / Double(from.0)
                out[1][j] *= Double(to.1) / Double(from.1)
            }
        }
        return out
    }

    /// Intrinsics after `unified` crops a view of `size` (width, height) to `to`: the package
    /// moves the principal point by floor((size - crop) / 2) (its crop itself rounds half to even).
    static func unifiedIntrinsics(_ k: [[Double]], size: (Int, Int), to crop: (Int, Int)) -> [[Double]] {
        var out = k
        out[0][2] -= Double(max(0, (size.0 - crop.0) / 2))
        out[1][2] -= Double(max(0, (size.1 - crop.1) / 2))
        return out
    }

    /// Views of one scene at one size, as the package's InputProcessor unifies them: each
    /// center-cropped to the smallest height and width among them (torchvision's CenterCrop:
    /// the top-left offset is round((size - crop) / 2), half to even).
    static func unified(_ views: [RGBImage]) -> [RGBImage] {
        guard let height = views.map(\.height).min(), let width = views.map(\.width).min() else { return views }
        return views.map { image in
            guard image.height != height || image.width != width else { return image }
            let top = Int((Double(image.height - height) / 2).rounded(.toNearestOrEven))
            let left = Int((Double(image.width - width) / 2).rounded(.toNearestOrEven))
            var pixels = [UInt8]()
            pixels.reserveCapacity(height * width * 3)
            for y in top..<(top + height) {
                let row = (y * image.width + left) * 3
                pixels.append(contentsOf: image.pixels[row..<(row + width * 3)])
            }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    /// Ties go up, as the package's `nearest_multiple`.
    func nearestMultiple(_ x: Int) -> Int {
        let down = (x / patchSize) * patchSize, up = down + patchSize
        return (up - x) <= (x - down) ? up : down
    }

    /// `pixel_values` [1, 3, H, W]: (v / 255 - mean) / std per channel, in float32.
    func pixelValues(_ image: RGBImage) -> Tensor {
        let plane = image.width * image.height
        var values = [Float](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { src in
            values.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let m = mean[c], s = std[c]
                    for i in 0..<plane { dst[c * plane + i] = (Float(src[i * 3 + c]) / 255 - m) / s }
                }
            }
        }
        return .float32(values, shape: [1, 3, image.height, image.width])
    }
}
