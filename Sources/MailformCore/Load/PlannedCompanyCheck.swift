import Foundation
import JSONSchema

/// Re-validates the desired settings a saved plan carries, as if they were a
/// company file: schema, policy, id, paths and secret fences, under the
/// workspace at hand (a trusted one on CI).
///
/// A saved plan is data from a CI artifact; even when its MAC verifies, apply
/// must not write what the files could never have produced. The settings are
/// written out as a company file (the same writer as `export`) into a private
/// temporary folder, with an image logo beside it, and loaded through the
/// same stages as any company file. References keep the origin the plan
/// recorded, which must lie inside the workspace.
public enum PlannedCompanyCheck {
    /// The diagnostics that refuse a company.
    public struct Problems: Error, Sendable {
        public var diagnostics: [Diagnostic]
    }

    public struct Checked: Sendable {
        public var company: Company<SecretReference>
        /// Absolute origin of each reference, by secret path.
        public var origins: [String: String]
    }

    /// - Parameters:
    ///   - label: how the plan file is shown in messages (`plan.json`).
    /// - Returns: the company with references, or the diagnostics that refuse it.
    public static func check(_ document: CompanyDocument, expectedID: String, workspace: Workspace, files: SourceFiles,
                             label: String) -> Result<Checked, Problems> {
        let shown = "\(label) (company \(SafeText.escape(expectedID)))"
        func refuse(_ message: String) -> Result<Checked, Problems> {
            .failure(Problems(diagnostics: [.error(message, at: SourceLocation(file: shown, line: 1, column: 1),
                                                   hint: "run plan again from the files", rule: "saved-plan")]))
        }
        let planned: Company<PlannedSecret>
        do { planned = try document.settings() } catch { return refuse("the plan holds settings no company file can have") }
        guard planned.id == expectedID else { return refuse("the plan's settings name another company") }
        var origins: [String: String] = [:]
        var bad: String?
        let withReferences = planned.mapSecrets { path, secret -> SecretReference in
            let origin = Paths.absolute(secret.origin, relativeTo: workspace.root)
            if secret.origin.hasPrefix("/") || !Paths.isInside(origin, workspace.root)
                || !(origin.hasSuffix(".yaml") || origin.hasSuffix(".yml")) {
                bad = "the plan says \(path) was written in a file outside the workspace"
            }
            origins[path] = origin
            guard let reference = SecretReference(parsing: secret.reference) else {
                bad = "the plan holds an invalid secret reference at \(path)"
                return SecretReference(kind: .env("INVALID"))
            }
            return reference
        }
        if let bad { return refuse(bad) }

        // A private folder for the virtual company file and its logo.
        var template = Array((NSTemporaryDirectory() + "/mailform-plan-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { return refuse("cannot create a temporary folder to check the plan") }
        let folder = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var logoPath: String?
        if case .image(let image)? = withReferences.logo {
            let ext = image.mediaType == "image/png" ? "png" : image.mediaType == "image/jpeg" ? "jpg" : "svg"
            logoPath = "logo.\(ext)"
            guard FileManager.default.createFile(atPath: folder + "/" + logoPath!, contents: Data(image.bytes)) else {
                return refuse("cannot write the plan's logo to check it")
            }
        }
        let yaml = CompanyYAMLWriter.yaml(withReferences, logoPath: logoPath, schemaPath: "company.schema.json")
        let file = folder + "/company.yaml"
        guard FileManager.default.createFile(atPath: file, contents: Data(yaml.utf8)) else { return refuse("cannot write the plan's settings to check them") }

        var virtual = workspace
        virtual.extraRoots.append(folder)
        let source = files.add(absolutePath: file, display: shown)
        let outcome = CompanyLoader.loadOne(path: file, source: source, workspace: virtual,
                                            profiles: ProfileSet(workspace: virtual, files: files), files: files)
        let errors = outcome.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, var loaded = outcome.company?.company else {
            return .failure(Problems(diagnostics: errors.isEmpty ? [.error("the plan's settings for this company do not load", at: files.start(of: source),
                                                                            hint: "run plan again from the files", rule: "saved-plan")] : errors))
        }
        // The references' positions were in the virtual file; keep the plan's origins.
        loaded = loaded.mapSecrets { _, reference in SecretReference(kind: reference.kind) }
        // The image was checked from its bytes; keep the file name the plan shows.
        if case .image = withReferences.logo { loaded.logo = withReferences.logo }
        return .success(Checked(company: loaded, origins: origins))
    }
}
