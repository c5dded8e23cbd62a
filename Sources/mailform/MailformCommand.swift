import ArgumentParser
import MailformCore

@main
struct MailformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailform",
        abstract: "Tenant mail settings as code: validate, plan and apply company e-mail configuration.",
        version: BuildInfo.versionString,
        subcommands: [InitCommand.self, ValidateCommand.self, PlanCommand.self, ApplyCommand.self, ProbeCommand.self, ExportCommand.self, HistoryCommand.self, SchemaCommand.self]
    )
}
