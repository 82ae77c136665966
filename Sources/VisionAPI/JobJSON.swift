import Foundation
import JobQueue
import VisionCore

/// The API's job object: `{job_id, status, model_type, created_at, completed_at, processing_time,
/// attempts, result, error}`; times as ISO 8601; `result` is the inference response JSON.
public enum JobJSON {
    public static func job(_ job: JobRecord, includeResult: Bool = true) -> [UInt8] {
        var out = Array("{\"job_id\":".utf8) + quoted(job.id)
        out += Array(",\"status\":".utf8) + quoted(job.status.rawValue)
        out += Array(",\"model_type\":".utf8) + quoted(job.modelType)
        out += Array(",\"created_at\":".utf8) + time(job.createdAt)
        out += Array(",\"started_at\":".utf8) + time(job.startedAt)
        out += Array(",\"completed_at\":".utf8) + time(job.completedAt)
        out += Array(",\"processing_time\":".utf8) + Array((job.processingTime.map { "\($0)" } ?? "null").utf8)
        out += Array(",\"attempts\":\(job.attempts)".utf8)
        if job.cancelRequested && job.status == .running { out += Array(",\"cancel_requested\":true".utf8) }
        if includeResult { out += Array(",\"result\":".utf8) + (job.result ?? Array("null".utf8)) }
        out += Array(",\"error\":".utf8) + (job.error.map(quoted) ?? Array("null".utf8))
        out += Array("}".utf8)
        return out
    }

    static func quoted(_ text: String) -> [UInt8] {
        var w = JSONWriter(capacity: text.utf8.count + 2)
        w.string(text)
        return w.bytes
    }

    static func time(_ seconds: Double?) -> [UInt8] {
        guard let seconds else { return Array("null".utf8) }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return quoted(formatter.string(from: Date(timeIntervalSince1970: seconds)))
    }
}
