import Foundation
import Hummingbird
import NIOCore
import VisionCore

/// Reading request bodies and writing JSON responses.
enum JSONIO {
    /// Collects the body (see `body(of:limit:timeout:)`) and decodes it.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int, timeout: Duration) async throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try await body(of: request, limit: limit, timeout: timeout)))
    }

    /// The body's bytes, up to `limit`: a declared Content-Length over it is a 413 before a byte
    /// is read, a body that has not arrived within `timeout` a 408, an empty body a 400.
    static func body(of request: Request, limit: Int, timeout: Duration) async throws -> [UInt8] {
        let tooLarge = VisionError.bodyTooLarge("request body exceeds the limit of \(limit) bytes (MAX_BODY_BYTES)")
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw tooLarge }
        let buffer: ByteBuffer? = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                do {
                    return try await request.collectBody(upTo: limit)
                } catch let error as HTTPError where error.status == .contentTooLarge {
                    throw tooLarge
                } catch is NIOTooManyBytesError {
                    throw tooLarge
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // The client hung up mid-body: its request, not a server fault (no error log line).
                    throw VisionError.invalidInput("the request body was cut off before its end")
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let buffer else {
            throw VisionError.bodyTimeout("the request body did not arrive within \(timeout.components.seconds) s (BODY_TIMEOUT_SECONDS)")
        }
        guard buffer.readableBytes > 0 else { throw VisionError.invalidInput("request body is empty; a JSON object is expected") }
        return Array(buffer.readableBytesView)
    }

    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
