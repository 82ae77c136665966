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
                      responseSchema: "GroundingDINOResponse",
                      example: ["images": [ImageInput.exampleValue], "prompts": ["a cat", "a remote control"]],
                      run: service.run),
                .json("/inference/zero-shot-object-detection",
                      summary: "GroundingDINO in the Hugging Face zero-shot-object-detection task form",
                      request: ZeroShotDetectionRequest.self, requestSchema: "ZeroShotDetectionRequest",
                      responseSchema: "ZeroShotDetectionResponse", task: "zero-shot-object-detection",
                      imageBody: false, example: ["inputs": ImageInput.exampleValue, "parameters": ["candidate_labels": ["cat", "dog"]]],
                      run: service.zeroShot),  // candidate_labels has no default
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
            ],
            page: PageView(.detections))
    }

    static let schemas: KeyValuePairs<String, Schema> = [
        "GroundingDINORequest": GroundingDINORequest.shape.schema,
        "Detections": Detections.shape.schema,
        "GroundingDINOResponse": GroundingDINOResponse.shape.schema,
        "ZeroShotDetectionRequest": ZeroShotDetectionRequest.shape.schema,
        "PipelineDetection": PipelineDetection.shape.schema,
        "ZeroShotDetectionResponse": .array(.ref("PipelineDetection")),
    ]
}

extension GroundingDINOResponse: JSONResponse {}
extension ZeroShotDetectionResponse: JSONResponse {}
