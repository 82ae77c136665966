import VisionCore

extension ModelType {
    public static let groundingDINO = ModelType(rawValue: "grounding_dino")
}

/// Open-vocabulary detection: `POST /inference/grounding-dino` and the Hugging Face
/// `zero-shot-object-detection` task form.
public enum GroundingDINOFamily: Family {
    /// The default model is the original's.
    public static let loader = ModelLoader<GroundingDINOModel>(
        type: .groundingDINO, defaultModelID: "IDEA-Research/grounding-dino-base", exporter: .named("grounding_dino"),
        architectures: ["GroundingDinoForObjectDetection"]
    ) { snapshot, context in try GroundingDINOModel.load(snapshot: snapshot, context: context) }

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = GroundingDINOService(context: context.engine)
        return ServedFamily(
            type: .groundingDINO,
            routes: [
                .json("/inference/grounding-dino", summary: "Open-vocabulary detection (all images as one batch)",
                      request: GroundingDINORequest.self, requestSchema: "GroundingDINORequest",
                      responseSchema: "GroundingDINOResponse", run: service.run),
                .json("/inference/zero-shot-object-detection",
                      summary: "GroundingDINO in the Hugging Face zero-shot-object-detection task form",
                      request: ZeroShotDetectionRequest.self, requestSchema: "ZeroShotDetectionRequest",
                      responseSchema: "ZeroShotDetectionResponse", task: "zero-shot-object-detection",
                      imageBody: false, run: service.zeroShot),  // candidate_labels has no default
            ],
            jobs: .validating(GroundingDINORequest.self) { request in
                try service.validate(prompts: request.prompts)
                return request.images
            },
            schemas: schemas,
            statusSchema: [
                ("phrases", .string(enum: ["joint", "one per pass"], description:
                    "How the graph runs several phrases, as its load-time probe found")),
                ("graph_probe", .string(description: "What the load-time probe measured")),
            ])
    }

    /// The task form: the image as `inputs` (or `image`); the pipeline's arguments in `parameters`
    /// when it is given, at the top level otherwise.
    private static let zeroShotRequest: Schema = {
        let arguments = ZeroShotDetectionRequest.arguments
        return Schema.object(properties: [
            ("inputs", .ref("ImageInput")), ("image", .ref("ImageInput")),
            ("parameters", .object(properties: arguments, required: ["candidate_labels"])),
        ] + arguments + ModelSelection.schemaProperties(),
        description: "Hugging Face task form; the pipeline's arguments also accepted at the top level")
            .requiringAny(of: ["inputs", "image"]).requiringAny(of: ["parameters", "candidate_labels"])
    }()

    static let schemas: KeyValuePairs<String, Schema> = [
        "GroundingDINORequest": .object(properties: [
            ("images", ImageInput.listSchema),
            ("prompts", .oneOf([.array(.string(), minItems: 1), .string(description: "one phrase")],
                               description: "Phrases; each lower-cased, a trailing '.' dropped, '.' appended, joined")),
            GroundingDINORequest.boxThresholdField.property,
            GroundingDINORequest.textThresholdField.property,
        ] + ModelSelection.schemaProperties(), required: ["images", "prompts"]),
        "Detections": Detections.shape.schema,
        "GroundingDINOResponse": GroundingDINOResponse.shape.schema,
        "ZeroShotDetectionRequest": zeroShotRequest,
        "PipelineDetection": PipelineDetection.shape.schema,
        "ZeroShotDetectionResponse": .array(.ref("PipelineDetection")),
    ]
}

extension GroundingDINOResponse: JSONResponse {}
extension ZeroShotDetectionResponse: JSONResponse {}
