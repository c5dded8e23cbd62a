import ArgumentParser
import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// Flags of the commands that probe.
struct ProbeFlags: ParsableArguments {
    @Option(name: [.customShort("j"), .customLong("concurrency")], help: "Endpoints probed at once (default: probe.concurrency, 64).")
    var concurrency: Int?

    @Option(help: "Per-endpoint timeout, e.g. 10s or 1500ms (default: probe.timeout, 10s).")
    var timeout: String?

    @Option(help: "A PEM file of extra certificate authorities (default: probe.ca_file).")
    var caFile: String?

    func options(for workspace: Workspace) -> ProbeOptions {
        var options = ProbeOptions(
            timeoutMilliseconds: timeout.flatMap(MailformCore.Duration.milliseconds) ?? workspace.probeTimeoutMilliseconds,
            concurrency: concurrency ?? workspace.probeConcurrency,
            proxy: workspace.probeProxy,
            caFile: caFile.map { Paths.absolute($0) } ?? workspace.probeCAFile)
        do {
            try options.applyEndpointOverrides(ProcessInfo.processInfo.environment)
        } catch {
            Pipeline.fatal("\(error)")
        }
        return options
    }

    func validate() throws {
        if let timeout, case .failure(let problem) = MailformCore.Duration.parse(timeout) {
            throw ValidationError("--timeout \(problem.message): \(problem.hint)")
        }
        if let concurrency, concurrency < 1 { throw ValidationError("--concurrency must be at least 1") }
    }
}

enum ProbeRunner {
    /// Probes the given endpoints of the companies, with a progress line on a terminal.
    /// - Parameters:
    ///   - gate: which endpoints may receive credentials; `box` fingerprints them.
    static func run(_ companies: [Company<ResolvedSecret>], only: [String: Set<String>]?, loaded: LoadResult?,
                    options: ProbeOptions, gate: CredentialGate, box: SecretBox?) -> (results: [ProbeResult], targets: ProbeTargets) {
        let marks = Dictionary((loaded?.companies ?? []).map { ($0.company.id, $0.marks) }, uniquingKeysWith: { a, _ in a })
        let targets = ProbeTargets.build(companies, only: only, location: { id, path in
            loaded?.files.location(marks[id]?[path])
        }, trustedSMTP: { company, server in
            gate.sendsEverywhere || (box.map { gate.allowsSMTP(company: company, server: server, box: $0) } ?? false)
        }, trustedMailgun: { company, settings in
            gate.sendsEverywhere || (box.map { gate.allowsMailgun(company: company, settings: settings, box: $0) } ?? false)
        })
        let progress = ProgressLine(enabled: isatty(2) == 1)
        var results = Prober(options: options).probe(smtp: targets.smtp, mailgun: targets.mailgun) { done, total in
            progress.update(done, total)
        }
        progress.finish()
        // A hint is shown at the line of the field it names (the profile's, when inherited).
        for i in results.indices {
            if let field = results[i].failure?.field, let location = loaded?.files.location(marks[results[i].company]?[field]) {
                results[i].location = location
            }
        }
        return (results, targets)
    }

}

extension ProbeRunner {
    /// The endpoints each change of a plan touches, by company.
    static func changedEndpoints(_ plan: Plan) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        for change in plan.changes where change.action != .delete {
            let paths = ProbeTargets.changedEndpoints(change)
            if !paths.isEmpty { result[change.id] = paths }
        }
        return result
    }
}
