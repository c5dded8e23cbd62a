import Foundation

/// Tests/Servers/mta_sts_lab.py, started once for the test process: the
/// MTA-STS policies of the zone sts.test over HTTPS, one certificate per
/// policy host from the lab's CA.
final class MTASTSLab: @unchecked Sendable {
    struct Info: Decodable {
        var port: Int
        var ca_file: String
    }

    let info: Info
    private let process: Process
    private let stdin: Pipe

    static let shared: Result<MTASTSLab, Error> = Result { try MTASTSLab() }
    static func get() throws -> MTASTSLab { try shared.get() }

    private init() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-mta-sts-\(UUID().uuidString)")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/mta_sts_lab.py").path, state.path]
        let out = Pipe()
        stdin = Pipe()
        process.standardOutput = out
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard let line = out.fileHandleForReading.readLine(), !line.isEmpty else {
            throw TestServers.ServerError(message: "mta_sts_lab.py did not start (is python3-cryptography installed?)")
        }
        info = try JSONDecoder().decode(Info.self, from: line)
    }

    /// What points mailform's policy fetches at the lab.
    var environment: [String: String] { ["MAILFORM_MTA_STS_PORT": String(info.port)] }
}
