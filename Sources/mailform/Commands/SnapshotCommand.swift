import ArgumentParser
import Foundation
import MailformCore
import MailformStore

/// `mailform snapshot --out FILE`: the trusted side's secret-free state of
/// the store, for pull-request jobs (`plan --snapshot FILE`).
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Write the store's state without any secret, for planning pull requests (plan --snapshot).",
        discussion: """
            The snapshot holds every company's settings with each secret as its reference (never a value, a fingerprint \
            or a ciphertext), the company revisions, the store's id and revision, and a digest of itself. It needs no \
            store key: run it where the store is (after each apply, or on a schedule) and hand the file to the \
            pull-request job, which then holds no secret, no key and no store. The store is opened read-only.
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "The workspace file or folder (for the store location).")
    var workspace: String?

    @Option(help: "A trusted workspace file whose settings (the store location among them) replace the workspace's own (default: $MAILFORM_TRUSTED_WORKSPACE).")
    var trustedWorkspace: String?

    @Option(help: "Write the snapshot to this file (never through a symbolic link).")
    var out: String

    @Flag(help: "Write the snapshot of no store (a first deployment: every company of a plan is new).")
    var empty = false

    @Flag(help: "When there is no store at the path yet, write the snapshot of no store instead of failing (a pipeline's first run; apply --reviewed still refuses a change set planned against no store once one exists).")
    var allowAbsent = false

    @Option(help: "Output format of the result line.")
    var format: TextOrJSONFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let snapshot: StateSnapshot
        var storeShown = "no store"
        if empty {
            snapshot = SnapshotReader.empty()
        } else {
            var diagnostics = DiagnosticCollector()
            let options = WorkspaceLoader.Options(trusted: trustedWorkspace, storeFlag: storeOptions.store)
            let ws = WorkspaceLoader.load(file: WorkspaceLoader.find(paths: ["."], override: workspace), files: SourceFiles(),
                                          diagnostics: &diagnostics, options: options)
            if diagnostics.hasErrors { throw Pipeline.fail(diagnostics, files: 1, writes: true) }
            let path = StoreLocation.resolve(flag: storeOptions.store, workspace: ws)
            storeShown = Paths.display(path)
            do {
                guard let store = try Store.open(path: path, create: false, lockTimeout: storeOptions.lockTimeout, readOnly: true) else {
                    if allowAbsent {
                        snapshot = SnapshotReader.empty(at: Paths.absolute(path))
                        Pipeline.notice("no store at \(SafeText.escape(Paths.display(path))) yet: writing the snapshot of no store")
                        try write(snapshot, shown: "no store")
                        return
                    }
                    throw Pipeline.fatal(.storeNotFound, "no store at \(SafeText.escape(Paths.display(path)))\(StoreLocation.didYouMean(path)); nothing was written",
                                         hint: "name the store with --store, or pass --empty for a first deployment (no store yet)")
                }
                snapshot = try SnapshotReader.snapshot(of: store)
            } catch let failure as Store.Failure {
                throw Pipeline.fatal(ReportedError(failure.code, failure.message + "; nothing was written", hint: failure.hint))
            }
        }
        try write(snapshot, shown: storeShown)
    }

    func write(_ snapshot: StateSnapshot, shown storeShown: String) throws {
        do {
            try SafeWrite.write(snapshot.encoded(), to: out, mode: 0o644)
        } catch let refusal as SafeWrite.Refusal {
            throw Pipeline.fatal(refusal)
        }
        if format == .json {
            Console.out(JSONOutput.string([
                "out": out, "store_id": snapshot.storeID, "store_revision": snapshot.storeRevision,
                "companies": snapshot.companies.count, "digest": snapshot.digest,
            ]))
        } else if !quiet {
            Console.out("Wrote the snapshot of \(SafeText.escape(storeShown)) (store \(snapshot.storeID), store revision \(snapshot.storeRevision), \(snapshot.companies.count) compan\(snapshot.companies.count == 1 ? "y" : "ies"); no secret) to \(SafeText.escape(out)).\n")
            Console.out("Plan a pull request against it with: mailform plan --snapshot \(SafeText.escape(out)) PATHS\n")
        }
    }
}
