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
        var current = image
        let longest = max(image.width, image.height)
        if longest != processRes {
            let scale = Double(processRes) / Double(longest)
            // Python's round(): half to even.
            let w = max(1, Int((Double(image.width) * scale).rounded(.toNearestOrEven)))
            let h = max(1, Int((Double(image.height) * scale).rounded(.toNearestOrEven)))
            current = OpenCVResize.resize(image, width: w, height: h, interpolation: scale > 1 ? .cubic : .area)
        }
        let w = max(1, nearestMultiple(current.width)), h = max(1, nearestMultiple(current.height))
        guard w % patchSize == 0, h % patchSize == 0 else {
            throw VisionError.invalidInput(
                "image \(image.width)x\(image.height) is too elongated for Depth Anything 3: at processing size "
                + "\(processRes) a side would be under \(patchSize) pixels")
        }
        if w != current.width || h != current.height {
            let upscale = w > current.width || h > current.height
            current = OpenCVResize.resize(current, width: w, height: h, interpolation: upscale ? .cubic : .area)
        }
        return current
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
