import Foundation
import Hummingbird
import VisionCore
import VisionEngine

/// The Hugging Face Inference API's own form: the model in the URL (`POST /models/{org}/{name}`,
/// and `/hf-inference/models/{org}/{name}` as Hugging Face's router names it), the task taken from
/// the model, the body the task route takes (JSON or the image's bytes). What
/// `InferenceClient(model="http://HOST/models/ORG/NAME")` calls.
struct InferenceAPIRoutes {
    let dependencies: APIDependencies
    let configuration: APIConfiguration

    static let prefixes = ["/models", "/hf-inference/models"]

    func register(on router: Router<BasicRequestContext>) {
        let limit = configuration.maxBodyBytes, timeout = configuration.bodyTimeout
        let work = dependencies.requestWork, models = dependencies.models, families = dependencies.families
        // Served where some family has a task form (as the OpenAPI document lists them).
        guard families.families.contains(where: { $0.routes.contains { $0.task != nil } }) else { return }
        for prefix in Self.prefixes {
            router.post(RouterPath(prefix + "/:org/:name")) { request, context in
                // Clients percent-encode the `@` of a revision (`name%40v2`).
                let parts = try ["org", "name"].map { key in
                    let raw = try context.parameters.require(key)
                    return raw.removingPercentEncoding ?? raw
                }
                let id = parts.joined(separator: "/")
                let reference = try ModelReference(parsing: id)
                let body = try await JSONIO.body(of: request, limit: limit, timeout: timeout)
                let route = try Self.taskRoute(for: reference, served: try await models.types(servingModel: reference, files: work),
                                               families: families)
                let type = request.headers[.contentType]
                if !route.imageBody, InferenceAPIBody.isImage(body, contentType: type) {
                    throw VisionError.invalidRequest("model '\(reference.repoID)' answers \(route.task ?? route.path), which needs "
                                                     + "parameters: send JSON {\"inputs\": <image>, \"parameters\": {...}} "
                                                     + "(as \(route.path) takes it)")
                }
                let json = try InferenceAPIBody.json(body, contentType: type, modelID: id)
                let response = try await route.handle(json)
                return JSONIO.response(try await work.run { response.json() })
            }
        }
    }

    /// The task route of the first family (in registration order) that serves the model and has
    /// one; a 4xx naming the model's own route, or that no family serves it.
    static func taskRoute(for reference: ModelReference, served: [ModelType], families: FamilyRegistry) throws -> FamilyRoute {
        let candidates = served.compactMap(families.family)
        if let route = candidates.lazy.compactMap({ $0.routes.first { $0.task != nil } }).first { return route }
        guard let family = candidates.first, let own = family.routes.first else {
            throw VisionError.unsupportedModel("model '\(reference.repoID)' is not one this server serves: its config.json names "
                                               + "no architecture of the served model types ("
                                               + families.types.map(\.rawValue).joined(separator: ", ") + ")")
        }
        throw VisionError.invalidInput("model '\(reference.repoID)' is a \(family.type.rawValue) model, which has no Hugging Face "
                                         + "task form here; POST \(own.path) with {\"images\": [...], \"model_id\": "
                                         + "\"\(reference.repoID)\"}")
    }
}
