import Foundation
import JSONSchema

/// The entry the fuzzers (Fuzz/) and their regression tests share: one company
/// file's bytes through load → schema → decode → policy, or one workspace
/// file's bytes through load → schema → settings, in a throwaway workspace.
public enum FuzzHarness {
    /// Returns the number of diagnostics (0 for a valid company).
    ///
    /// A tree the schema accepts must decode: a decoding failure after a clean
    /// schema check is the "silent drop" bug class, so it stops the fuzzer.
    public static func validateCompany(_ bytes: [UInt8]) -> Int {
        let files = SourceFiles()
        let source = files.add(absolutePath: "/fuzz/companies/fuzz.yaml")
        var workspace = Workspace(root: "/fuzz")
        workspace.mode = bytes.first.map { $0 & 1 == 0 } ?? true ? .saas : .onPremise
        switch YAMLLoader(source: source).load(bytes) {
        case .failure:
            return 1
        case .success(let tree):
            let violations = SchemaCatalog.company.validate(tree)
            if !violations.isEmpty {
                return SchemaDiagnostics(files: files, schema: SchemaCatalog.companyJSON).diagnostics(for: violations, companyID: nil).count
            }
            let company: Company<SecretReference>
            do {
                company = try CompanyDecoder.decode(tree)
            } catch {
                preconditionFailure("schema-valid company tree failed to decode: \(error)")
            }
            let context = PolicyContext(company: company, tree: tree, workspace: workspace, filePath: "/fuzz/companies/fuzz.yaml", files: files)
            return Policy.check(context).count
        }
    }

    /// Returns the number of diagnostics of a workspace file (0 when valid).
    public static func validateWorkspace(_ bytes: [UInt8]) -> Int {
        let files = SourceFiles()
        let source = files.add(absolutePath: "/fuzz/mailform.yaml")
        switch YAMLLoader(source: source).load(bytes) {
        case .failure:
            return 1
        case .success(let tree):
            let violations = SchemaCatalog.workspace.validate(tree)
            if !violations.isEmpty { return violations.count }
            var workspace = Workspace(root: "/fuzz")
            var diagnostics = DiagnosticCollector()
            WorkspaceLoader.apply(tree, to: &workspace, files: files, diagnostics: &diagnostics)
            // Settings that passed must make a usable fence and store location.
            _ = workspace.fence
            _ = StoreLocation.resolve(flag: nil, workspace: workspace, environment: [:])
            return diagnostics.errorCount
        }
    }

    /// A saved plan's bytes: decoded without the MAC (the fuzzer cannot sign),
    /// then every desired company through the re-validation stages that need
    /// no disk: settings → company file text → loader → schema. With
    /// `authenticate`, also the MAC check. Returns the number of companies
    /// whose settings re-validate.
    public static func savedPlan(_ bytes: [UInt8], authenticate: (([UInt8]) -> String)? = nil) -> Int {
        let data = Data(bytes)
        if let authenticate { _ = try? SavedPlan.read(data, path: "fuzz.json", authenticate: authenticate) }
        guard let plan = try? SavedPlan.decode(data, path: "fuzz.json") else { return 0 }
        _ = PlanRenderer.text(plan.plan, style: .plain)
        _ = PlanRenderer.markdown(plan.plan)
        var valid = 0
        for change in plan.changes {
            guard let settings = try? change.desired?.settings() else { continue }
            let references = settings.mapSecrets { _, secret in SecretReference(parsing: secret.reference) ?? SecretReference(kind: .env("X")) }
            let yaml = CompanyYAMLWriter.yaml(references, logoPath: "logo.png", schemaPath: "company.schema.json")
            guard case .success(let tree) = YAMLLoader(source: 0).load(Array(yaml.utf8)) else { continue }
            if SchemaCatalog.company.validate(tree).isEmpty { valid += 1 }
        }
        return valid
    }
}
