import Foundation
import Hummingbird
import NIOCore
import VisionCore

/// Reading request bodies and writing JSON responses.
enum JSONIO {
    /// Collects the body up to `limit` bytes and decodes it.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw VisionError.bodyTooLarge("request body exceeds the limit of \(limit) bytes (MAX_BODY_BYTES)")
        } catch is NIOTooManyBytesError {
            throw VisionError.bodyTooLarge("request body exceeds the limit of \(limit) bytes (MAX_BODY_BYTES)")
        }
        guard buffer.readableBytes > 0 else { throw VisionError.invalidInput("request body is empty; a JSON object is expected") }
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func response(_ object: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
