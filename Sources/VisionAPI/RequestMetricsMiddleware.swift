import CoreMetrics
import Foundation
import Hummingbird
import VisionCore

/// Counts requests and times them by route pattern (`/jobs/{job_id}`, not the URL: the label set
/// stays bounded), method and status: `vma_http_requests_total` and the histogram
/// `vma_http_request_duration_seconds`. A request no route matched is counted under `unmatched`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context: context, status: response.status.code, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, context: context, status: status, since: start)
            throw error
        }
    }

    private func record(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        let dimensions = [("route", context.endpointPath ?? "unmatched"), ("method", request.method.rawValue),
                          ("status", String(status))]
        Counter(label: "vma_http_requests_total", dimensions: dimensions, factory: factory).increment()
        Timer(label: "vma_http_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds((ContinuousClock.now - start).nanoseconds)
    }
}
