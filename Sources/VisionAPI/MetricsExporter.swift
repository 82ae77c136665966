import CoreMetrics

/// What `/metrics` shows: the swift-metrics factory every part of the server records into, and
/// how to render what it holds in Prometheus' text format. The app builder makes one over a
/// Prometheus registry.
public struct MetricsExporter: Sendable {
    public let factory: any MetricsFactory
    /// The exposition text, in Prometheus' text format 0.0.4.
    public let render: @Sendable () -> [UInt8]

    public init(factory: any MetricsFactory, render: @escaping @Sendable () -> [UInt8]) {
        self.factory = factory
        self.render = render
    }

    /// Records nothing and renders nothing.
    public static let none = MetricsExporter(factory: NOOPMetricsHandler.instance, render: { [] })
}
