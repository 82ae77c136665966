import VisionCore

extension ModelType {
    public static let objectDetection = ModelType(rawValue: "object_detection")
}

/// Hugging Face's object-detection task: `POST /inference/object-detection` over DETR-style
/// exports (`pixel_values`[, `pixel_mask`] -> `logits`, `pred_boxes`).
public enum ObjectDetectionFamily: Family {
    public static let loader = ModelLoader<ObjectDetectionModel>(
        type: .objectDetection, defaultModelID: "Xenova/detr-resnet-50", exporter: .named("object_detection")
    ) { snapshot, context in try ObjectDetectionModel.load(snapshot: snapshot, context: context) }

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = ObjectDetectionService(context: context.engine)
        return ServedFamily(
            type: .objectDetection,
            routes: [.json("/inference/object-detection", summary: "Object detection, as pipeline(\"object-detection\")",
                           request: ObjectDetectionRequest.self, requestSchema: "ObjectDetectionRequest",
                           responseSchema: "ObjectDetectionResponse", run: service.run)],
            jobs: .validating(ObjectDetectionRequest.self) { request in
                try request.validate()
                return request.images.images
            },
            schemas: [
                "ObjectDetectionRequest": .object(properties: TaskImages.schemaProperties([
                    ("threshold", .number(default: 0.5, minimum: 0, maximum: 1)),
                ]), description: "`inputs` (one image) or `images`"),
                "ObjectDetection": .object([
                    "score": .number(), "label": .string(),
                    "box": .object(["xmin": .integer(), "ymin": .integer(), "xmax": .integer(), "ymax": .integer()]),
                ]),
                "ObjectDetectionResponse": .oneOf([
                    .array(.ref("ObjectDetection"), description: "For `inputs`: the pipeline's list, integer corners"),
                    .object([
                        "results": .array(.object([
                            "scores": .array(.number()), "labels": .array(.string()),
                            "boxes": .array(.array(.number()), description: "[x1, y1, x2, y2], original-image pixels"),
                        ])),
                        "model_id": .string(), "processing_time": .number(),
                    ], description: "For `images`: post_process_object_detection per image"),
                ]),
            ])
    }
}

extension ObjectDetectionResponse: JSONResponse {}
