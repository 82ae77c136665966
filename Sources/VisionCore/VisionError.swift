/// The one error type that crosses layers. Each error has a category (which the HTTP layer maps to a
/// status code in one place) and a user-facing message that never contains internals or secrets.
public struct VisionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, from a client's point of view.
    public enum Category: Sendable, Equatable {
        case badRequest
        case unsupportedMediaType
        case payloadTooLarge
        case notFound
        case unprocessable
        case overloaded
        case notReady
        case forbidden
        case unauthorized
        case requestTimeout
        case insufficientStorage
        case internalFailure
    }

    private enum Code: Sendable, Equatable {
        case invalidInput, unsupportedImage, imageTooLarge, bodyTooLarge, modelNotFound, jobNotFound, fileNotFound, unknownModelType
        case invalidRequest, unsupportedModel, queueFull, notReady, deviceUnavailable, runtimeFailure, forbiddenURL, fetchFailed
        case accessDenied, upstreamUnavailable, unauthorized, bodyTimeout, storeUnavailable, diskFull
        case internalError
    }

    private let code: Code
    /// What went wrong, in full: for a server fault (500) it may carry a library's own text
    /// (ONNX Runtime's), so it goes to the log; clients get `publicMessage`.
    public let message: String
    /// Seconds a client should wait before retrying, for overload errors.
    public let retryAfterSeconds: Int?

    private init(_ code: Code, _ message: String, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfter
    }

    public var description: String { message }

    /// The message a client sees: `message`, except for server faults, whose message may quote
    /// a library (ONNX Runtime's errors) and which the log records in full.
    public var publicMessage: String {
        switch code {
        case .runtimeFailure: "the model failed to run on this input (a server fault; the server log has the details)"
        case .internalError: "internal server error (the server log has the details)"
        default: message
        }
    }

    /// The same error with `prefix` before its message (e.g. which image of a request failed).
    public func prefixed(_ prefix: String) -> VisionError {
        VisionError(code, prefix + message, retryAfter: retryAfterSeconds)
    }

    public var category: Category {
        switch code {
        case .invalidInput, .forbiddenURL, .fetchFailed, .unknownModelType, .deviceUnavailable: .badRequest
        case .unsupportedImage: .unsupportedMediaType
        case .imageTooLarge, .bodyTooLarge: .payloadTooLarge
        case .modelNotFound, .jobNotFound, .fileNotFound: .notFound
        case .invalidRequest, .unsupportedModel: .unprocessable
        case .queueFull: .overloaded
        case .notReady, .upstreamUnavailable, .storeUnavailable: .notReady
        case .diskFull: .insufficientStorage
        case .accessDenied: .forbidden
        case .unauthorized: .unauthorized
        case .bodyTimeout: .requestTimeout
        case .runtimeFailure, .internalError: .internalFailure
        }
    }

    /// Bad input values (400).
    public static func invalidInput(_ message: String) -> VisionError { .init(.invalidInput, message) }
    /// Bytes that are not an image this server decodes (415).
    public static func unsupportedImage(_ message: String) -> VisionError { .init(.unsupportedImage, message) }
    /// An image whose dimensions exceed the configured pixel limit (413).
    public static func imageTooLarge(_ message: String) -> VisionError { .init(.imageTooLarge, message) }
    /// A request body over the configured limit (413).
    public static func bodyTooLarge(_ message: String) -> VisionError { .init(.bodyTooLarge, message) }
    /// A model id that is not in the cache, or a repository without the files needed (404).
    public static func modelNotFound(_ message: String) -> VisionError { .init(.modelNotFound, message) }
    /// A job id the store does not hold (404).
    public static func jobNotFound(_ id: String) -> VisionError {
        .init(.jobNotFound, "no job '\(id.prefix(64))' (finished jobs are removed after JOB_RETENTION_SECONDS)")
    }
    /// A static file the server does not have (404).
    public static func fileNotFound(_ name: String) -> VisionError {
        .init(.fileNotFound, "no file '\(name.prefix(64))' here")
    }
    /// A model type this server does not know or does not serve (400).
    public static func unknownModelType(_ message: String) -> VisionError { .init(.unknownModelType, message) }
    /// A request whose JSON does not have the expected shape or types (422).
    public static func invalidRequest(_ message: String) -> VisionError { .init(.invalidRequest, message) }
    /// A checkpoint of an architecture or configuration no shipped graph serves (422); the message
    /// names the closest graph, what differs and how to export one.
    public static func unsupportedModel(_ message: String) -> VisionError { .init(.unsupportedModel, message) }
    /// The server is at capacity (429 with Retry-After).
    public static func queueFull(_ message: String, retryAfter: Int = 1) -> VisionError {
        .init(.queueFull, message, retryAfter: retryAfter)
    }
    /// The server is starting or stopping (503).
    public static func notReady(_ message: String) -> VisionError { .init(.notReady, message) }
    /// A device (e.g. CUDA) that this runtime cannot provide (400).
    public static func deviceUnavailable(_ message: String) -> VisionError { .init(.deviceUnavailable, message) }
    /// An image URL that the fetch policy refuses (400).
    public static func forbiddenURL(_ message: String) -> VisionError { .init(.forbiddenURL, message) }
    /// An image URL that could not be fetched (400).
    public static func fetchFailed(_ message: String) -> VisionError { .init(.fetchFailed, message) }
    /// A request body that stopped arriving (408).
    public static func bodyTimeout(_ message: String) -> VisionError { .init(.bodyTimeout, message) }
    /// A request without a valid API key (401 with WWW-Authenticate).
    public static func unauthorized(_ message: String) -> VisionError { .init(.unauthorized, message) }
    /// A gated or private resource this server may not read (403).
    public static func accessDenied(_ message: String) -> VisionError { .init(.accessDenied, message) }
    /// A service the server depends on (the Hugging Face hub) cannot be reached (503).
    public static func upstreamUnavailable(_ message: String) -> VisionError { .init(.upstreamUnavailable, message) }
    /// A store the server depends on (the job database) is down, restarting or did not answer in
    /// time (503 with Retry-After): a client may retry.
    public static func storeUnavailable(_ message: String, retryAfter: Int) -> VisionError {
        .init(.storeUnavailable, message, retryAfter: retryAfter)
    }
    /// The disk holding the model cache or the job database is full (507). The message says
    /// which disk and how much is needed, never a server path.
    public static func diskFull(_ message: String, retryAfter: Int? = nil) -> VisionError {
        .init(.diskFull, message, retryAfter: retryAfter)
    }
    /// The inference runtime failed (500); the message is ONNX Runtime's.
    public static func runtimeFailure(_ message: String) -> VisionError { .init(.runtimeFailure, message) }
    /// Any other server fault (500).
    public static func internalError(_ message: String) -> VisionError { .init(.internalError, message) }
}
