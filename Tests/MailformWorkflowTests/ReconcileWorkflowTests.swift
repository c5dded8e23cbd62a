import Foundation
import GRDB
import Testing
@testable import MailformCore
import MailformStore
@testable import MailformWorkflow

/// The reconcile workflows in-process: no binary, no output parsing — typed
/// outcomes and errors, asserted together with the SQLite store's contents.
@Suite(.serialized)
struct ReconcileWorkflowTests {
    /// A copy of Fixtures/workspace in a temporary folder.
    final class Workspace {
        let root: URL
        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-wf-\(UUID().uuidString)")
            let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/workspace")
            try FileManager.default.copyItem(at: fixture, to: root)
        }
        var store: String { root.appendingPathComponent("mailform.db").path }
        var input: WorkspaceInput {
            WorkspaceInput(paths: [root.path], environment: ["MAILFORM_STORE_KEY": Data(repeating: 5, count: 32).base64EncodedString()])
        }
        func write(_ relative: String, _ text: String) throws {
            try text.write(to: root.appendingPathComponent(relative), atomically: true, encoding: .utf8)
        }
        func edit(_ relative: String, _ old: String, _ new: String) throws {
            let text = try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
            try write(relative, text.replacingOccurrences(of: old, with: new))
        }
        /// company id → revision, straight from SQLite.
        func revisions() throws -> [String: Int] {
            guard FileManager.default.fileExists(atPath: store) else { return [:] }
            return try DatabaseQueue(path: store).read { db in
                Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, revision FROM companies").map { ($0["id"] as String, $0["revision"] as Int) })
            }
        }
        func apply(_ configure: (inout ApplyRequest) -> Void = { _ in }) throws(WorkflowError) -> ApplyOutcome {
            var request = ApplyRequest(input: input, actor: "test")
            request.createStore = true
            request.noProbe = true
            configure(&request)
            return try ApplyWorkflow.fresh(request)
        }
    }

    /// An apply planned where there was no store does not write into one
    /// another apply created meanwhile (the plan did not see its
    /// companies): two first applies of other companies to one new path
    /// merged into one store, both "complete".
    @Test func aPlanMadeWithoutAStoreDoesNotWriteIntoOneMadeMeanwhile() throws {
        let ws = try Workspace(), other = try Workspace()
        try FileManager.default.removeItem(at: other.root.appendingPathComponent("companies"))
        try FileManager.default.createDirectory(at: other.root.appendingPathComponent("companies"), withIntermediateDirectories: true)
        try other.write("companies/zeta.yaml", "company: zeta\nsender:\n  email: no-reply@zeta.example.test\nprovider: platform\n")
        var request = ApplyRequest(input: ws.input, actor: "test")
        request.createStore = true
        request.noProbe = true
        var hooks = WorkflowHooks()
        hooks.planned = { _ in
            // After the plan (against no store), before the write.
            var first = ApplyRequest(input: other.input, actor: "other")
            first.input.storeFlag = ws.store
            first.createStore = true
            first.noProbe = true
            _ = try? ApplyWorkflow.fresh(first)
        }
        let error = #expect(throws: WorkflowError.self) { try ApplyWorkflow.fresh(request, hooks: hooks) }
        guard case .stopped(.planStale, let message, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("another apply created it meanwhile"), "\(message)")
        #expect(try ws.revisions() == ["zeta": 1])
    }

    @Test func planApplyPlanAgainIsEmpty() throws {
        let ws = try Workspace()
        let first = try PlanWorkflow.run(PlanRequest(input: ws.input))
        #expect(first.plan.count(.add) == 4)
        #expect(!FileManager.default.fileExists(atPath: ws.store), "a plan created the store")
        let applied = try ws.apply()
        #expect(applied.revision == 1)
        #expect(try ws.revisions() == ["alpha": 1, "beta": 1, "gamma": 1, "delta": 1])
        let again = try PlanWorkflow.run(PlanRequest(input: ws.input))
        #expect(again.plan.isEmpty && again.plan.unchangedCount == 4)
        // The OAuth2 company's settings came back from the store unchanged.
        let oauth = try DatabaseQueue(path: ws.store).read { db in
            try Row.fetchOne(db, sql: "SELECT auth, oauth2_provider, oauth2_client_secret_secret FROM smtp_servers WHERE company_id = 'delta'")
        }
        #expect(oauth?["auth"] as String? == "oauth2")
        #expect(oauth?["oauth2_client_secret_secret"] as String? == "smtp.oauth2.client_secret")
    }

    @Test func invalidFilesStopBeforeTheStoreWithLocatedDiagnostics() throws {
        let ws = try Workspace()
        try ws.write("companies/beta.yaml", "company: beta\nsender:\n  email: not-an-address\nprovider: smtp\n")
        let error = #expect(throws: WorkflowError.self) { try ws.apply() }
        guard case .invalid(let diagnostics, let files)? = error else { Issue.record("expected .invalid, got \(String(describing: error))"); return }
        #expect(files == 4)
        let located = diagnostics.sorted.filter { $0.severity == .error }.compactMap(\.location)
        #expect(located.contains { $0.file.hasSuffix("companies/beta.yaml") && $0.line == 3 }, "\(diagnostics.sorted)")
        #expect(error?.exitCode == 1)
        #expect(!FileManager.default.fileExists(atPath: ws.store))
    }

    @Test func stoppedRunsWriteNothing() throws {
        let ws = try Workspace()
        // Not on a terminal and not approved: refused before the store is made.
        var error = #expect(throws: WorkflowError.self) { try ws.apply { $0.approval = .unavailable } }
        guard case .stopped(.approvalNeeded, let message, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("--auto-approve"))
        #expect(!FileManager.default.fileExists(atPath: ws.store))
        // Declined at the prompt.
        error = #expect(throws: WorkflowError.self) { try ws.apply { $0.approval = .ask { _ in false } } }
        guard case .stopped(.applyCancelled, let cancelled, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(cancelled == "apply cancelled; nothing was written")
        #expect(try ws.revisions().isEmpty)
        // A --company pattern that matches nothing is not "no changes".
        error = #expect(throws: WorkflowError.self) { try ws.apply { $0.companies = ["omega*"] } }
        guard case .stopped(.noCompanyMatches, let none, let hint)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(none.hasPrefix("no company matches omega*") && hint?.contains("wildcards") == true)
    }

    @Test func safetyLimitsAreTypedAndForceable() throws {
        let ws = try Workspace()
        _ = try ws.apply()
        try FileManager.default.removeItem(at: ws.root.appendingPathComponent("companies/alpha.yaml"))
        try FileManager.default.removeItem(at: ws.root.appendingPathComponent("companies/beta.yaml"))
        let error = #expect(throws: WorkflowError.self) { try ws.apply { $0.prune = true } }
        guard case .overSafetyLimit(let message, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("delete 2 companies, over safety.max_deletes 1"))
        #expect(try ws.revisions().count == 4)
        let forced = try ws.apply { $0.prune = true; $0.force = true }
        #expect(forced.plan.count(.delete) == 2)
        #expect(try ws.revisions() == ["gamma": 1, "delta": 1])
    }

    /// A probe failure is `.probeFailed` (exit 3) and writes nothing;
    /// `skipFailed` writes the others and names who was left out.
    @Test func probeGateStopsOrLeavesOut() throws {
        let ws = try Workspace()
        _ = try ws.apply()
        // gamma now points at a port where nothing listens; alpha changes only its name.
        try ws.edit("companies/gamma.yaml", "host: smtp.gamma.example.test", "host: 127.0.0.1")
        try ws.edit("companies/gamma.yaml", "port: 587", "port: 1")
        try ws.edit("companies/alpha.yaml", "name: Alpha Inc", "name: Alpha Ltd")
        let error = #expect(throws: WorkflowError.self) { try ws.apply { $0.noProbe = false } }
        guard case .probeFailed(let message, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.hasPrefix("1 company failed the probe or the DNS checks (gamma)"))
        #expect(error?.exitCode == 3)
        #expect(try ws.revisions() == ["alpha": 1, "beta": 1, "gamma": 1, "delta": 1])
        var probed: ProbeOutcome?
        var request = ApplyRequest(input: ws.input, actor: "test")
        request.createStore = true
        request.skipFailed = true
        var hooks = WorkflowHooks()
        hooks.probed = { probed = $0 }
        let partial = try ApplyWorkflow.fresh(request, hooks: hooks)
        #expect(partial.leftOut == ["gamma"])
        #expect(probed?.results.first { $0.company == "gamma" }?.failure?.kind == .refused)
        #expect(try ws.revisions()["alpha"] == 2 && ws.revisions()["gamma"] == 1)
    }

    /// A saved plan is applied only as the store and files still are.
    @Test func savedPlansApplyOnceAndRefuseWhenStale() throws {
        let ws = try Workspace()
        let file = ws.root.appendingPathComponent("plan.json").path
        var request = PlanRequest(input: ws.input)
        request.out = file
        _ = try PlanWorkflow.run(request)
        var apply = ApplyRequest(input: ws.input, actor: "test")
        apply.createStore = true
        apply.noProbe = true
        let outcome = try ApplyWorkflow.saved(file: file, label: "plan.json", apply)
        #expect(outcome.revision == 1 && outcome.plan.count(.add) == 4)
        let error = #expect(throws: WorkflowError.self) { try ApplyWorkflow.saved(file: file, label: "plan.json", apply) }
        guard case .stopped(.planStale, let message, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.hasPrefix("stale plan: company alpha no longer needs the change"), "\(message)")
        #expect(try ws.revisions().values.allSatisfy { $0 == 1 })
    }

    /// A saved plan (format 3) written and applied with one company in
    /// memory at a time: the others are read again from their files when
    /// the plan is written, and from the plan file when it is applied; a
    /// secret changed between the plan's check and its write stops it.
    @Test func savedPlansStreamWithBoundedMemory() throws {
        let ws = try Workspace()
        let file = ws.root.appendingPathComponent("plan.json").path
        var request = PlanRequest(input: ws.input)
        request.out = file
        request.keepLimit = 1
        _ = try PlanWorkflow.run(request)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 6, "a header, 4 changes, a trailer")
        #expect(lines.first?.hasPrefix("{\"base_revisions\":") == true && lines.first?.contains("\"format_version\":3") == true)
        #expect(lines.last?.hasPrefix("{\"digest\":\"sha256:") == true)
        var apply = ApplyRequest(input: ws.input, actor: "test")
        apply.createStore = true
        apply.noProbe = true
        let outcome = try ApplyWorkflow.saved(file: file, label: "plan.json", apply)
        #expect(outcome.revision == 1 && outcome.plan.count(.add) == 4)
        #expect(try ws.revisions() == ["alpha": 1, "beta": 1, "gamma": 1, "delta": 1])
        // A plan applied with the files, then the same again after a secret changed.
        try ws.edit("companies/alpha.yaml", "name: ", "name: Renamed ")
        _ = try PlanWorkflow.run(request)
        try ws.write("secrets/relay.txt", "FAKE-rotated-relay\n")
        let error = #expect(throws: WorkflowError.self) { try ApplyWorkflow.saved(file: file, label: "plan.json", apply) }
        guard case .stopped(.planStale, let message, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("stale plan: secret"), "\(message)")
        #expect(try ws.revisions()["alpha"] == 1)
    }

    /// The DNS stage runs again for a change of how a company's mail is
    /// received (its domains, provider, host, Mailgun), not for a display
    /// name or a logo.
    @Test func onlySendingChangesGoThroughTheDNSStageAgain() {
        func plan(_ paths: [String], action: Action = .change) -> Plan {
            let value = FieldValue(display: "", key: "", sensitive: false)
            return Plan(changes: [CompanyChange(id: "c", name: nil, action: action,
                                                fields: paths.map { FieldChange(path: $0, current: value, desired: value) }, baseRevision: 1)],
                        unchangedCount: 0, unmanaged: [], baseRevisions: [:], storeCompanyCount: 1)
        }
        for path in ["sender.email", "dsar_sender.email", "provider", "smtp.host", "mailgun.domain", "mailgun.api_key", "mailgun.region"] {
            #expect(DeliverabilityStage.sendingChanged(plan([path])) == ["c"], "\(path)")
        }
        for path in ["name", "sender.name", "sender.logo", "dsar_sender.name", "smtp.port", "smtp.password", "probe"] {
            #expect(DeliverabilityStage.sendingChanged(plan([path])).isEmpty, "\(path)")
        }
        #expect(DeliverabilityStage.sendingChanged(plan(["sender.email"], action: .delete)).isEmpty)
    }
}
