import ArgumentParser
import MailformCore

@main
struct MailformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailform",
        abstract: "Tenant mail settings as code: validate, plan and apply company e-mail configuration.",
        discussion: """
            Exit codes: 0 success; 1 error (invalid input, stale plan, locked store, wrong key, safety limit, ...); \
            2 from plan --detailed-exitcode when there are changes; 3 when a probe failed; \
            64 a usage error (unknown option, invalid value, a --format the command does not support).
            """,
        version: BuildInfo.versionString,
        subcommands: [InitCommand.self, ValidateCommand.self, PlanCommand.self, ApplyCommand.self, ProbeCommand.self, SnapshotCommand.self, ExportCommand.self, HistoryCommand.self, SchemaCommand.self]
    )

    /// A run stopped by SIGINT, SIGTERM or SIGHUP removes its temporary
    /// folders first (`TemporaryPaths`).
    /// A usage error (exit 64) is printed as every other error is,
    /// `mailform: error: MESSAGE [usage]`, then the usage lines.
    static func main() {
        CryptoLibrary.startWithoutExitHandler()
        TemporaryPaths.removeOnTermination()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            // An ExitCode was thrown after its message was printed (Pipeline.fatal).
            guard !(error is ExitCode), exitCode(for: error) == .validationFailure else { exit(withError: error) }
            var lines = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.first?.hasPrefix("Error: ") == true { lines[0].removeFirst("Error: ".count) }
            if !lines.isEmpty { lines[0] = "mailform: error: " + lines[0] + " [\(ErrorCode.usage)]" }
            Console.err(lines.joined(separator: "\n") + (lines.last?.isEmpty == false ? "\n" : ""))
            exit(withError: ExitCode.validationFailure)
        }
    }
}
