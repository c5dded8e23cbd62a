import ArgumentParser
import Foundation
import MailformCore
import MailformStore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write one company file per company in the store, secrets as ${env:MAILFORM_...} references.",
        discussion: "With --secrets-out FILE the secret values go to a mode-0600 dotenv file for the migration; plan of the result shows no change."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The workspace file or folder (for the store location and mode).")
    var workspace: String?

    @Option(help: "The folder to write (companies/ below it, and mailform.yaml when it has none).")
    var out: String

    @Option(help: "Write the secret values to this dotenv file (mode 0600).")
    var secretsOut: String?

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        var diagnostics = DiagnosticCollector()
        let ws = WorkspaceLoader.load(file: WorkspaceLoader.find(paths: ["."], override: workspace), files: SourceFiles(), diagnostics: &diagnostics)
        if diagnostics.hasErrors { Pipeline.fail(diagnostics, files: 1) }
        let storePath = StoreLocation.resolve(flag: storeOptions.store, workspace: ws)
        guard Paths.exists(storePath) else { Pipeline.fatal("no store at \(Paths.display(storePath))", hint: "name the store with --store") }
        let opened = Pipeline.openStore(path: storePath, create: false, lockTimeout: storeOptions.lockTimeout)
        let directory = Paths.absolute(out)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let workspaceFile = directory + "/mailform.yaml"
            if !Paths.exists(workspaceFile) {
                let text = """
                    # yaml-language-server: $schema=https://mailform.dev/schemas/workspace.schema.json
                    # Written by mailform export from \(Paths.display(storePath)).
                    mode: \(ws.mode.rawValue)
                    store: \(CompanyYAMLWriter.scalar(storePath))

                    """
                try text.write(toFile: workspaceFile, atomically: true, encoding: .utf8)
            }
            let result = try Exporter.export(opened: opened, to: directory, secretsOut: secretsOut.map { Paths.absolute($0) },
                                             schemaPath: "https://mailform.dev/schemas/company.schema.json")
            if format == .json {
                var object: [String: Any] = ["companies": result.companies, "files": result.files.map(Paths.display), "secrets": result.secrets]
                object["secrets_out"] = secretsOut ?? NSNull()
                Console.out(JSONOutput.string(object))
                return
            }
            if quiet { return }
            Console.out("Exported \(result.companies) compan\(result.companies == 1 ? "y" : "ies") to \(Paths.display(directory))/companies")
            if let secretsOut {
                Console.out("; \(result.secrets) secret value\(result.secrets == 1 ? "" : "s") to \(secretsOut) (mode 0600)")
            }
            Console.out(".\n")
            if secretsOut != nil {
                Console.out("Load them before planning the exported files: set -a; . \(secretsOut!); set +a\n")
            }
        } catch let failure as Reconciler.Failure {
            Pipeline.fatal(failure.description)
        } catch let failure as SecretBox.Failure {
            Pipeline.fatal(failure.description)
        }
    }
}
