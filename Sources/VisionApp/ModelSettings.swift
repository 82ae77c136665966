import VisionCore
import VisionEngine

/// The settings that name model types and models, checked against the registry before anything
/// is built (a bad entry names the setting).
extension AppBuilder {
    /// Each family's own settings, checked before anything is built (a bad one names the setting).
    static func checkFamilySettings(_ settings: Settings) throws {
        let familySettings = FamilySettings(settings.values)
        do {
            for family in families { try family.checkSettings(familySettings) }
        } catch let error as VisionError {
            throw SettingsError(error.message)
        }
    }

    /// The served model type a setting's entry names; else the error that stops the server,
    /// naming the setting, the entry and the served types.
    static func servedType(_ name: String, setting: String, entry: String) throws -> ModelType {
        let served = families.map { $0.erasedLoader.type }
        guard served.contains(ModelType(rawValue: name)) else {
            throw SettingsError("\(setting) entry '\(entry)' names unknown model type '\(name)' (served: "
                                + served.map(\.rawValue).joined(separator: ", ") + ")")
        }
        return ModelType(rawValue: name)
    }

    /// `DEFAULT_MODELS` checked against the served types and the hub id syntax.
    static func defaultModels(settings: Settings) throws -> [ModelType: ModelReference] {
        var defaults: [ModelType: ModelReference] = [:]
        for (type, id) in settings.defaultModels {
            let served = try servedType(type, setting: "DEFAULT_MODELS", entry: "\(type):\(id.prefix(200))")
            do {
                defaults[served] = try ModelReference(parsing: id)
            } catch {
                throw SettingsError("DEFAULT_MODELS entry '\(type):\(id.prefix(200))': '\(id.prefix(200))' is not a hub id "
                                    + "('org/name' or 'org/name@revision')")
            }
        }
        return defaults
    }
}
