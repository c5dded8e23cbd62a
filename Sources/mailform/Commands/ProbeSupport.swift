import ArgumentParser
import Foundation
import MailformCore
import MailformWorkflow

/// Flags of the commands that probe.
struct ProbeFlags: ParsableArguments {
    @Option(name: [.customShort("j"), .customLong("concurrency")], help: "Endpoints probed at once (default: probe.concurrency, 64).")
    var concurrency: Int?

    @Option(help: "Per-endpoint timeout, e.g. 10s or 1500ms (default: probe.timeout, 10s).")
    var timeout: String?

    @Option(help: "A PEM file of extra certificate authorities (default: probe.ca_file).")
    var caFile: String?

    @Option(help: "The whole probe's time, e.g. 5m; endpoints not done by then fail as 'not probed: deadline reached' (default: probe.deadline, 5m).")
    var deadline: String?

    var settings: ProbeSettings { ProbeSettings(concurrency: concurrency, timeout: timeout, caFile: caFile, deadline: deadline) }

    func validate() throws {
        if let deadline, case .failure(let problem) = MailformCore.Duration.parse(deadline) {
            throw ValidationError("--deadline \(problem.message): \(problem.hint ?? "")")
        }
        if let timeout, case .failure(let problem) = MailformCore.Duration.parse(timeout) {
            throw ValidationError("--timeout \(problem.message): \(problem.hint ?? "")")
        }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }
}
