/// The model families of the original API, by their wire names.
public enum ModelType: String, Sendable, Hashable, CaseIterable, Codable {
    case sam3
    case groundingDINO = "grounding_dino"
    case depthAnything = "depth_anything"
    case dinov3
}
