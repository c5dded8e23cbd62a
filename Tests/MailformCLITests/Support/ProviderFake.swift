import Foundation
import TestServerSupport

/// A provider's fake API (`Tests/Servers/NAME_stub.py`) on 127.0.0.1, with
/// the state folder where it logs the requests it got (`requests.log`,
/// never a key) and any key that reached its redirect target (`leaks.log`).
final class ProviderFake: @unchecked Sendable {
    let state: URL
    let process: LabProcess

    init(_ name: String) throws {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        process = try LabProcess(script: CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/\(name)_stub.py"),
                                 arguments: [state.path], missing: "python3")
    }

    /// The line the fake printed: its URLs, keys and variables.
    func info<T: Decodable>(_ type: T.Type) throws -> T { try JSONDecoder().decode(type, from: process.firstLine) }

    /// The variables that point mailform at this fake (`MAILFORM_MAILCHIMP_URL`, …).
    var environment: [String: String] {
        get throws {
            struct Printed: Decodable { var env: [String: String] }
            return try info(Printed.self).env
        }
    }

    var requests: [String] { log("requests.log").split(separator: "\n").map(String.init) }
    var leaks: String { log("leaks.log") }

    private func log(_ name: String) -> String {
        (try? String(contentsOf: state.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }
}
