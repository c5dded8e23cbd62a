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
    /// The private folder (0700) of one plan's check: a file per company,
    /// written without the sync and rename of an atomic write (a scratch
    /// copy needs neither: one each made a 10,000-company plan's apply take
    /// seconds), removed with everything in it when the check ends.
    public final class Scratch: @unchecked Sendable {
        public let folder: String
        private var count = 0
        private let lock = NSLock()

        /// Why the folder could not be made or written (the first failure):
        /// a full or missing TMPDIR is no fault of the plan.
        public private(set) var failure: String?

        public struct Failure: MailformError {
            public var description: String
            public var code: ErrorCode { .temporarySpace }
            public var message: String { description }
        }

        /// - Throws: `Failure` when no temporary folder can be made.
        public init() throws {
            let parent = NSTemporaryDirectory()
            var template = Array((parent + "/mailform-plan-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else {
                throw Failure(description: "cannot create a temporary folder in \(SafeText.escape(parent)) to check the plan: \(String(cString: strerror(errno)))")
            }
            folder = String(cString: made)
            TemporaryPaths.add(folder)
        }

        deinit {
            try? FileManager.default.removeItem(atPath: folder)
            TemporaryPaths.remove(folder)
        }

        /// A name no other file of this check has.
        func nextName() -> String {
            lock.withLock {
                count += 1
                return "company-\(count)"
            }
        }

        private func failed() -> Bool {
            let reason = String(cString: strerror(errno))
            lock.withLock { if failure == nil { failure = "cannot write to the temporary folder \(SafeText.escape(folder)): \(reason)" } }
            return false
        }

        /// Removes `name` from the folder (a checked company's files: a
        /// folder of 100,000 of them made each new one slow to create).
        func remove(_ name: String) { unlink(folder + "/" + name) }

        /// Creates `name` in the folder (it must not exist) with `bytes`.
        func write(_ name: String, _ bytes: [UInt8]) -> Bool {
            let fd = open(folder + "/" + name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return failed() }
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { return failed() }
                written += n
            }
            return true
        }
    }

    /// The diagnostics that refuse a company.
    public struct Problems: MailformError, Sendable {
        public var diagnostics: [Diagnostic]
        public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
        public var code: ErrorCode { .invalidInput }
        public var message: String {
            diagnostics.first.map { d in d.location.map { "\($0): " }.map { $0 + d.message } ?? d.message } ?? "the company does not load"
        }
        public var description: String { message }
    }

    public struct Checked: Sendable {
        public var company: Company<SecretReference>
        /// Absolute origin of each reference, by secret path.
        public var origins: [String: String]
    }

    /// A logo path as the schema allows one in a company file: no spaces,
    /// controls or invisible characters, an image's extension.
    static func isLogoFileName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return !name.isEmpty && !name.hasPrefix(":")
            && !name.unicodeScalars.contains { SafeText.needsEscape($0) || $0.properties.isWhitespace }
            && [".png", ".jpg", ".jpeg", ".svg"].contains { lower.hasSuffix($0) }
    }

    /// - Parameters:
    ///   - label: how the plan file is shown in messages (`plan.json`).
    /// - Returns: the company with references, or the diagnostics that refuse it.
    public static func check(_ document: CompanyDocument, expectedID: String, workspace: Workspace, files: SourceFiles,
                             label: String, scratch: Scratch) -> Result<Checked, Problems> {
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

        // The virtual company file and its logo, in the check's private folder.
        let name = scratch.nextName()
        var logoPath: String?
        if case .image(let image)? = withReferences.logo {
            let ext = image.mediaType == "image/png" ? "png" : image.mediaType == "image/jpeg" ? "jpg" : "svg"
            logoPath = "\(name)-logo.\(ext)"
            guard scratch.write(logoPath!, image.bytes) else { return refuse("cannot write the plan's logo to check it") }
        }
        let yaml = CompanyYAMLWriter.yaml(withReferences, logoPath: logoPath, schemaPath: "company.schema.json")
        let file = scratch.folder + "/\(name).yaml"
        guard scratch.write("\(name).yaml", Array(yaml.utf8)) else { return refuse("cannot write the plan's settings to check them") }
        let folder = scratch.folder

        var virtual = workspace
        virtual.extraRoots.append(folder)
        let source = files.add(absolutePath: file, display: shown)
        let outcome = CompanyLoader.loadOne(path: file, source: source, workspace: virtual,
                                            profiles: ProfileSet(workspace: virtual, files: files), files: files)
        scratch.remove("\(name).yaml")
        if let logoPath { scratch.remove(logoPath) }
        let errors = outcome.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, var loaded = outcome.company?.company else {
            return .failure(Problems(diagnostics: errors.isEmpty ? [.error("the plan's settings for this company do not load", at: files.start(of: source),
                                                                            hint: "run plan again from the files", rule: "saved-plan")] : errors))
        }
        // The references' positions were in the virtual file; keep the plan's origins.
        loaded = loaded.mapSecrets { _, reference in SecretReference(kind: reference.kind) }
        // The image was checked from its bytes: its media type and digest are
        // the check's; the file name is the plan's, if a company file could
        // have written it (nothing a terminal or a page would act on, an
        // image's extension).
        if case .image(let planned)? = withReferences.logo, case .image(let checked)? = loaded.logo {
            guard isLogoFileName(planned.fileName) else { return refuse("the plan's logo has a file name no company file can have") }
            loaded.logo = .image(LogoImage(fileName: planned.fileName, mediaType: checked.mediaType, bytes: checked.bytes, sha256: checked.sha256))
        }
        return .success(Checked(company: loaded, origins: origins))
    }
}
