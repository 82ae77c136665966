public enum VisionModelsCommand { public static func main() async {} }
