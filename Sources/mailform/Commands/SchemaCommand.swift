import ArgumentParser
import MailformCore

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the published JSON Schemas (the very files the binary validates with)."
    )

    enum Which: String, ExpressibleByArgument, CaseIterable { case company, workspace, plan }

    @Argument(help: "Which schema; plan is the shape of 'plan --format json'.")
    var which: Which = .company

    @Option(help: "Output format: a schema is JSON, so json is the only one (accepted so scripts can pass it to every command).")
    var format: SchemaFormat = .json

    @Flag(name: .shortAndLong, help: "Accepted for uniformity: schema prints nothing but the schema anyway.")
    var quiet = false

    func run() throws {
        switch which {
        case .company: Console.out(SchemaCatalog.companyText)
        case .workspace: Console.out(SchemaCatalog.workspaceText)
        case .plan: Console.out(SchemaCatalog.planText)
        }
    }
}
