import VisionCore

/// Turns request image sources into decoded RGB images: fetches URLs through the fetch policy and
/// decodes on the decode threads, never on the caller's.
public struct ImagePipeline: Sendable {
    let decoder: any ImageDecoding
    let fetcher: any ImageFetching
    let executor: BlockingExecutor
    public let limits: ImageLimits
    /// Most images one request may carry.
    public let maxImagesPerRequest: Int

    public init(decoder: any ImageDecoding, fetcher: any ImageFetching, executor: BlockingExecutor,
                limits: ImageLimits, maxImagesPerRequest: Int) {
        self.decoder = decoder
        self.fetcher = fetcher
        self.executor = executor
        self.limits = limits
        self.maxImagesPerRequest = maxImagesPerRequest
    }

    /// Runs CPU-bound image work (preprocessing) on the decode threads, so it overlaps with
    /// inference of other requests instead of occupying an inference thread.
    public func compute<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await executor.run(work)
    }

    /// The encoded bytes of a source: fetched through the URL policy when it is a URL.
    public func bytes(_ source: ImageSource) async throws -> [UInt8] {
        switch source {
        case .bytes(let b): return b
        case .url(let url): return try await fetcher.fetch(url)
        }
    }

    /// Validates the count and decodes every image; errors name the image's index.
    public func load(_ sources: [ImageSource]) async throws -> [RGBImage] {
        guard !sources.isEmpty else { throw VisionError.invalidInput("'images' must contain at least one image") }
        guard sources.count <= maxImagesPerRequest else {
            throw VisionError.invalidInput("\(sources.count) images in one request; the limit is \(maxImagesPerRequest)")
        }
        var images: [RGBImage] = []
        images.reserveCapacity(sources.count)
        for (index, source) in sources.enumerated() {
            do {
                let bytes: [UInt8]
                switch source {
                case .bytes(let b): bytes = b
                case .url(let url): bytes = try await fetcher.fetch(url)
                }
                let decoder = self.decoder, limits = self.limits
                images.append(try await executor.run { try decoder.decode(bytes, limits: limits) })
            } catch let error as VisionError {
                throw sources.count > 1 ? error.prefixed("image \(index): ") : error
            }
        }
        return images
    }
}
