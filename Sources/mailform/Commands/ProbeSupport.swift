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

    var settings: ProbeSettings { ProbeSettings(concurrency: concurrency, timeout: timeout, caFile: caFile) }

    func validate() throws {
        if let timeout, case .failure(let problem) = MailformCore.Duration.parse(timeout) {
            throw ValidationError("--timeout \(problem.message): \(problem.hint)")
        }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }
}
