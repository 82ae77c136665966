/// The architectures a repository's `config.json` declares, as the families match them: its
/// `architectures` (transformers), its `architecture` (the project's exported Depth Anything 3
/// configs) and, for the depth-anything-3 package's own config (it names a preset, `model_name`,
/// and nothing else), `DepthAnything3`.
public enum ConfigArchitectures {
    public static func declared(in config: [String: Any]) -> [String] {
        var names = (config["architectures"] as? [String]) ?? []
        if let one = config["architecture"] as? String { names.append(one) }
        if names.isEmpty, config["model_type"] == nil, config["model_name"] is String { names.append("DepthAnything3") }
        return names
    }
}
