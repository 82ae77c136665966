import Prometheus
import VisionAPI

extension AppBuilder {
    /// One Prometheus registry for everything recorded through swift-metrics, with histogram
    /// buckets that fit each timing (a model load takes seconds to minutes, a request milliseconds).
    static func makeMetrics() -> MetricsExporter {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let fast: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)]
        factory.defaultDurationHistogramBuckets = fast
        factory.durationHistogramBuckets["vma_model_load_seconds"] = [
            .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(120), .seconds(300), .seconds(600)]
        factory.durationHistogramBuckets["vma_job_run_seconds"] = fast + [.seconds(60), .seconds(120), .seconds(300)]
        return MetricsExporter(factory: factory, render: {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            return buffer
        })
    }
}
