import Foundation
import TestServerSupport

/// Tests/Servers/mta_sts_lab.py, started once for the test process: the
/// MTA-STS policies of the zone sts.test over HTTPS, one certificate per
/// policy host from the lab's CA.
final class MTASTSLab: @unchecked Sendable {
    struct Info: Decodable {
        var port: Int
        var ca_file: String
    }

    let info: Info
    private let lab: LabProcess

    static let shared: Result<MTASTSLab, Error> = Result { try MTASTSLab() }
    static func get() throws -> MTASTSLab { try shared.get() }

    private init() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-mta-sts-\(UUID().uuidString)")
        lab = try LabProcess(script: CommandRunner.packageRoot.appendingPathComponent("Tests/Servers/mta_sts_lab.py"), arguments: [state.path],
                             missing: "is python3-cryptography installed?")
        info = try JSONDecoder().decode(Info.self, from: lab.firstLine)
    }

    /// What points mailform's policy fetches at the lab.
    var environment: [String: String] { ["MAILFORM_MTA_STS_PORT": String(info.port)] }
}
