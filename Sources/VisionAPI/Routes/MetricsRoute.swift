import CoreMetrics
import Hummingbird
import JobQueue
import NIOCore
import VisionEngine

/// `GET /metrics`: Prometheus text of everything recorded through swift-metrics (requests, model
/// loads, graph runs, job outcomes, the SAM3 embedding cache) and, when the job queue runs, the
/// models loaded now and the jobs in the store by status (`vma_jobs{status="pending"}` is the queue depth), read at scrape.
struct MetricsRoute {
    let dependencies: APIDependencies

    func register(on router: Router<BasicRequestContext>) {
        let deps = dependencies
        let exporter = deps.metrics
        let gauges = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map {
            ($0, Gauge(label: "vma_jobs", dimensions: [("status", $0.rawValue)], factory: exporter.factory))
        })
        let loaded = Gauge(label: "vma_models_loaded", factory: exporter.factory)
        router.get("/metrics") { _, _ in
            loaded.record(await deps.models.loadedTypes().count)
            if let jobs = deps.jobs {
                let counts = try await jobs.store.counts()
                for (status, gauge) in gauges { gauge.record(counts[status] ?? 0) }
            }
            let text = try await deps.requestWork.run { exporter.render() }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
