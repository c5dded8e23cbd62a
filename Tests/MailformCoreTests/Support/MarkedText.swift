import Foundation
@testable import MailformCore

/// YAML written with emoji markers (`port: 1️⃣25`) that pin where a diagnostic
/// must point, as swift-format's tests do. The markers are removed and their
/// 1-based line and column remembered.
struct MarkedText {
    static let markers = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣"]

    var text = ""
    var positions: [String: (line: Int, column: Int)] = [:]

    init(_ marked: String) {
        var line = 1
        var column = 1
        var rest = Substring(marked)
        outer: while let character = rest.first {
            for marker in Self.markers where rest.hasPrefix(marker) {
                positions[marker] = (line, column)
                rest = rest.dropFirst(marker.count)
                continue outer
            }
            text.append(character)
            if character == "\n" { line += 1; column = 1 } else { column += character.unicodeScalars.count }
            rest = rest.dropFirst()
        }
    }
}

/// A workspace in a temporary folder, written from strings.
final class TemporaryWorkspace {
    let root: URL
    var marked: [String: MarkedText] = [:]

    init(_ files: [String: String]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        for (path, content) in files { try write(path, content) }
        // Every test workspace has a workspace file, so its root is the temp folder.
        if files["mailform.yaml"] == nil { try write("mailform.yaml", "mode: saas\n") }
    }

    func write(_ path: String, _ content: String) throws {
        let m = MarkedText(content)
        marked[path] = m
        try writeBytes(path, Array(m.text.utf8))
    }

    func writeBytes(_ path: String, _ bytes: [UInt8]) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func load(_ paths: [String] = ["companies"]) -> LoadResult {
        CompanyLoader.load(paths: paths.map(path))
    }

    /// The position of a marker as a diagnostic would show it (absolute path, since temp is outside the cwd).
    func location(_ file: String, _ marker: String) -> SourceLocation? {
        guard let p = marked[file]?.positions[marker] else { return nil }
        return SourceLocation(file: Paths.display(path(file)), line: p.line, column: p.column)
    }

    deinit { try? FileManager.default.removeItem(at: root) }
}

/// A valid saas company to start tests from.
let validCompany = """
    company: acme
    sender:
      email: no-reply@acme.example.com
    provider: smtp
    smtp:
      host: smtp.acme.example.com
      port: 587
      username: mailer@acme.example.com
      password: ${env:MAILFORM_ACME__SECRET}

    """
