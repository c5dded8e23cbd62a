/// The version printed by `mailform --version`.
enum BuildInfo {
    static let version = "0.1.0"
    static var versionString: String { version }
}
