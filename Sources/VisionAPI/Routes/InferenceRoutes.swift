import Hummingbird
import VisionCore
import VisionEngine

/// Every registered family's `POST` routes (`/inference/<family>` and task forms).
struct InferenceRoutes {
    let dependencies: APIDependencies
    let configuration: APIConfiguration

    func register(on router: Router<BasicRequestContext>) {
        let limit = configuration.maxBodyBytes, timeout = configuration.bodyTimeout
        let work = dependencies.requestWork
        for family in dependencies.families.families {
            for route in family.routes {
                router.post(RouterPath(route.path)) { request, _ in
                    var body = try await JSONIO.body(of: request, limit: limit, timeout: timeout)
                    if route.imageBody {
                        // The Inference API's task form: also the image's bytes alone.
                        body = try InferenceAPIBody.json(body, contentType: request.headers[.contentType])
                    }
                    let response = try await route.handle(body)
                    // Encoded on the request-work threads, off the cooperative pool.
                    return JSONIO.response(try await work.run { response.json() })
                }
            }
        }
    }
}
