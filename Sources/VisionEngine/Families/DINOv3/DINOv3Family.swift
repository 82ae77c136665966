import VisionCore

extension ModelType {
    public static let dinov3 = ModelType(rawValue: "dinov3")
}

/// DINOv3 feature extraction: `POST /inference/dinov3`.
public enum DINOv3Family: Family {
    /// The default model is the original server's.
    public static let loader = ModelLoader<DINOv3Model>(
        type: .dinov3, defaultModelID: "facebook/dinov3-convnext-tiny-pretrain-lvd1689m", exporter: .named("dinov3"),
        architectures: ["DINOv3ViTModel", "DINOv3ConvNextModel"]
    ) { snapshot, context in try DINOv3Model.load(snapshot: snapshot, context: context) }

    public static func serve(_ context: FamilyContext) -> ServedFamily {
        let service = DINOv3Service(context: context.engine)
        return ServedFamily(
            type: .dinov3,
            routes: [.json("/inference/dinov3", summary: "DINOv3 features (all images as one batch)",
                           request: DINOv3Request.self, requestSchema: "DINOv3Request",
                           responseSchema: "DINOv3Response",
                           example: ["images": [ImageInput.exampleValue], "tensor_format": "base64"], run: service.run)],
            jobs: .validating(DINOv3Request.self) { $0.images },
            schemas: [
                "DINOv3Request": DINOv3Request.shape.schema,
                "Tensor": .oneOf([
                    .array(.any()),
                    .object(["dtype": .string(), "shape": .array(.integer()), "encoding": .string(), "data": .string()]),
                ], description: "Nested lists (tensor_format=list) or base64 little-endian float32 (tensor_format=base64)"),
                "DINOv3Response": DINOv3Response.shape.schema,
            ],
            page: PageView(.features, fields: [(DINOv3Request.tensorFormatField.name, .string(TensorFormat.base64.rawValue))]))
    }
}

extension DINOv3Response: JSONResponse {}
