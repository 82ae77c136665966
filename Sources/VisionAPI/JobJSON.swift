import Foundation
import JobQueue
import VisionCore

/// The API's job object, declared once (`shape`: what is written and the document's `Job`):
/// `{job_id, status, model_type, created_at, started_at, completed_at, processing_time, attempts,
/// cancel_requested?, result?, error}`; times as ISO 8601; `result` is the inference response JSON
/// (a single job only, not in lists).
public enum JobJSON {
    public static func job(_ job: JobRecord, includeResult: Bool = true) -> [UInt8] {
        (includeResult ? withResult : withoutResult).json(job, capacity: 256 + (includeResult ? job.result?.count ?? 0 : 0))
    }

    static let withResult = shape(includeResult: true)
    static let withoutResult = shape(includeResult: false)

    /// The job object; `modelTypes` names the served types in the schema.
    static func shape(modelTypes: [String]? = nil, includeResult: Bool = true) -> JSONShape<JobRecord> {
        JSONShape([
            .string("job_id") { $0.id },
            .string("status", enum: JobStatus.allCases.map(\.rawValue)) { $0.status.rawValue },
            .string("model_type", enum: modelTypes) { $0.modelType },
            .custom("created_at", .string(format: "date-time")) { r, w in w.raw(json: time(r.createdAt)) },
            .custom("started_at", .nullableString()) { r, w in w.raw(json: time(r.startedAt)) },
            .custom("completed_at", .nullableString()) { r, w in w.raw(json: time(r.completedAt)) },
            .optionalNumber("processing_time") { $0.processingTime },
            .integer("attempts") { $0.attempts },
            .custom("cancel_requested", .boolean(description: "A running job asked to stop (DELETE): it stops at its "
                                                     + "next safe point and its result is discarded"),
                    present: { $0.cancelRequested && $0.status == .running }) { _, w in w.bool(true) },
            .custom("result", .any(description: "The inference response (GET /jobs/{job_id} only)"),
                    present: { _ in includeResult }) { r, w in w.raw(json: r.result ?? Array("null".utf8)) },
            .custom("error", .nullableString()) { r, w in
                if let e = r.error { w.string(e) } else { w.null() }
            },
        ])
    }

    /// `DELETE /jobs/{job_id}`'s answer for a finished job, now deleted.
    static let deleted = JSONShape<String>([
        .string("job_id") { $0 },
        .boolean("deleted") { _ in true },
    ], description: "A finished job, now deleted")

    /// One page of `GET /jobs`, its jobs without results.
    struct Page: Sendable {
        var jobs: [JobRecord]
        var total: Int
        var limit: Int
        var offset: Int
    }

    static func list(modelTypes: [String]? = nil) -> JSONShape<Page> {
        JSONShape([
            .objects("jobs", modelTypes == nil ? withoutResult : shape(modelTypes: modelTypes, includeResult: false),
                     ref: "Job") { $0.jobs },
            .integer("total") { $0.total },
            .integer("limit") { $0.limit },
            .integer("offset") { $0.offset },
        ])
    }

    static let listWithoutResults = list()

    static func quoted(_ text: String) -> [UInt8] {
        var w = JSONWriter(capacity: text.utf8.count + 2)
        w.string(text)
        return w.bytes
    }

    /// ISO 8601 in UTC with milliseconds: `2026-12-06T16:29:17.123Z` (one value type, no formatter per time).
    private static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func time(_ seconds: Double?) -> [UInt8] {
        guard let seconds else { return Array("null".utf8) }
        return quoted(Date(timeIntervalSince1970: seconds).formatted(timeFormat))
    }
}
