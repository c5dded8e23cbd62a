import CBuildInfo

/// The version printed by `mailform --version`, with the commit it was built from.
enum BuildInfo {
    static let version = "0.1.0"
    static var commit: String { String(cString: mailform_build_commit()) }
    static var versionString: String { "\(version) (commit \(commit))" }
}
