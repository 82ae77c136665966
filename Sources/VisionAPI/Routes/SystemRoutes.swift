import Foundation
import Hummingbird
import JobQueue
import VisionCore
import VisionEngine

/// `/`, `/health` and `/openapi.json`.
struct SystemRoutes {
    let configuration: APIConfiguration
    let dependencies: APIDependencies

    func register(on router: Router<BasicRequestContext>) {
        let version = configuration.version
        router.get("/") { _, _ in
            JSONIO.response(RootAnswer.shape.json(RootAnswer(version: version)))
        }
        let deps = dependencies
        let healthShape = HealthAnswer.shape(deps.families)
        router.get("/health") { _, _ in
            // /proc reads are file I/O: on the request-work threads, off the cooperative pool.
            let (available, resident) = try await deps.requestWork.run { (SystemMemory.availableGB(), SystemMemory.residentMB()) }
            var familyFields: [String: JSONValue] = [:]
            for family in deps.families.families {
                for (key, value) in await family.health?() ?? [] { familyFields[key] = value }
            }
            let answer = HealthAnswer(loadedModels: await deps.models.loadedTypes().map(\.rawValue), availableGB: available,
                                      gpuAvailable: deps.availableDevices.contains(.cuda), residentMB: resident,
                                      devices: deps.availableDevices.map(\.rawValue), runtimeVersion: deps.runtimeVersion,
                                      version: version, providers: deps.providers(), familyFields: familyFields)
            return JSONIO.response(healthShape.json(answer))
        }
        router.get("/health/live") { _, _ in JSONIO.response(LiveAnswer.shape.json(LiveAnswer())) }
        router.get("/health/ready") { _, _ in
            switch deps.readiness.state {
            case .ready:
                guard let jobs = deps.jobs else { return JSONIO.response(ReadinessAnswer.shape.json(ReadinessAnswer())) }
                if !jobs.health.state.available {
                    // Ask the store once (a second at most): readiness recovers without traffic.
                    let store = jobs.store
                    _ = try? await withDeadline(.seconds(1), onTimeout: { JobStoreUnavailable.timedOut("count") }) {
                        try await store.counts()
                    }
                }
                let health = jobs.health.state
                if health.available {
                    return JSONIO.response(ReadinessAnswer.shape.json(ReadinessAnswer(jobStore: "available")))
                }
                let fault = health.lastFault ?? "the job store is unavailable"
                if jobs.readyRequiresStore { throw VisionError.notReady("not ready: \(fault)") }
                return JSONIO.response(ReadinessAnswer.shape.json(ReadinessAnswer(degraded: true, jobStore: "unavailable: \(fault)")))
            case .starting(let why): throw VisionError.notReady("not ready yet: \(why)")
            case .failed(let why): throw VisionError.notReady("not ready: \(why)")
            case .stopping: throw VisionError.notReady("the server is shutting down")
            }
        }
        // Two renderings, picked per request: API keys can appear or go on SIGHUP (API_KEYS_FILE).
        var document = OpenAPIDocument(version: version, families: deps.families, jobs: deps.jobs != nil,
                                       devices: deps.availableDevices.map(\.rawValue), openPaths: configuration.openPaths)
        let open = document.json
        document.keysRequired = true
        let secured = document.json
        let keyring = configuration.keyring
        router.get("/openapi.json") { _, _ in JSONIO.response(keyring.isEnabled ? secured : open) }
    }
}
