import Foundation
import VisionCore

/// A model family: everything the server serves for one model type, declared in the family's
/// folder. The app builder lists the families (one line each); the model manager, the HTTP
/// routes, the job queue, `/models/*`, `/health`, `/metrics` and the OpenAPI document all come
/// from that list.
public protocol Family {
    associatedtype Model: LoadedModel
    /// Model type, default model, exporter and loader.
    static var loader: ModelLoader<Model> { get }
    /// Checks the family's own settings, at startup before anything is built (a bad value stops
    /// the server with the setting's name).
    static func checkSettings(_ settings: FamilySettings) throws
    /// Routes, jobs, schemas and the family's part of `/health`, over the shared
    /// engine.
    static func serve(_ context: FamilyContext) throws -> ServedFamily
    /// Files `predict --out NAME.<ext>` writes from the first route's answer, by extension (and
    /// `predict --help` lists).
    static var fileOutputs: [FamilyFileOutput] { get }
}

extension Family {
    /// Families without settings of their own.
    public static func checkSettings(_ settings: FamilySettings) throws {}

    /// Families whose answers are JSON only.
    public static var fileOutputs: [FamilyFileOutput] { [] }

    /// The loader, erased for the model manager.
    public static var erasedLoader: AnyModelLoader { loader.erased }
}

/// A response a route returns: encoded to JSON off the cooperative pool by the HTTP layer.
public protocol JSONResponse: Sendable {
    func json() -> [UInt8]
}

/// What a family's services are built from.
public struct FamilyContext: Sendable {
    public let engine: EngineContext
    public let pngEncoder: any PNGEncoding
    public let deflater: any Deflating
    public let settings: FamilySettings
    /// Where the family's own metrics go (`/metrics`).
    public let metrics: EngineMetrics

    public init(engine: EngineContext, pngEncoder: any PNGEncoding, deflater: any Deflating, settings: FamilySettings,
                metrics: EngineMetrics = .none) {
        self.engine = engine
        self.metrics = metrics
        self.pngEncoder = pngEncoder
        self.deflater = deflater
        self.settings = settings
    }
}

/// The server's settings (environment, then `.env`) as a family reads its own.
public struct FamilySettings: Sendable {
    private let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// An integer setting ≥ `min`; `fallback` when unset or empty.
    public func int(_ key: String, default fallback: Int, min: Int = 0) throws -> Int {
        guard let text = values[key], !text.isEmpty else { return fallback }
        guard let value = Int(text), value >= min else {
            throw VisionError.invalidInput("\(key) must be an integer ≥ \(min), got '\(text.prefix(40))'")
        }
        return value
    }
}

/// One `POST` route of a family.
public struct FamilyRoute: Sendable {
    public let path: String
    public let summary: String
    /// Component schema names of the body and of the 200 response.
    public let requestSchema: String
    public let responseSchema: String
    /// The Hugging Face task this route answers in the Inference API's form (`{"inputs": image,
    /// "parameters": {...}}`, or the image bytes alone), e.g. `image-classification`: the route
    /// `POST /models/{org}/{name}` forwards to for a model of this family. Nil for the family's
    /// own request forms.
    public var task: String? = nil
    /// Whether the body may be the image's bytes alone (`{"inputs": <those bytes>}`): task routes
    /// whose parameters all have defaults.
    public var imageBody = false
    /// A body this route answers 200 (with any model of the family): the document's example, and
    /// what the tests send every registered route.
    public var example: JSONValue
    /// Decodes the body (a `DecodingError` for a body of the wrong shape), runs, returns the
    /// response to encode.
    public let handle: @Sendable ([UInt8]) async throws -> any JSONResponse

    /// A route that decodes `Request` from JSON and runs `run`.
    public static func json<Request: Decodable & Sendable, Response: JSONResponse>(
        _ path: String, summary: String, request: Request.Type, requestSchema: String, responseSchema: String,
        task: String? = nil, imageBody: Bool? = nil, example: JSONValue,
        run: @escaping @Sendable (Request) async throws -> Response
    ) -> FamilyRoute {
        FamilyRoute(path: path, summary: summary, requestSchema: requestSchema, responseSchema: responseSchema,
                    task: task, imageBody: imageBody ?? (task != nil), example: example) { body in
            try await run(JSONDecoder().decode(Request.self, from: Data(body)))
        }
    }
}

/// A family's jobs: `/jobs/submit/<model_type>` takes the family's first route's body.
public struct FamilyJobs: Sendable {
    /// Checks a request at submit (its images already inlined as base64) as its route would
    /// before running, and returns its images so the caller checks that they decode.
    public let validate: @Sendable ([UInt8]) throws -> [ImageInput]

    public init(validate: @escaping @Sendable ([UInt8]) throws -> [ImageInput]) { self.validate = validate }

