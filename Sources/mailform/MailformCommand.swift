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
    static func main() {
        TemporaryPaths.removeOnTermination()
        main(nil)
    }
}
