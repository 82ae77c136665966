/// Turns decoded images into model input tensors exactly as transformers' default
/// (torchvision-backend) image processors do.
public struct ImageProcessor: Sendable {
    public let config: ImageProcessorConfig

    public init(config: ImageProcessorConfig) {
        self.config = config
    }

    /// Preprocesses one image into a planar float image (no batch dimension).
    public func process(_ image: RGBImage) -> PlanarImage {
        let c = config
        let target = c.resize.outputSize(height: image.height, width: image.width)
        var planar: PlanarImage
        if c.rescaleBeforeResize {
            let scale: Float? = c.doRescale ? Float(c.rescaleFactor) : nil
            if c.doResize {
                planar = ImageResize.resizeRescaled(image, scale: scale, width: target.width, height: target.height,
                                                    filter: c.resample)
            } else {
                planar = PlanarImage(image, scale: scale)
            }
            if c.doCenterCrop { planar = Self.centerCrop(planar, height: c.cropSize.height, width: c.cropSize.width) }
            if c.doNormalize {
                Self.normalize(&planar, mean: c.imageMean.map { Float($0) }, std: c.imageStd.map { Float($0) })
            }
            return planar
        }
        var resized = image
        if c.doResize {
            resized = ImageResize.resize(image, width: target.width, height: target.height, filter: c.resample)
        }
        planar = PlanarImage(resized)
        if c.doCenterCrop { planar = Self.centerCrop(planar, height: c.cropSize.height, width: c.cropSize.width) }
        if c.doNormalize {
            // transformers fuses rescale into normalisation: mean and std are divided by the
            // rescale factor (float32 arithmetic), then (x - mean) / std.
            let factor = c.doRescale ? Float(1.0 / c.rescaleFactor) : 1
            Self.normalize(&planar, mean: c.imageMean.map { Float($0) * factor },
                           std: c.imageStd.map { Float($0) * factor })
        } else if c.doRescale {
            let s = Float(c.rescaleFactor)
            for i in planar.data.indices { planar.data[i] *= s }
        }
        return planar
    }

    /// Preprocesses a batch: pads to the largest height and width (zeros at bottom/right) when
    /// sizes differ (as transformers' `do_pad` does for a batch), returning `pixel_values` [N,3,H,W] and
    /// `pixel_mask` [N,H,W].
    public func processBatch(_ images: [RGBImage]) -> (pixelValues: Tensor, pixelMask: Tensor) {
        let planes = images.map(process)
        return Self.stack(planes)
    }

    /// Stacks planar images into one batch, zero-padding each to the largest size.
    public static func stack(_ planes: [PlanarImage]) -> (pixelValues: Tensor, pixelMask: Tensor) {
        let h = planes.map(\.height).max() ?? 0
        let w = planes.map(\.width).max() ?? 0
        let c = planes.first?.channels ?? 3
        var values = [Float](repeating: 0, count: planes.count * c * h * w)
        var mask = [Int64](repeating: 0, count: planes.count * h * w)
        for (n, p) in planes.enumerated() {
            for ch in 0..<c {
                for y in 0..<p.height {
                    let src = (ch * p.height + y) * p.width
                    let dst = ((n * c + ch) * h + y) * w
                    values.replaceSubrange(dst..<(dst + p.width), with: p.data[src..<(src + p.width)])
                }
            }
            for y in 0..<p.height {
                let dst = (n * h + y) * w
                for x in 0..<p.width { mask[dst + x] = 1 }
            }
        }
        return (Tensor.float32(values, shape: [planes.count, c, h, w]), Tensor.int64(mask, shape: [planes.count, h, w]))
    }

    /// Center crop as transformers does it: zero-pad first when the crop is larger than the image.
    public static func centerCrop(_ image: PlanarImage, height: Int, width: Int) -> PlanarImage {
        var img = image
        if width > img.width || height > img.height {
            let left = width > img.width ? (width - img.width) / 2 : 0
            let top = height > img.height ? (height - img.height) / 2 : 0
            let right = width > img.width ? (width - img.width + 1) / 2 : 0
            let bottom = height > img.height ? (height - img.height + 1) / 2 : 0
            let nh = img.height + top + bottom, nw = img.width + left + right
            var data = [Float](repeating: 0, count: img.channels * nh * nw)
            for c in 0..<img.channels {
                for y in 0..<img.height {
                    let src = (c * img.height + y) * img.width
                    let dst = (c * nh + y + top) * nw + left
                    data.replaceSubrange(dst..<(dst + img.width), with: img.data[src..<(src + img.width)])
                }
            }
            img = PlanarImage(channels: img.channels, height: nh, width: nw, data: data)
            if nh == height && nw == width { return img }
        }
        let top = Int(Double(img.height - height) / 2.0)
        let left = Int(Double(img.width - width) / 2.0)
        var data = [Float](repeating: 0, count: img.channels * height * width)
        for c in 0..<img.channels {
            for y in 0..<height {
                let src = (c * img.height + y + top) * img.width + left
                let dst = (c * height + y) * width
                data.replaceSubrange(dst..<(dst + width), with: img.data[src..<(src + width)])
            }
        }
        return PlanarImage(channels: img.channels, height: height, width: width, data: data)
    }

    /// (x - mean[c]) / std[c], per channel, in float32.
    public static func normalize(_ image: inout PlanarImage, mean: [Float], std: [Float]) {
        let plane = image.height * image.width
        image.data.withUnsafeMutableBufferPointer { buf in
            for c in 0..<image.channels {
                let m = mean[c], s = std[c]
                for i in (c * plane)..<((c + 1) * plane) { buf[i] = (buf[i] - m) / s }
            }
        }
    }
}