    /// Decodes `Request` and runs `check` on it.
    public static func validating<Request: Decodable & Sendable>(_ type: Request.Type,
                                                      _ check: @escaping @Sendable (Request) throws -> [ImageInput]) -> FamilyJobs {
        FamilyJobs { body in try check(JSONDecoder().decode(Request.self, from: Data(body))) }
    }
}

/// A file `vision-models-api predict --out NAME.<ext>` writes from a family's answer (a mask
/// label map, a depth PNG, a point cloud): what the request must ask for, and the file bytes.
public struct FamilyFileOutput: Sendable {
    /// The file name extension it is chosen by, lower case without the dot ("png", "ply").
    public let fileExtension: String
    /// What the file holds, for `--help` and error messages.
    public let summary: String
    /// Fields set in the request body (unless the caller set them) so the answer carries the file.
    public let requestFields: [(String, JSONValue)]
    /// The files from the route's response: one per image, in image order (with the PNG encoder
    /// for those drawn as images).
    public let files: @Sendable (any JSONResponse, any PNGEncoding) throws -> [[UInt8]]

    public init(fileExtension: String, summary: String, requestFields: [(String, JSONValue)] = [],
                files: @escaping @Sendable (any JSONResponse, any PNGEncoding) throws -> [[UInt8]]) {
        self.fileExtension = fileExtension
        self.summary = summary
        self.requestFields = requestFields
        self.files = files
    }

    /// An output over the family's own response type (the first route's).
    public static func of<Response: JSONResponse>(
        _ type: Response.Type, fileExtension: String, summary: String, requestFields: [(String, JSONValue)] = [],
        files: @escaping @Sendable (Response, any PNGEncoding) throws -> [[UInt8]]
    ) -> FamilyFileOutput {
        FamilyFileOutput(fileExtension: fileExtension, summary: summary, requestFields: requestFields) { response, png in
            guard let typed = response as? Response else {
                throw VisionError.internalError("file output .\(fileExtension) got a \(Swift.type(of: response))")
            }
            return try files(typed, png)
        }
    }
}

/// How `/ui` draws a family's answers: one of the page's renderers, and the request fields the
/// page sets so the answer comes in the encoding that renderer reads. Declared by the family; the
/// page reads it from the document (`x-page` on the family's first route).
public struct PageView: Sendable {
    /// The page's renderers (`ui.js` has one function per case; the page check keeps them in step).
    public enum Renderer: String, Sendable, CaseIterable {
        /// Instance masks over the image (`results[image][prompt].result.masks_png`).
        case masks
        /// Boxes with labels and scores (`results[image]` as `Detections`).
        case detections
        /// A depth map (`results[image]` as a depth result with float32 data).
        case depth
        /// A feature map's principal components (`features`, base64 tensors).
        case features
        /// Labels with scores (`results[image]` as `Classification`s).
        case labels
        /// Click-to-segment: clicks and a dragged box on the image become the request's
        /// `objects`; each answer's best mask is drawn (`results[image].objects[k].masks_png`).
        case clicks
        /// Image–text similarity: the request's texts (the page's prompt box) as labels, scored
        /// per image as zero-shot classification does (`image_embeddings`, `text_embeddings`,
        /// `logit_scale`, `logit_bias`), drawn as bars.
        case embeddings
    }

    public let renderer: Renderer
    public let fields: [(String, JSONValue)]

    public init(_ renderer: Renderer, fields: [(String, JSONValue)] = []) {
        self.renderer = renderer
        self.fields = fields
    }
}

/// A family as the server serves it.
public struct ServedFamily: Sendable {
    public let type: ModelType
    /// The family's routes; the first is the one its jobs run.
    public let routes: [FamilyRoute]
    public let jobs: FamilyJobs
    /// The component schemas its routes name.
    public let schemas: KeyValuePairs<String, Schema>
    /// Fields the family adds to `/health` (e.g. a cache's statistics).
    public let health: (@Sendable () async -> [(String, JSONValue)])?
    /// The schema of each field `health` adds (the document's `Health`).
    public let healthSchema: [(String, Schema)]
    /// The schema of each field the family's models add to their `/models/status` row
    /// (`LoadedModel.statusDetails`; the document's `ModelInstance`).
    public let statusSchema: [(String, Schema)]
    /// How `/ui` draws its first route's answers (nil: as JSON).
    public let page: PageView?

    public init(type: ModelType, routes: [FamilyRoute], jobs: FamilyJobs, schemas: KeyValuePairs<String, Schema>,
                health: (@Sendable () async -> [(String, JSONValue)])? = nil, healthSchema: [(String, Schema)] = [],
                statusSchema: [(String, Schema)] = [], page: PageView? = nil) {
        self.page = page
        precondition(!routes.isEmpty, "a family serves at least one route")
        self.type = type
        self.routes = routes
        self.jobs = jobs
        self.schemas = schemas
        self.health = health
        self.healthSchema = healthSchema
        self.statusSchema = statusSchema
    }
}
