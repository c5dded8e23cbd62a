import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// What the caller of a workflow is told as it goes: it renders, the
/// workflow decides. Every hook has a silent default, so tests need none.
public struct WorkflowHooks: @unchecked Sendable {
    /// Warnings of the files (after a successful load and resolve).
    public var warnings: ([Diagnostic]) -> Void = { _ in }
    /// A line for the operator (`created the store key …`, `left out …`).
    public var notice: (String) -> Void = { _ in }
    /// A line a quiet run leaves out (`connectivity was not checked`).
    public var info: (String) -> Void = { _ in }
    /// The plan, before anything else happens to it.
    public var planned: (Plan) -> Void = { _ in }
    /// Then its plain text, piece by piece as it is rendered (once: the same
    /// pieces make the digest the revision records).
    public var plainText: (String) -> Void = { _ in }
    /// The probe (and DNS stage) of the changed endpoints.
    public var probed: (ProbeOutcome) -> Void = { _ in }
    /// Probe progress: endpoints done, total.
    public var progress: (@Sendable (Int, Int) -> Void)?
    /// Markers of where an apply is (crash trials: `transaction-begin` …).
    public var phase: (@Sendable (String) -> Void)?

    public init() {}
}
