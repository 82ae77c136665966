/// SigLIP 2 NaFlex's model inputs from processed images (transformers' `Siglip2ImageProcessor`):
/// each image cut into patch rows (patch row-major; inside a patch, pixel row, pixel column,
/// then channel), zero rows after them up to the patch budget, the mask marking the real rows and
/// each image's patch grid.
public enum NaFlexPatches {
    /// The vision graph's inputs, sorted.
    public static let inputNames = ["pixel_attention_mask", "pixel_values", "spatial_shapes"]

    /// `pixel_values` [N, maxPatches, 3·P·P], `pixel_attention_mask` [N, maxPatches] (int32) and
    /// `spatial_shapes` [N, 2] (int64) for images whose sides are multiples of `patchSize`.
    public static func batch(_ images: [PlanarImage], patchSize p: Int, maxPatches: Int) -> [String: Tensor] {
        let row = 3 * p * p
        var values = [Float](repeating: 0, count: images.count * maxPatches * row)
        var mask = [Int32](repeating: 0, count: images.count * maxPatches)
        var shapes: [Int64] = []
        for (n, image) in images.enumerated() {
            let rows = image.height / p, columns = image.width / p, plane = image.height * image.width
            precondition(rows * columns <= maxPatches && rows * p == image.height && columns * p == image.width,
                         "image not sized for its patch budget")
            shapes += [Int64(rows), Int64(columns)]
            image.data.withUnsafeBufferPointer { src in
                values.withUnsafeMutableBufferPointer { dst in
                    for py in 0..<rows {
                        for px in 0..<columns {
                            let patch = py * columns + px
                            mask[n * maxPatches + patch] = 1
                            var o = (n * maxPatches + patch) * row
                            for y in 0..<p {
                                let pixelRow = (py * p + y) * image.width + px * p
                                for x in 0..<p {
                                    for c in 0..<3 {
                                        dst[o] = src[c * plane + pixelRow + x]
                                        o += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return ["pixel_values": .float32(values, shape: [images.count, maxPatches, row]),
                "pixel_attention_mask": .int32(mask, shape: [images.count, maxPatches]),
                "spatial_shapes": .int64(shapes, shape: [images.count, 2])]
    }
}
