// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "vision-models-api",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vision-models-api", targets: ["VisionModelsAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
    ],
    targets: [
        // C libraries: one small target each.
        .target(name: "CONNXRuntime", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Core: types, protocols and pure-Swift image maths. Knows nothing of HTTP, NIO or C.
        .target(name: "VisionCore", dependencies: [], swiftSettings: strict),

        // Adapters.
        .target(name: "ONNXRuntimeAdapter", dependencies: ["CONNXRuntime", "VisionCore"],
                swiftSettings: strict),
        .target(name: "ImageCodecs", dependencies: ["CTurboJPEG", "CPNG", "CWebP", "CZlib", "VisionCore"],
                swiftSettings: strict),
        .target(name: "HubCache", dependencies: ["VisionCore"], swiftSettings: strict),
        .target(name: "HubClient", dependencies: [
            "VisionCore", "HubCache",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        .target(name: "RemoteImages", dependencies: [
            "VisionCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Inference engine: model manager, executors, the Family protocol and the model families.
        .target(name: "VisionEngine", dependencies: [
            "VisionCore",
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Durable async jobs: the queue (stores, workers) and its two durable stores.
        .target(name: "JobQueue", dependencies: [
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: strict),
        .target(name: "JobStoreSQLite", dependencies: [
            "JobQueue", .product(name: "GRDB", package: "GRDB.swift"),
        ], swiftSettings: strict),
        .target(name: "JobStorePostgres", dependencies: [
            "JobQueue",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // HTTP API.
        .target(name: "VisionAPI", dependencies: [
            "VisionCore", "VisionEngine", "JobQueue",
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], resources: [
            // The pages' files, embedded in the binary (PackageResources.<name>): served from memory.
            .embedInCode("Web/Files/ui.html"), .embedInCode("Web/Files/ui.js"), .embedInCode("Web/Files/site.css"),
            .embedInCode("Web/Files/key.js"), .embedInCode("Web/Files/docs.js"), .embedInCode("Web/Files/docs-lite.js"),
        ], swiftSettings: strict),

        // The app builder (the one place concrete types meet) and the command line.
        .target(name: "VisionApp", dependencies: [
            "VisionCore", "VisionEngine", "VisionAPI", "ONNXRuntimeAdapter", "ImageCodecs",
            "HubCache", "HubClient", "RemoteImages", "JobQueue", "JobStoreSQLite", "JobStorePostgres",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .executableTarget(name: "VisionModelsAPI", dependencies: ["VisionApp"], swiftSettings: strict),

        // Helpers shared by the test targets (fixture files, hub cache layout).
        .target(name: "TestSupport", dependencies: [
            "JobQueue",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "VisionCoreTests", dependencies: ["VisionCore", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AdapterTests", dependencies: [
            "VisionCore", "ONNXRuntimeAdapter", "ImageCodecs", "HubCache", "HubClient", "RemoteImages", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        .testTarget(name: "VisionEngineTests", dependencies: [
            "VisionCore", "VisionEngine", "ONNXRuntimeAdapter", "ImageCodecs", "HubCache", "TestSupport",
        ], swiftSettings: strict),
        .testTarget(name: "JobQueueTests", dependencies: [
            "JobQueue", "JobStoreSQLite", "JobStorePostgres", "TestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: [
            "VisionApp", "VisionAPI", "VisionEngine", "VisionCore", "JobQueue", "TestSupport", "ImageCodecs",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
    ]
)
