import VisionCore

extension ModelType {
    public static let objectDetection = ModelType(rawValue: "object_detection")
}

/// Hugging Face's object-detection task: `POST /inference/object-detection` over DETR-style
/// exports (`pixel_values`[, `pixel_mask`] -> `logits`, `pred_boxes`).
public enum ObjectDetectionFamily: Family {
    public static let loader = ModelLoader<ObjectDetectionModel>(
        type: .objectDetection, defaultModelID: "Xenova/detr-resnet-50", exporter: .named("object_detection"),
        architectures: ["*ForObjectDetection", "!GroundingDinoForObjectDetection"]
    ) { snapshot, context in try ObjectDetectionModel.load(snapshot: snapshot, context: context) }

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = ObjectDetectionService(context: context.engine)
        return ServedFamily(
            type: .objectDetection,
            routes: [.json("/inference/object-detection", summary: "Object detection, as pipeline(\"object-detection\")",
                           request: ObjectDetectionRequest.self, requestSchema: "ObjectDetectionRequest",
                           responseSchema: "ObjectDetectionResponse", task: "object-detection", 
                           example: ["inputs": ImageInput.exampleValue, "parameters": ["threshold": 0.5]], run: service.run)],
            jobs: .validating(ObjectDetectionRequest.self) { $0.images.images },
            schemas: [
                "ObjectDetectionRequest": ObjectDetectionRequest.shape.schema,
                "Detections": Detections.shape.schema,
                "PipelineDetection": PipelineDetection.shape.schema,
                "ObjectDetectionResponse": ObjectDetectionResponse.schema,
            ],
            page: PageView(.detections))
    }
}

extension ObjectDetectionResponse: JSONResponse {}
