import Foundation
import Hummingbird
import JobQueue
import VisionCore

/// An error response: `{"detail": "..."}` with its status and headers.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    /// What the client reads: never a library's own text.
    let detail: String
    var headers: HTTPFields = [:]
    /// What the log records for a server fault (the full message); `detail` when nil.
    var logDetail: String? = nil

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var w = JSONWriter(capacity: detail.utf8.count + 16)
        w.raw("{"); w.key("detail"); w.string(detail); w.raw("}")
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    /// The one place that maps errors to HTTP statuses.
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let e as APIError:
            return e
        case let e as VisionError:
            var headers: HTTPFields = [:]
            if let retry = e.retryAfterSeconds { headers[.retryAfter] = String(retry) }
            if e.category == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
            return APIError(status: status(for: e.category), detail: e.publicMessage, headers: headers, logDetail: e.message)
        case let e as JobStoreUnavailable:
            let error = e.isStorageFull
                ? VisionError.diskFull(e.description, retryAfter: e.retryAfterSeconds)
                : VisionError.storeUnavailable(e.description, retryAfter: e.retryAfterSeconds)
            return from(error)
        case let e as HTTPError:
            switch e.status {
            case .contentTooLarge: return APIError(status: .contentTooLarge, detail: "request body is too large")
            case .notFound: return APIError(status: .notFound, detail: "Not Found")
            case .methodNotAllowed: return APIError(status: .methodNotAllowed, detail: "Method Not Allowed")
            default: return APIError(status: e.status, detail: e.body ?? e.status.reasonPhrase)
            }
        case let e as DecodingError:
            if case .dataCorrupted(let context) = e, context.codingPath.isEmpty {
                return APIError(status: .badRequest, detail: "request body is not valid JSON")
            }
            return APIError(status: .unprocessableContent, detail: describe(e))
        default:
            return nil
        }
    }

    static func status(for category: VisionError.Category) -> HTTPResponse.Status {
        switch category {
        case .badRequest: .badRequest
        case .unsupportedMediaType: .unsupportedMediaType
        case .payloadTooLarge: .contentTooLarge
        case .notFound: .notFound
        case .unprocessable: .unprocessableContent
        case .overloaded: .tooManyRequests
        case .notReady: .serviceUnavailable
        case .forbidden: .forbidden
        case .unauthorized: .unauthorized
        case .requestTimeout: .requestTimeout
        case .insufficientStorage: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .internalFailure: .internalServerError
        }
    }

    /// A user-facing account of a JSON decoding failure: where, and what was expected.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let p = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let trimmed = p.hasPrefix(".") ? String(p.dropFirst()) : p
            return trimmed.isEmpty ? "body" : trimmed
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): field required"
        case .typeMismatch(let type, let context):
            if context.debugDescription.hasPrefix("expected") {
                return "\(path(context.codingPath)): \(context.debugDescription)"
            }
            return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): expected \(typeName(type)), got null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "request body is not valid JSON" }
            if context.debugDescription.hasPrefix("expected") {
                return "\(path(context.codingPath)): \(context.debugDescription)"
            }
            return "\(path(context.codingPath)): invalid value"
        @unknown default:
            return "request body does not match the expected schema"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "a valid value"
        }
    }
}

/// What the server would answer for an error, for callers outside HTTP (the `predict` command):
/// the status code and `detail`; nil for an error the server would report as a bare 500.
public func errorReport(_ error: any Error) -> (status: Int, detail: String)? {
    APIError.from(error).map { (Int($0.status.code), $0.detail) }
}
